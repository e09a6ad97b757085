// Prints a status message for people (`key: value`, one per line) or scripts
// (JSON with the proto field names, zeros included).
#ifndef SANJI_COMMON_STATUS_TEXT_H_
#define SANJI_COMMON_STATUS_TEXT_H_

#include <string>

#include "google/protobuf/message.h"

namespace sanji {

std::string FormatStatusText(const google::protobuf::Message& message);
std::string FormatStatusJson(const google::protobuf::Message& message);

}  // namespace sanji

#endif  // SANJI_COMMON_STATUS_TEXT_H_

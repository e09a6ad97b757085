// The value under which the village agent and the township keep one accepted
// record (village_agent/intake_layout.h, township_node/township_layout.h):
//
//    stored_record := state record
//    state         := 'N' (active) | 'V' (voided)
//    record        := a serialized sanji.Record (proto/records.proto)
//
// A void keeps the record it voided, so that a repeated void is recognised
// and the record's effects can be taken back.
#ifndef SANJI_COMMON_STORED_RECORD_H_
#define SANJI_COMMON_STORED_RECORD_H_

#include <string>

#include "absl/strings/string_view.h"
#include "proto/records.pb.h"

namespace sanji {

struct StoredRecordView {
  bool voided = false;
  absl::string_view record_bytes;  // into the value decoded
};

std::string EncodeStoredRecord(bool voided, absl::string_view record_bytes);
// False when `value` has no valid state byte.
bool DecodeStoredRecord(absl::string_view value, StoredRecordView* out);
// Decodes `value` and parses its record; false when either fails.
bool ParseStoredRecord(absl::string_view value, StoredRecordView* view,
                       Record* record);

}  // namespace sanji

#endif  // SANJI_COMMON_STORED_RECORD_H_

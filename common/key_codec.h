// Order-preserving key encoding: fixed-width big-endian integers and
// length-prefixed strings, so that RocksDB's bytewise order is the
// numeric/lexicographic order of the fields.
#ifndef SANJI_COMMON_KEY_CODEC_H_
#define SANJI_COMMON_KEY_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace sanji {

void PutFixed64BE(std::string* dst, uint64_t value);
// The 8 bytes of PutFixed64BE alone: counters and seqs stored as values.
std::string EncodeFixed64BE(uint64_t value);
// False unless `bytes` is exactly 8 bytes.
bool DecodeFixed64BE(absl::string_view bytes, uint64_t* value);
// Signed values are offset so that negatives sort first.
void PutOrderedInt64(std::string* dst, int64_t value);
// One length byte then the bytes; `value` must be at most 255 bytes.
void PutLengthPrefixed(std::string* dst, absl::string_view value);

// Readers consume from the front of `input`; false when it is too short.
bool GetFixed64BE(absl::string_view* input, uint64_t* value);
bool GetOrderedInt64(absl::string_view* input, int64_t* value);
bool GetLengthPrefixed(absl::string_view* input, absl::string_view* value);

}  // namespace sanji

#endif  // SANJI_COMMON_KEY_CODEC_H_

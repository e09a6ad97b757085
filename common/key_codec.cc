#include "common/key_codec.h"

namespace sanji {

void PutFixed64BE(std::string* dst, uint64_t value) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  dst->append(buf, 8);
}

std::string EncodeFixed64BE(uint64_t value) {
  std::string out;
  PutFixed64BE(&out, value);
  return out;
}

bool DecodeFixed64BE(absl::string_view bytes, uint64_t* value) {
  return bytes.size() == 8 && GetFixed64BE(&bytes, value);
}

void PutOrderedInt64(std::string* dst, int64_t value) {
  PutFixed64BE(dst, static_cast<uint64_t>(value) ^ (uint64_t{1} << 63));
}

void PutLengthPrefixed(std::string* dst, absl::string_view value) {
  dst->push_back(static_cast<char>(static_cast<unsigned char>(value.size())));
  dst->append(value.data(), value.size());
}

bool GetFixed64BE(absl::string_view* input, uint64_t* value) {
  if (input->size() < 8) return false;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | static_cast<unsigned char>((*input)[i]);
  input->remove_prefix(8);
  *value = v;
  return true;
}

bool GetOrderedInt64(absl::string_view* input, int64_t* value) {
  uint64_t v;
  if (!GetFixed64BE(input, &v)) return false;
  *value = static_cast<int64_t>(v ^ (uint64_t{1} << 63));
  return true;
}

bool GetLengthPrefixed(absl::string_view* input, absl::string_view* value) {
  if (input->empty()) return false;
  size_t n = static_cast<unsigned char>((*input)[0]);
  if (input->size() < n + 1) return false;
  *value = input->substr(1, n);
  input->remove_prefix(n + 1);
  return true;
}

}  // namespace sanji

#include "common/cell_key.h"

#include "absl/strings/str_cat.h"
#include "common/key_codec.h"

namespace sanji {

std::string EncodeCellKey(absl::string_view village_id,
                          absl::string_view indicator,
                          absl::string_view period) {
  return absl::StrCat(village_id, "|", indicator, "|", period);
}

bool DecodeCellKey(absl::string_view key, CellKey* out) {
  size_t a = key.find('|');
  if (a == absl::string_view::npos) return false;
  size_t b = key.find('|', a + 1);
  if (b == absl::string_view::npos) return false;
  out->village_id = std::string(key.substr(0, a));
  out->indicator = std::string(key.substr(a + 1, b - a - 1));
  out->period = std::string(key.substr(b + 1));
  return true;
}

std::string EncodeCellValue(const CellValue& value) {
  std::string out;
  PutFixed64BE(&out, static_cast<uint64_t>(value.value));
  PutFixed64BE(&out, value.version);
  return out;
}

bool DecodeCellValue(absl::string_view bytes, CellValue* out) {
  uint64_t v, version;
  if (bytes.size() != 16 || !GetFixed64BE(&bytes, &v) ||
      !GetFixed64BE(&bytes, &version)) {
    return false;
  }
  out->value = static_cast<int64_t>(v);
  out->version = version;
  return true;
}

}  // namespace sanji

#include "common/rollup_layout.h"

#include "absl/strings/str_cat.h"
#include "common/key_codec.h"

namespace sanji {
namespace {
constexpr char kSeparator = '|';
// The byte after kSeparator: "v|i}" sorts after every "v|i|...".
constexpr char kPastSeparator = kSeparator + 1;
}  // namespace

std::string EncodeCellKey(absl::string_view village_id,
                          absl::string_view indicator,
                          absl::string_view period) {
  return absl::StrCat(village_id, "|", indicator, "|", period);
}

bool DecodeCellKey(absl::string_view key, CellKeyParts* out) {
  size_t a = key.find(kSeparator);
  if (a == absl::string_view::npos) return false;
  size_t b = key.find(kSeparator, a + 1);
  if (b == absl::string_view::npos) return false;
  out->village_id = key.substr(0, a);
  out->indicator = key.substr(a + 1, b - a - 1);
  out->period = key.substr(b + 1);
  return true;
}

void AssignCellGroupPrefix(absl::string_view village_id,
                           absl::string_view indicator, std::string* out) {
  out->clear();
  absl::StrAppend(out, village_id, "|", indicator, "|");
}

void SkipPastGroup(std::string* group_prefix) {
  if (!group_prefix->empty() && group_prefix->back() == kSeparator) {
    group_prefix->back() = kPastSeparator;
  }
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

std::string EncodeRecordKey(absl::string_view village_id,
                            absl::string_view record_id) {
  return absl::StrCat(village_id, "|", record_id);
}

}  // namespace sanji

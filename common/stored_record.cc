#include "common/stored_record.h"

#include "absl/strings/str_cat.h"

namespace sanji {
namespace {
constexpr char kActive = 'N';
constexpr char kVoided = 'V';
}  // namespace

std::string EncodeStoredRecord(bool voided, absl::string_view record_bytes) {
  return absl::StrCat(absl::string_view(voided ? &kVoided : &kActive, 1),
                      record_bytes);
}

bool DecodeStoredRecord(absl::string_view value, StoredRecordView* out) {
  if (value.empty() || (value[0] != kActive && value[0] != kVoided)) {
    return false;
  }
  out->voided = value[0] == kVoided;
  out->record_bytes = value.substr(1);
  return true;
}

bool ParseStoredRecord(absl::string_view value, StoredRecordView* view,
                       Record* record) {
  return DecodeStoredRecord(value, view) &&
         record->ParseFromArray(view->record_bytes.data(),
                                static_cast<int>(view->record_bytes.size()));
}

}  // namespace sanji

#include "township_node/township_layout.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/key_codec.h"

namespace sanji::township_layout {
namespace {
constexpr char kWatermarkPrefix[] = "wm|";
constexpr char kCounterPrefix[] = "count|";
}  // namespace

StoreOptions Options(const std::string& township_id) {
  StoreOptions options;
  options.format = {"township_node", 1, "township_id"};
  options.column_families = {kRecords,  kPatients, kCells,
                             kChanged,  kAlerts,   kAlertsChanged,
                             kOccurred, kActivity, kActivityChanged};
  options.owner = township_id;
  // A batch looks up its records, follow-ups, cells and activity, mostly not
  // there yet (the marks are read once, at open).
  options.lookup_families = {kRecords,  kPatients, kCells,
                             kOccurred, kActivity, kAlerts};
  return options;
}

std::string WatermarkKey(absl::string_view village_id, uint64_t epoch) {
  std::string key = absl::StrCat(kWatermarkPrefix, village_id, "|");
  PutFixed64BE(&key, epoch);
  return key;
}

bool DecodeWatermarkKey(absl::string_view key, std::string* village_id,
                        uint64_t* epoch) {
  if (!absl::ConsumePrefix(&key, kWatermarkPrefix) || key.size() < 9 ||
      key[key.size() - 9] != '|') {
    return false;
  }
  *village_id = std::string(key.substr(0, key.size() - 9));
  return DecodeFixed64BE(key.substr(key.size() - 8), epoch);
}

std::string CounterKey(absl::string_view name) {
  return absl::StrCat(kCounterPrefix, name);
}

bool DecodeCounterKey(absl::string_view key, absl::string_view* name) {
  if (!absl::ConsumePrefix(&key, kCounterPrefix)) return false;
  *name = key;
  return true;
}

std::string FollowupPrefix(absl::string_view village_id, absl::string_view kind,
                           absl::string_view patient_id) {
  std::string key = absl::StrCat(village_id, "|", kind, "|");
  PutLengthPrefixed(&key, patient_id);
  return key;
}

std::string FollowupKey(absl::string_view prefix, int64_t occurred_at,
                        absl::string_view record_id) {
  std::string key = FollowupSeekKey(prefix, occurred_at);
  key.append(record_id.data(), record_id.size());
  return key;
}

std::string FollowupSeekKey(absl::string_view prefix, int64_t occurred_at) {
  std::string key(prefix);
  PutOrderedInt64(&key, occurred_at);
  return key;
}

bool DecodeFollowupKey(absl::string_view key, absl::string_view prefix,
                       int64_t* occurred_at, absl::string_view* record_id) {
  if (!absl::ConsumePrefix(&key, prefix) || !GetOrderedInt64(&key, occurred_at))
    return false;
  *record_id = key;
  return true;
}

std::string OccurredKey(absl::string_view village_id, int64_t occurred_at,
                        absl::string_view record_id) {
  return FollowupKey(absl::StrCat(village_id, "|"), occurred_at, record_id);
}

std::string OccurredSeekKey(absl::string_view village_id, int64_t occurred_at) {
  return FollowupSeekKey(absl::StrCat(village_id, "|"), occurred_at);
}

bool DecodeOccurredKey(absl::string_view key, absl::string_view village_id,
                       int64_t* occurred_at) {
  absl::string_view record_id;
  return absl::ConsumePrefix(&key, village_id) &&
         DecodeFollowupKey(key, "|", occurred_at, &record_id);
}

std::string EncodeOnTarget(bool on_target) { return on_target ? "1" : "0"; }

bool DecodeOnTarget(absl::string_view value) { return value == "1"; }

}  // namespace sanji::township_layout

// The rollup data a township computes and the county keeps, laid out the same
// way in both stores, so that a key read in one names the same item in the
// other. township_node/township_layout.h and county_hub/hub_layout.h say which
// families hold them.
//
//    cell_key    := village_id '|' indicator '|' period_key
//    cell_value  := fixed64be(value, two's complement) fixed64be(version)
//    record_key  := village_id '|' record_id
//    activity_key   := village_id '|' activity '|' activity_period
//    activity_value := cell_value
//    activity    := "last_record_at" | "last_sync_at"
//    activity_period := day period_key (last_record_at) | "" (last_sync_at)
//
// village_id is the 12-digit code (common/org_code.h), indicator a code of
// common/catalogue.h, period_key a calendar period key (common/period.h) and
// record_id a record id of spec/records.md; none of them can hold '|'. An
// activity value is what proto/rollup_sync.proto's "activity" carries: a time
// in local civil seconds (common/period.h) and its version. One
// village's cells, and one indicator's days in date order, are contiguous
// ranges: the county's reports read them with one seek per group. A
// record_key names one record of one village, and the alert made from it.
#ifndef SANJI_COMMON_ROLLUP_LAYOUT_H_
#define SANJI_COMMON_ROLLUP_LAYOUT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace sanji {

// The activity codes (proto/rollup_sync.proto "activity").
inline constexpr char kLastRecordAt[] = "last_record_at";
inline constexpr char kLastSyncAt[] = "last_sync_at";

// The parts of a cell key; views into the key decoded.
struct CellKeyParts {
  absl::string_view village_id;
  absl::string_view indicator;
  absl::string_view period;
};

struct CellValue {
  int64_t value = 0;
  uint64_t version = 0;
};

std::string EncodeCellKey(absl::string_view village_id,
                          absl::string_view indicator,
                          absl::string_view period);
// False unless `key` has the three parts; their contents are not checked.
bool DecodeCellKey(absl::string_view key, CellKeyParts* out);
// The prefix of every cell key of (village, indicator), "village|indicator|",
// into *out (replacing what it held: a scan reuses one buffer).
void AssignCellGroupPrefix(absl::string_view village_id,
                           absl::string_view indicator, std::string* out);
// A key that sorts after every key with `group_prefix` and before the next
// group's: seeking to it skips the rest of the group.
void SkipPastGroup(std::string* group_prefix);

std::string EncodeCellValue(const CellValue& value);
bool DecodeCellValue(absl::string_view bytes, CellValue* out);

std::string EncodeRecordKey(absl::string_view village_id,
                            absl::string_view record_id);

}  // namespace sanji

#endif  // SANJI_COMMON_ROLLUP_LAYOUT_H_

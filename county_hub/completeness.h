// Completeness and timeliness of reporting (spec/interfaces.md
// "Completeness"): per village, township and county of a period, whether and
// when the villages' data reached the county.
//
// A village is expected from the month of its first record on, and in every
// period when the --orgs file lists it; it reported when a day cell of the
// period is not zero; it is on time when it reported and the county stored
// every change of the period's day cells (the hub's receipt times,
// hub_layout.h "arrivals") before the end of the 10th day after the period.
// last_record_at and last_sync_at come from the townships' activity
// (proto/rollup_sync.proto). A township's and the county's counts are the sums
// over their villages, and their times the latest of their villages'.
//
// JudgeVillage and FormatRate are the rules alone, for tests; Completeness
// reads the hub's store. Thread-safe: it only reads the store. Owns nothing.
#ifndef SANJI_COUNTY_HUB_COMPLETENESS_H_
#define SANJI_COUNTY_HUB_COMPLETENESS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/period.h"
#include "common/storage.h"
#include "county_hub/org_directory.h"

namespace sanji {

// What the county knows of one village, for one period.
struct VillageFacts {
  bool listed = false;  // in --orgs
  // The earliest day with a record (a day cell that is not zero), if any.
  std::optional<absl::CivilDay> first_record_day;
  bool has_records = false;  // a day cell of the period is not zero
  // The latest receipt of a change of the period's day cells, local civil
  // seconds; none when no receipt time is known (cells stored by a hub from
  // before receipt times count as not on time).
  std::optional<int64_t> latest_arrival;
  int64_t last_record_at = 0;  // local civil seconds; 0: unknown
  int64_t last_sync_at = 0;    // likewise
};

struct Judgement {
  int64_t expected = 0;
  int64_t reported = 0;
  int64_t on_time = 0;
};

// The spec's rules for one village and `period`.
Judgement JudgeVillage(const VillageFacts& facts, const Period& period);
// 100 * numerator / denominator, rounded half up to two decimals; empty when
// the denominator is 0.
std::string FormatRate(int64_t numerator, int64_t denominator);

struct CompletenessRow {
  std::string period;
  std::string level;  // county, township, village
  std::string org_id;
  std::string org_name;
  Judgement counts;
  std::string reporting_rate;
  std::string timely_rate;
  std::string last_record_at;  // YYYY-MM-DDTHH:MM:SS, or empty
  std::string last_sync_at;
};

class Completeness {
 public:
  // The families are the hub's (hub_layout.h); none is owned.
  Completeness(std::string county_id, const Store* store,
               rocksdb::ColumnFamilyHandle* cells,
               rocksdb::ColumnFamilyHandle* activity,
               rocksdb::ColumnFamilyHandle* arrivals, const OrgDirectory* orgs);

  // The scope's row (`org`, default the county) and those of every level
  // below it, in report order (county, townships, villages; by org_id).
  // InvalidArgument, saying what is allowed, for a bad period or org.
  absl::StatusOr<std::vector<CompletenessRow>> Rows(
      const std::string& period, const std::string& org) const;
  // Rows() as CSV (header
  // period,level,org_id,org_name,expected,reported,on_time,reporting_rate,
  // timely_rate,last_record_at,last_sync_at) or, for "json", an array of
  // objects with those keys (counts as numbers, the rest as strings or null
  // when empty).
  absl::StatusOr<std::string> Render(const std::string& period,
                                     const std::string& org,
                                     const std::string& format) const;

 private:
  // The facts of `village` for `period`.
  absl::StatusOr<VillageFacts> ReadFacts(const std::string& village,
                                         const Period& period) const;
  // Every village with cells or activity under `prefix`.
  absl::Status ListVillages(const std::string& prefix,
                            std::vector<std::string>* out) const;

  std::string county_id_;
  const Store* store_;
  rocksdb::ColumnFamilyHandle* cells_;
  rocksdb::ColumnFamilyHandle* activity_;
  rocksdb::ColumnFamilyHandle* arrivals_;
  const OrgDirectory* orgs_;
};

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_COMPLETENESS_H_

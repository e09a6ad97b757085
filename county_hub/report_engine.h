// Builds the county's reports (spec/interfaces.md "Report CSV",
// spec/indicators.md) from the rollup cells in the hub's store.
//
// Counts and sums add up day cells over the period; distinct indicators read
// the one cell of the calendar period; averages and rates are derived here (sum
// of numerators over sum of denominators at every level). A month, quarter,
// half or year is read from the store's period index
// (county_hub/period_totals.h) when the store has it built (a store opened by
// CountyCellStore always has), one range scan for the whole scope; days and
// ranges of days from the day cells. Thread-safe: it only reads the store.
#ifndef SANJI_COUNTY_HUB_REPORT_ENGINE_H_
#define SANJI_COUNTY_HUB_REPORT_ENGINE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/storage.h"
#include "county_hub/org_directory.h"
#include "county_hub/report_row.h"

namespace sanji {

struct ReportQuery {
  std::string period;            // any form of spec/indicators.md
  std::string level = "county";  // the deepest level listed (from the scope)
  std::string org;               // empty: the whole county
  std::vector<std::string> indicators;  // empty: all the period supports
  // csv, json, md, xlsx, dhis2, adx or fhir (spec/interfaces.md "Exports").
  std::string format = "csv";
};

class ReportEngine {
 public:
  // `cells` is the column family holding cells keyed per
  // common/rollup_layout.h; the period index is the store's "totals" family.
  // Not owned.
  ReportEngine(std::string county_id, const Store* store,
               rocksdb::ColumnFamilyHandle* cells, const OrgDirectory* orgs);

  // The scope's rows (query.org, default the county) and those of every level
  // below it down to query.level, in report order (county, then townships,
  // then villages; by org_id,
  // then indicator in catalogue order, breakdown codes after their parent in
  // code order). InvalidArgument for a bad period, level, org or indicator
  // (e.g. a distinct indicator over a range of days), with a message that says
  // what is allowed.
  absl::StatusOr<std::vector<ReportRow>> Rows(const ReportQuery& query) const;
  // Rows() formatted as query.format: CSV (UTF-8, header
  // period,level,org_id,org_name,indicator,name_zh,value), a JSON array of
  // objects with those keys (value as a string, or null when empty), or one
  // of the exports of spec/interfaces.md (md, xlsx, dhis2, adx, fhir: see
  // county_hub/export_*.h). InvalidArgument for an unknown format, and for a
  // range of days in dhis2, adx or fhir; xlsx writes a temporary file in
  // $TMPDIR (default /tmp).
  absl::StatusOr<std::string> Render(const ReportQuery& query) const;

 private:
  // Whether the store's period index is built (period_totals.h).
  absl::StatusOr<bool> Indexed() const;

  std::string county_id_;
  const Store* store_;
  rocksdb::ColumnFamilyHandle* cells_;
  rocksdb::ColumnFamilyHandle* totals_;  // nullptr: the store has none
  const OrgDirectory* orgs_;
};

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_REPORT_ENGINE_H_

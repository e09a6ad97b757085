// The fault harness's accounting: the truth (every acknowledged record, from
// the importers' outcomes) and its comparison with what the county reports.
//
// The county never sees individual records, only rollup cells, so records are
// accounted for through per-record count indicators: every `new` record adds
// exactly 1 to exactly one of the 18 per-kind counts (outpatient_visits,
// hypertension_followups, ...) of its village and of the month it falls in.
// For each village, each kind count and each month of 2025 (plus the day
// 2025-12-31, on which only refused rows were ever submitted), the oracle's
// value E (over the acknowledged records, voids applied) is compared with the
// county's value R:
//   R < E            -> E - R records lost (their effect is missing);
//   R > E, E > 0     -> R - E records duplicated (counted more than once);
//   R > E, E == 0    -> R records unexpected (present, never acknowledged).
// A lost void shows up as an excess (its record still counted), so it is
// reported as "duplicated"; a lost record and a duplicated one of the same
// village, kind and month cancel in these counts, but not in the cells (sums,
// distinct people), which are all compared as well. Notifiable-disease reports
// are also checked one by one on the alerts line list (`county_hub alerts
// --format=json`): each acknowledged report must be exactly one alert of the
// right village, record_id and disease, "withdrawn" exactly when its void was
// acknowledged: a missing alert (or a void not applied) is lost, a repeated
// one duplicated, one never acknowledged (or withdrawn without a void)
// unexpected. Rows of organisations not in the county, breakdown codes
// (infectious_disease_reports.X, referrals.X) that should be absent and
// agent-side double acceptance count as unexpected/duplicated as well. Last,
// the agents themselves are checked (importer.h): a re-import of an
// acknowledged chunk must come back all "duplicate" (anything accepted again
// was forgotten = lost at the agent), and the rows a chunk's attempts accepted
// must add up to at most its size. A wipe resets both checks for that agent
// (it is meant to forget): what it had acknowledged but not yet synced is lost
// at the village until the clinic re-imports it, so the truth stays every
// acknowledged row, and the township must recognise the re-imported rows it
// already has (same record_id, same content, new epoch) as duplicates, voids
// included.
//
// A record counts as acknowledged only when `village_agent import` of its
// chunk exited 0 with accepted + duplicate = rows and rejected = 0; the truth
// is every row of such a chunk, in file order (voids only ever target earlier
// chunks, so the order is unambiguous).
//
// Thread-safety: none needed; the main thread calls these after the importers
// have been joined. Results go into an Accounting the caller owns.
#ifndef SANJI_TESTS_FAULT_ACCOUNTING_H_
#define SANJI_TESTS_FAULT_ACCOUNTING_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "tests/fault/workload.h"
#include "tests/support/local_county.h"
#include "tests/support/oracle.h"

namespace sanji::fault {

struct Accounting {
  int64_t lost = 0;
  int64_t duplicated = 0;
  int64_t unexpected = 0;
  int64_t cells = 0;
  int64_t cells_matched = 0;
  int64_t alerts_expected = 0;
  int64_t alerts_matched = 0;
  std::vector<std::string> diffs;  // every differing cell / alert
  std::vector<std::string> notes;  // where lost/duplicated/unexpected came from
};

struct AlertTruth {
  std::string disease;
  bool withdrawn = false;
};

// (village, record_id) -> the alert the county must list.
using AlertTruths = std::map<std::pair<std::string, std::string>, AlertTruth>;

struct Truth {
  test_support::VillageRecords records;  // acknowledged, in import order
  AlertTruths alerts;
  int64_t acknowledged = 0;  // rows
};

// The truth from the acknowledged chunks in import order. Adds what the
// importers saw at the agents to `acc`, and a failure for every chunk never
// acknowledged and every problem an importer noted.
Truth CollectTruth(const std::vector<VillagePlan>& plans, Accounting* acc,
                   std::vector<std::string>* failures);

// Compares every cell the county reports, for every period form and level,
// with the oracle over `truth`, and does the record accounting.
absl::Status CompareReports(const test_support::LocalCounty& county,
                            const test_support::VillageRecords& truth,
                            Accounting* acc);

// Compares the county's alerts line list with `truth`.
absl::Status CompareAlerts(const test_support::LocalCounty& county,
                           const AlertTruths& truth, Accounting* acc);

// --selftest_corrupt_truth: the first village's first outpatient visit that
// is never voided leaves the truth (the county still counts it: duplicated),
// and a copy of it under a new id joins the last village's truth (the county
// never had it: lost).
void CorruptTruth(test_support::VillageRecords* truth);

}  // namespace sanji::fault

#endif  // SANJI_TESTS_FAULT_ACCOUNTING_H_

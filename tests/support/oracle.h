// An independent reference implementation of spec/indicators.md, for tests.
//
// Given the records each village accepted, in acceptance order, it computes
// what the county must eventually report: every count, sum and distinct-people
// indicator per village, summed to townships and the county, formatted as the
// report CSV formats values. It is written from the spec text alone and
// deliberately does not use common/catalogue.h (only the shared calendar
// parsing of common/period.h), so that it checks the real aggregation rather
// than repeating it. It favours obviousness over speed: it recomputes
// everything from the records.
//
// Thread-safety: plain functions over values; safe to call from any thread.
#ifndef SANJI_TESTS_SUPPORT_ORACLE_H_
#define SANJI_TESTS_SUPPORT_ORACLE_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/period.h"
#include "proto/records.pb.h"

namespace sanji::test_support {

// village_id -> that village's records in the order its agent accepted them. A
// record with is_void=true cancels the earlier record with the same record_id
// in that village.
using VillageRecords = std::map<std::string, std::vector<sanji::Record>>;

// (org_id, indicator code) -> value. Money is in fen; the derived
// outpatient_cost_avg_yuan is not stored (FormatValue computes it).
using OracleKey = std::pair<std::string, std::string>;
using OracleValues = std::map<OracleKey, int64_t>;

enum class OrgLevel { kVillage, kTownship, kCounty };
// "village", "township", "county": the report CSV's `level` column.
const char* LevelName(OrgLevel level);

// Codes of the count and sum indicators kept in OracleValues, in spec order,
// without the breakdown codes (infectious_disease_reports.DISEASE,
// referrals.TARGET) and without the derived outpatient_cost_avg_yuan.
const std::vector<std::string>& CountIndicatorCodes();
// Codes of the distinct-people indicators, in spec order.
const std::vector<std::string>& DistinctIndicatorCodes();

// The records of one village that count: `new` records not cancelled by a later
// void, in acceptance order. A second `new` with a record_id that is still
// active is a duplicate (an identical re-import) and is dropped.
std::vector<sanji::Record> EffectiveRecords(
    const std::vector<sanji::Record>& accepted);

// Every indicator of every village in `records` over `period`: all count/sum
// codes (zero included), breakdown codes only where non-zero, and, for calendar
// periods only, all distinct codes (zero included).
OracleValues ComputeVillageValues(const VillageRecords& records,
                                  const sanji::Period& period);
// The same with the period named as in the spec ("2025-Q1",
// "2025-01-01..2025-01-31").
absl::StatusOr<OracleValues> ComputeVillageValues(const VillageRecords& records,
                                                  absl::string_view period);

// The organisation a village (12 digits) belongs to at `level`: itself, its
// first 9 digits (township) or its first 6 (county).
std::string OrgOf(absl::string_view village_id, OrgLevel level);
// Village values summed per organisation at `level` (kVillage: a copy).
OracleValues RollUp(const OracleValues& village_values, OrgLevel level);

// The stored value, 0 when absent.
int64_t ValueOf(const OracleValues& values, absl::string_view org_id,
                absl::string_view indicator);
// Fen as yuan with exactly two decimals: 123 -> "1.23", -5 -> "-0.05".
std::string FormatFen(int64_t fen);
// `indicator` of `org_id` formatted as the report CSV does: counts as integers,
// *_yuan with two decimals, outpatient_cost_avg_yuan = cost / visits rounded
// half up to the fen (empty when there are no visits). Absent codes format as
// zero.
std::string FormatValue(const OracleValues& values, absl::string_view org_id,
                        absl::string_view indicator);
// Every indicator the report should list for `org_id` (the codes present in
// `values` plus outpatient_cost_avg_yuan), sorted by code.
std::vector<std::string> IndicatorsOf(const OracleValues& values,
                                      absl::string_view org_id);

}  // namespace sanji::test_support

#endif  // SANJI_TESTS_SUPPORT_ORACLE_H_

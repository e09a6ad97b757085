// The one metric catalogue (spec/indicators.md): what each indicator is, and
// how a record feeds it. The township's aggregation and the county's reports
// both read this file, so an indicator is defined once.
//
// Storage model, shared by both tiers:
//  - count and sum indicators are kept as per-day cells (period key
//  "YYYY-MM-DD"); any period,
//    including a range of days, is the sum of its days;
//  - distinct-people indicators are kept as one cell per calendar period (day,
//  month, quarter,
//    half, year), because distinct counts do not add up;
//  - averages and rates are never stored: reports derive them from the cells
//  above.
#ifndef SANJI_COMMON_CATALOGUE_H_
#define SANJI_COMMON_CATALOGUE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "proto/records.pb.h"

namespace sanji {

enum class IndicatorType {
  kCount,        // integer count of records
  kSum,          // integer sum of a field
  kSumYuan,      // sum of fen, shown as yuan with 2 decimals
  kAverageYuan,  // numerator / denominator (both kSum*/kCount codes), yuan with
                 // 2 decimals
  kDistinct,     // distinct patients, calendar periods only
  kRate,         // percentage or permille from cells and the population file
};

// Population file columns a rate may use as its denominator.
enum class PopulationField {
  kNone,
  kResidents,
  kChildren06,
  kElderly65,
  kRecordsOnFile
};

struct IndicatorDef {
  absl::string_view code;
  absl::string_view name_zh;
  IndicatorType type;
  // kAverageYuan / kRate: numerator cell code and denominator (a cell code, or
  // a population field when denominator is empty).
  absl::string_view numerator = {};
  absl::string_view denominator = {};
  PopulationField population = PopulationField::kNone;
  // kCount codes with a per-value breakdown
  // ("infectious_disease_reports.measles").
  bool has_breakdown = false;
  // kRate: per thousand (‰) instead of per hundred (%).
  bool per_mille = false;
};

// What a report value is and how it is written (spec/interfaces.md "Report
// CSV"): integers for counts; two decimals for yuan and for rates, which are
// in percent or per mille.
enum class ValueUnit { kCount, kYuan, kPercent, kPerMille };
ValueUnit UnitOf(const IndicatorDef& def);

// Every fixed indicator, in the order of spec/indicators.md.
const std::vector<IndicatorDef>& Indicators();

// Resolves a code, including breakdown codes ("referrals.county"), to its
// definition and its Chinese name. Returns false for an unknown code.
bool LookupIndicator(absl::string_view code, IndicatorDef* def,
                     std::string* name_zh);

bool IsCellIndicator(
    IndicatorType type);  // kept as cells (count, sums, distinct)

// A change of a per-day count/sum cell: (indicator code, amount per record).
using DayContribution = std::pair<std::string, int64_t>;
// What one (new, validated) record adds to its day's count/sum cells; a void
// subtracts the same amounts.
std::vector<DayContribution> DayContributions(const Record& record);

// Distinct-people families: records of `kind` make the patient "managed";
// follow-up families also have a standardized (>= RequiredFollowups) and a
// controlled (latest on target) code.
struct DistinctFamily {
  absl::string_view kind;
  absl::string_view managed;
  absl::string_view standardized;  // empty when the family has none
  absl::string_view controlled;    // empty when the family has none
};
const std::vector<DistinctFamily>& DistinctFamilies();
const DistinctFamily* FindDistinctFamily(absl::string_view kind);

// Whether a follow-up record is on target (hypertension: by age at the
// follow-up; diabetes: fasting glucose < 7.0). False for kinds without a
// target.
bool IsOnTarget(const Record& record);

}  // namespace sanji

#endif  // SANJI_COMMON_CATALOGUE_H_

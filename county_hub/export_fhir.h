// The `fhir` export (spec/interfaces.md "Exports"): a report as a FHIR R4
// Bundle of type collection holding one MeasureReport per (organisation,
// indicator): status complete, type summary, measure
// https://sanji.example/Measure/CODE, the period's first and last days
// (common/period.h ExchangePeriod), and the org code as the reporter's
// identifier (system https://sanji.example/org). A count or sum is
// group[0].measureScore.value; a rate has group[0].population numerator and
// denominator counts and its measureScore in % or ‰ (UCUM % or [ppth]);
// yuan are a Quantity in CNY (ISO 4217). An undefined value has no
// measureScore (and no group unless it is a rate with known counts).
// Each entry's fullUrl is a urn:uuid derived from (period, org, indicator),
// so the same report gives the same document. Valid against the official
// FHIR R4 JSON schema (tests/county_hub/validate_fhir.py). Stateless:
// thread-safe.
#ifndef SANJI_COUNTY_HUB_EXPORT_FHIR_H_
#define SANJI_COUNTY_HUB_EXPORT_FHIR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/period.h"
#include "county_hub/report_row.h"

namespace sanji {

// The document, compact (no indentation), with a final newline. OutOfRange for
// a count beyond 64 bits or a decimal beyond a double's exact digits (JSON
// numbers here are int64 or double).
absl::StatusOr<std::string> RenderFhir(const ExchangePeriod& period,
                                       const std::vector<ReportRow>& rows);

// A version 8 (RFC 9562, name-derived) UUID of `name`: the same name gives the
// same UUID.
std::string NameUuid(absl::string_view name);

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_EXPORT_FHIR_H_

// The `dhis2` export (spec/interfaces.md "Exports"): a report as a DHIS2
// dataValueSets JSON document, {"dataValues":[{"dataElement", "period",
// "orgUnit", "value"}...]}, read with dataElementIdScheme=code and
// orgUnitIdScheme=code: indicator codes and org codes are the identifiers,
// the period is in DHIS2 form (common/period.h ExchangePeriod), values are
// strings as in the CSV and undefined values are left out. Stateless:
// thread-safe.
#ifndef SANJI_COUNTY_HUB_EXPORT_DHIS2_H_
#define SANJI_COUNTY_HUB_EXPORT_DHIS2_H_

#include <string>
#include <vector>

#include "common/period.h"
#include "county_hub/report_row.h"

namespace sanji {

// The document, indented by two, with a final newline.
std::string RenderDhis2(const ExchangePeriod& period,
                        const std::vector<ReportRow>& rows);

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_EXPORT_DHIS2_H_

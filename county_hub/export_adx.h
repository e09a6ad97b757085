// The `adx` export (spec/interfaces.md "Exports"): a report as an IHE ADX
// XML document (namespace urn:ihe:qrph:adx:2015): one <group> per
// organisation with orgUnit, the period as ISO 8601 start/duration
// (common/period.h ExchangePeriod) and dataSet="SANJI", and one <dataValue>
// per indicator with its code as dataElement and the CSV's number as value.
// Undefined values are left out, and so is an organisation with none (ADX
// wants at least one dataValue per group). Stateless: thread-safe.
#ifndef SANJI_COUNTY_HUB_EXPORT_ADX_H_
#define SANJI_COUNTY_HUB_EXPORT_ADX_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/period.h"
#include "county_hub/report_row.h"

namespace sanji {

// The document; `exported` is the time of export that ADX requires on its
// root, written in China's time (+08:00).
std::string RenderAdx(const ExchangePeriod& period,
                      const std::vector<ReportRow>& rows, absl::Time exported);

// Text as an XML attribute value: & < > " ' as entities, and the control
// characters XML 1.0 cannot carry (below 0x20 but tab, LF, CR) as U+FFFD.
std::string XmlAttribute(absl::string_view text);

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_EXPORT_ADX_H_

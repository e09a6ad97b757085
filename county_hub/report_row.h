// ReportRow: one line of a county report before formatting
// (spec/interfaces.md "Report CSV"), what ReportEngine produces and every
// format (CSV, JSON and the exporters of "Exports") renders. A plain value
// type: thread-compatible.
#ifndef SANJI_COUNTY_HUB_REPORT_ROW_H_
#define SANJI_COUNTY_HUB_REPORT_ROW_H_

#include <string>

#include "common/catalogue.h"

namespace sanji {

struct ReportRow {
  std::string period;  // Period::Key(), e.g. "2025-Q1"
  std::string level;   // county, township or village
  std::string org_id;
  std::string org_name;
  std::string indicator;
  std::string name_zh;
  std::string value;  // formatted per spec: integer, or two decimals, or empty
  // What `value` is: a count (integer), yuan, or a rate in % or ‰.
  ValueUnit unit = ValueUnit::kCount;
  // Rates only, when their denominator is known (it may be 0): the sums over
  // the villages of the numerator and the denominator counts the rate is
  // computed from, as integers. Empty otherwise. Not in CSV or JSON.
  std::string numerator;
  std::string denominator;
};

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_REPORT_ROW_H_

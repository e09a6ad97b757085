#include "county_hub/export_dhis2.h"

#include "nlohmann/json.hpp"

namespace sanji {

std::string RenderDhis2(const ExchangePeriod& period,
                        const std::vector<ReportRow>& rows) {
  nlohmann::ordered_json values = nlohmann::ordered_json::array();
  for (const ReportRow& row : rows) {
    if (row.value.empty()) continue;
    nlohmann::ordered_json v;
    v["dataElement"] = row.indicator;
    v["period"] = period.dhis2;
    v["orgUnit"] = row.org_id;
    v["value"] = row.value;
    values.push_back(std::move(v));
  }
  nlohmann::ordered_json doc;
  doc["dataValues"] = std::move(values);
  // Replace, not throw, should a code be bad UTF-8.
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

}  // namespace sanji

// The small report the export tests render (export_*_test.cc, and through
// export_fixture_main.cc the schema and spreadsheet checks): 2025-Q1, one
// county, township and village, with a count, a yuan sum, an undefined
// average, a percent rate, a per mille rate, a breakdown code, a rate with a
// zero denominator and one with an unknown one, and names that need escaping.
#ifndef SANJI_TESTS_COUNTY_HUB_EXPORT_FIXTURE_H_
#define SANJI_TESTS_COUNTY_HUB_EXPORT_FIXTURE_H_

#include <string>
#include <vector>

#include "common/period.h"
#include "county_hub/report_row.h"

namespace sanji::test_support {

inline std::vector<ReportRow> ExportFixtureRows() {
  using U = ValueUnit;
  auto row = [](std::string level, std::string org, std::string name,
                std::string code, std::string name_zh, std::string value,
                ValueUnit unit, std::string num = "", std::string den = "") {
    return ReportRow{
        "2025-Q1",       std::move(level),   std::move(org),   std::move(name),
        std::move(code), std::move(name_zh), std::move(value), unit,
        std::move(num),  std::move(den)};
  };
  const std::string c = "640522", t = "640522100", v = "640522100201";
  return {
      row("county", c, "海原县", "outpatient_visits", "门急诊人次", "12",
          U::kCount),
      row("county", c, "海原县", "outpatient_cost_yuan", "门急诊总费用(元)",
          "1234.50", U::kYuan),
      row("county", c, "海原县", "outpatient_cost_avg_yuan", "门诊次均费用(元)",
          "", U::kYuan),
      row("county", c, "海原县", "hypertension_control_rate",
          "管理人群血压控制率", "66.67", U::kPercent, "2", "3"),
      row("county", c, "海原县", "death_rate_permille", "报告死亡率(‰)", "1.25",
          U::kPerMille, "5", "4000"),
      row("county", c, "海原县", "infectious_disease_reports.measles",
          "麻疹报告例数", "2", U::kCount),
      row("township", t, "红星乡|东片", "outpatient_visits", "门急诊人次", "12",
          U::kCount),
      row("township", t, "红星乡|东片", "family_doctor_sign_rate",
          "家庭医生签约率", "", U::kPercent, "0", "0"),
      row("village", v, "说\"好\"<村>&", "outpatient_visits", "门急诊人次",
          "12", U::kCount),
      row("village", v, "说\"好\"<村>&", "elderly_management_rate",
          "老年人健康管理率", "", U::kPercent),
  };
}

inline ExchangePeriod ExportFixturePeriod() {
  return ExchangePeriod{"2025Q1", "2025-01-01/P3M", "2025-01-01", "2025-03-31"};
}

}  // namespace sanji::test_support

#endif  // SANJI_TESTS_COUNTY_HUB_EXPORT_FIXTURE_H_

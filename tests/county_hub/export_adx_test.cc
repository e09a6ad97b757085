// Tests of county_hub/export_adx.h: the exact ADX document of the export
// fixture, and the attribute escaping.
#include "county_hub/export_adx.h"

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "tests/county_hub/export_fixture.h"

namespace sanji {
namespace {

absl::Time Exported() {
  return absl::FromCivil(absl::CivilSecond(2025, 4, 2, 9, 30, 0),
                         absl::FixedTimeZone(8 * 3600));
}

TEST(ExportAdxTest, OneGroupPerOrganisationNumericValues) {
  EXPECT_EQ(RenderAdx(test_support::ExportFixturePeriod(),
                      test_support::ExportFixtureRows(), Exported()),
            R"(<?xml version="1.0" encoding="UTF-8"?>
<adx xmlns="urn:ihe:qrph:adx:2015" exported="2025-04-02T09:30:00+08:00">
  <group orgUnit="640522" period="2025-01-01/P3M" dataSet="SANJI">
    <dataValue dataElement="outpatient_visits" value="12"/>
    <dataValue dataElement="outpatient_cost_yuan" value="1234.50"/>
    <dataValue dataElement="hypertension_control_rate" value="66.67"/>
    <dataValue dataElement="death_rate_permille" value="1.25"/>
    <dataValue dataElement="infectious_disease_reports.measles" value="2"/>
  </group>
  <group orgUnit="640522100" period="2025-01-01/P3M" dataSet="SANJI">
    <dataValue dataElement="outpatient_visits" value="12"/>
  </group>
  <group orgUnit="640522100201" period="2025-01-01/P3M" dataSet="SANJI">
    <dataValue dataElement="outpatient_visits" value="12"/>
  </group>
</adx>
)");
}

TEST(ExportAdxTest, AnOrganisationWithoutValuesHasNoGroup) {
  std::vector<ReportRow> rows = test_support::ExportFixtureRows();
  rows.erase(rows.begin() + 6);  // the township's one value
  const std::string adx =
      RenderAdx(test_support::ExportFixturePeriod(), rows, Exported());
  EXPECT_EQ(adx.find("orgUnit=\"640522100\""), std::string::npos) << adx;
  EXPECT_NE(adx.find("orgUnit=\"640522100201\""), std::string::npos) << adx;
}

TEST(ExportAdxTest, AttributesEscapeMarkupQuotesAndControls) {
  EXPECT_EQ(XmlAttribute("a&b<c>d\"e'f\tg\x01h"),
            "a&amp;b&lt;c&gt;d&quot;e&apos;f&#9;g\xEF\xBF\xBDh");
  EXPECT_EQ(XmlAttribute("红星乡"), "红星乡");
}

}  // namespace
}  // namespace sanji

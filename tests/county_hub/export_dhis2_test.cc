// Tests of county_hub/export_dhis2.h: the exact dataValueSets document of the
// export fixture.
#include "county_hub/export_dhis2.h"

#include "gtest/gtest.h"
#include "tests/county_hub/export_fixture.h"

namespace sanji {
namespace {

TEST(ExportDhis2Test, ValuesAsStringsEmptyOnesLeftOut) {
  EXPECT_EQ(RenderDhis2(test_support::ExportFixturePeriod(),
                        test_support::ExportFixtureRows()),
            R"({
  "dataValues": [
    {
      "dataElement": "outpatient_visits",
      "period": "2025Q1",
      "orgUnit": "640522",
      "value": "12"
    },
    {
      "dataElement": "outpatient_cost_yuan",
      "period": "2025Q1",
      "orgUnit": "640522",
      "value": "1234.50"
    },
    {
      "dataElement": "hypertension_control_rate",
      "period": "2025Q1",
      "orgUnit": "640522",
      "value": "66.67"
    },
    {
      "dataElement": "death_rate_permille",
      "period": "2025Q1",
      "orgUnit": "640522",
      "value": "1.25"
    },
    {
      "dataElement": "infectious_disease_reports.measles",
      "period": "2025Q1",
      "orgUnit": "640522",
      "value": "2"
    },
    {
      "dataElement": "outpatient_visits",
      "period": "2025Q1",
      "orgUnit": "640522100",
      "value": "12"
    },
    {
      "dataElement": "outpatient_visits",
      "period": "2025Q1",
      "orgUnit": "640522100201",
      "value": "12"
    }
  ]
}
)");
}

TEST(ExportDhis2Test, NoRowsAnEmptyList) {
  EXPECT_EQ(RenderDhis2(test_support::ExportFixturePeriod(), {}),
            "{\n  \"dataValues\": []\n}\n");
}

}  // namespace
}  // namespace sanji

// Tests of county_hub/export_fhir.h: the exact Bundle of the export fixture.
// Its validity against the FHIR R4 JSON schema is checked by
// validate_fhir.py (ctest export_fhir_schema).
#include "county_hub/export_fhir.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/county_hub/export_fixture.h"

namespace sanji {
namespace {

constexpr char kExpected[] = R"json({
  "resourceType": "Bundle",
  "type": "collection",
  "entry": [
    {
      "fullUrl": "urn:uuid:efee3d62-1dc7-8578-a956-1e00d3f079d0",
      "resource": {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": "https://sanji.example/Measure/outpatient_visits",
        "reporter": {
          "identifier": {
            "system": "https://sanji.example/org",
            "value": "640522"
          }
        },
        "period": {
          "start": "2025-01-01",
          "end": "2025-03-31"
        },
        "group": [
          {
            "measureScore": {
              "value": 12
            }
          }
        ]
      }
    },
    {
      "fullUrl": "urn:uuid:63235f73-2df1-88c7-843d-b1ee590e9cc8",
      "resource": {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": "https://sanji.example/Measure/outpatient_cost_yuan",
        "reporter": {
          "identifier": {
            "system": "https://sanji.example/org",
            "value": "640522"
          }
        },
        "period": {
          "start": "2025-01-01",
          "end": "2025-03-31"
        },
        "group": [
          {
            "measureScore": {
              "value": 1234.5,
              "unit": "元",
              "system": "urn:iso:std:iso:4217",
              "code": "CNY"
            }
          }
        ]
      }
    },
    {
      "fullUrl": "urn:uuid:20e25e7a-53d1-8b4e-a20a-e49086ef5564",
      "resource": {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": "https://sanji.example/Measure/outpatient_cost_avg_yuan",
        "reporter": {
          "identifier": {
            "system": "https://sanji.example/org",
            "value": "640522"
          }
        },
        "period": {
          "start": "2025-01-01",
          "end": "2025-03-31"
        }
      }
    },
    {
      "fullUrl": "urn:uuid:8cf71c42-ae29-8d03-9867-c8595fa193e6",
      "resource": {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": "https://sanji.example/Measure/hypertension_control_rate",
        "reporter": {
          "identifier": {
            "system": "https://sanji.example/org",
            "value": "640522"
          }
        },
        "period": {
          "start": "2025-01-01",
          "end": "2025-03-31"
        },
        "group": [
          {
            "population": [
              {
                "code": {
                  "coding": [
                    {
                      "system": "http://terminology.hl7.org/CodeSystem/measure-population",
                      "code": "numerator"
                    }
                  ]
                },
                "count": 2
              },
              {
                "code": {
                  "coding": [
                    {
                      "system": "http://terminology.hl7.org/CodeSystem/measure-population",
                      "code": "denominator"
                    }
                  ]
                },
                "count": 3
              }
            ],
            "measureScore": {
              "value": 66.67,
              "unit": "%",
              "system": "http://unitsofmeasure.org",
              "code": "%"
            }
          }
        ]
      }
    },
    {
      "fullUrl": "urn:uuid:b8a56a46-9668-8648-8095-d6d4d0338d80",
      "resource": {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": "https://sanji.example/Measure/death_rate_permille",
        "reporter": {
          "identifier": {
            "system": "https://sanji.example/org",
            "value": "640522"
          }
        },
        "period": {
          "start": "2025-01-01",
          "end": "2025-03-31"
        },
        "group": [
          {
            "population": [
              {
                "code": {
                  "coding": [
                    {
                      "system": "http://terminology.hl7.org/CodeSystem/measure-population",
                      "code": "numerator"
                    }
                  ]
                },
                "count": 5
              },
              {
                "code": {
                  "coding": [
                    {
                      "system": "http://terminology.hl7.org/CodeSystem/measure-population",
                      "code": "denominator"
                    }
                  ]
                },
                "count": 4000
              }
            ],
            "measureScore": {
              "value": 1.25,
              "unit": "‰",
              "system": "http://unitsofmeasure.org",
              "code": "[ppth]"
            }
          }
        ]
      }
    },
    {
      "fullUrl": "urn:uuid:c42860f7-4fed-895a-8a80-be032e7b0088",
      "resource": {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": "https://sanji.example/Measure/infectious_disease_reports.measles",
        "reporter": {
          "identifier": {
            "system": "https://sanji.example/org",
            "value": "640522"
          }
        },
        "period": {
          "start": "2025-01-01",
          "end": "2025-03-31"
        },
        "group": [
          {
            "measureScore": {
              "value": 2
            }
          }
        ]
      }
    },
    {
      "fullUrl": "urn:uuid:1e69bd8d-a9b8-80d3-b022-c481ca5855d0",
      "resource": {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": "https://sanji.example/Measure/outpatient_visits",
        "reporter": {
          "identifier": {
            "system": "https://sanji.example/org",
            "value": "640522100"
          }
        },
        "period": {
          "start": "2025-01-01",
          "end": "2025-03-31"
        },
        "group": [
          {
            "measureScore": {
              "value": 12
            }
          }
        ]
      }
    },
    {
      "fullUrl": "urn:uuid:4e523089-2a02-885c-8e1e-da0eeb5daf20",
      "resource": {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": "https://sanji.example/Measure/family_doctor_sign_rate",
        "reporter": {
          "identifier": {
            "system": "https://sanji.example/org",
            "value": "640522100"
          }
        },
        "period": {
          "start": "2025-01-01",
          "end": "2025-03-31"
        },
        "group": [
          {
            "population": [
              {
                "code": {
                  "coding": [
                    {
                      "system": "http://terminology.hl7.org/CodeSystem/measure-population",
                      "code": "numerator"
                    }
                  ]
                },
                "count": 0
              },
              {
                "code": {
                  "coding": [
                    {
                      "system": "http://terminology.hl7.org/CodeSystem/measure-population",
                      "code": "denominator"
                    }
                  ]
                },
                "count": 0
              }
            ]
          }
        ]
      }
    },
    {
      "fullUrl": "urn:uuid:9b77e1ed-8e62-8e8c-9cdc-b3087600f3c8",
      "resource": {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": "https://sanji.example/Measure/outpatient_visits",
        "reporter": {
          "identifier": {
            "system": "https://sanji.example/org",
            "value": "640522100201"
          }
        },
        "period": {
          "start": "2025-01-01",
          "end": "2025-03-31"
        },
        "group": [
          {
            "measureScore": {
              "value": 12
            }
          }
        ]
      }
    },
    {
      "fullUrl": "urn:uuid:bef66dc1-5251-8798-a08a-679b0f7ff9a0",
      "resource": {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": "https://sanji.example/Measure/elderly_management_rate",
        "reporter": {
          "identifier": {
            "system": "https://sanji.example/org",
            "value": "640522100201"
          }
        },
        "period": {
          "start": "2025-01-01",
          "end": "2025-03-31"
        }
      }
    }
  ]
})json";

TEST(ExportFhirTest, OneMeasureReportPerOrganisationAndIndicator) {
  absl::StatusOr<std::string> fhir = RenderFhir(
      test_support::ExportFixturePeriod(), test_support::ExportFixtureRows());
  ASSERT_TRUE(fhir.ok()) << fhir.status();
  // The document is compact; the expected one is written indented here and
  // compacted the same way, byte for byte.
  nlohmann::ordered_json expected =
      nlohmann::ordered_json::parse(kExpected, nullptr, false);
  ASSERT_FALSE(expected.is_discarded());
  EXPECT_EQ(*fhir, expected.dump() + "\n");
}

TEST(ExportFhirTest, NoRowsAnEmptyBundle) {
  EXPECT_EQ(RenderFhir(test_support::ExportFixturePeriod(), {}).value_or(""),
            "{\"resourceType\":\"Bundle\",\"type\":\"collection\"}\n");
}

TEST(ExportFhirTest, NumbersBeyondExactJsonAreRefused) {
  std::vector<ReportRow> rows = test_support::ExportFixtureRows();
  rows.resize(2);
  rows[0].value = "123456789012345678901";  // beyond int64
  EXPECT_EQ(
      RenderFhir(test_support::ExportFixturePeriod(), rows).status().code(),
      absl::StatusCode::kOutOfRange);
  rows.erase(rows.begin());
  rows[0].value = "123456789012345678.90";  // beyond a double's digits
  EXPECT_EQ(
      RenderFhir(test_support::ExportFixturePeriod(), rows).status().code(),
      absl::StatusCode::kOutOfRange);
  rows[0].value = "12345678901.23";
  EXPECT_TRUE(RenderFhir(test_support::ExportFixturePeriod(), rows).ok());
}

TEST(ExportFhirTest, NameUuidsAreStableVersion8AndDistinct) {
  const std::string a = NameUuid("2025-01-01/P1Y|640522|outpatient_visits");
  EXPECT_EQ(a, NameUuid("2025-01-01/P1Y|640522|outpatient_visits"));
  EXPECT_NE(a, NameUuid("2025-01-01/P1Y|640522|inpatient_admissions"));
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '8');                                          // version
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos);  // variant
}

}  // namespace
}  // namespace sanji

// Tests of common/catalogue.h: the one metric catalogue the township and the
// county both read.
#include "common/catalogue.h"

#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "common/period.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sanji {
namespace {

using ::testing::Contains;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

Record Followup(const std::string& kind, int birth_year) {
  Record r;
  r.set_kind(kind);
  r.set_occurred_at(absl::CivilSecond(2025, 3, 14, 9, 0, 0) -
                    absl::CivilSecond(1970, 1, 1, 0, 0, 0));
  r.set_birth_date(DaysSinceEpoch(absl::CivilDay(birth_year, 3, 1)));
  return r;
}

TEST(CatalogueTest, CodesAreUniqueAndDerivedOnesNameStoredCells) {
  std::set<absl::string_view> codes;
  for (const IndicatorDef& d : Indicators()) {
    EXPECT_TRUE(codes.insert(d.code).second) << "repeated code " << d.code;
    EXPECT_FALSE(d.name_zh.empty()) << d.code;
  }
  for (const IndicatorDef& d : Indicators()) {
    if (d.type != IndicatorType::kAverageYuan &&
        d.type != IndicatorType::kRate) {
      EXPECT_TRUE(IsCellIndicator(d.type)) << d.code;
      continue;
    }
    EXPECT_FALSE(IsCellIndicator(d.type)) << d.code;
    IndicatorDef numerator;
    std::string name;
    ASSERT_TRUE(LookupIndicator(d.numerator, &numerator, &name)) << d.code;
    EXPECT_TRUE(IsCellIndicator(numerator.type)) << d.code;
    if (d.denominator.empty()) {
      EXPECT_NE(d.population, PopulationField::kNone) << d.code;
    } else {
      IndicatorDef denominator;
      ASSERT_TRUE(LookupIndicator(d.denominator, &denominator, &name))
          << d.code;
      EXPECT_TRUE(IsCellIndicator(denominator.type)) << d.code;
    }
  }
}

TEST(CatalogueTest, BreakdownCodesResolveToTheirParentWithAChineseName) {
  IndicatorDef def;
  std::string name;
  ASSERT_TRUE(LookupIndicator("referrals.county", &def, &name));
  EXPECT_EQ(def.code, "referrals.county");
  EXPECT_EQ(def.type, IndicatorType::kCount);
  EXPECT_FALSE(def.has_breakdown);
  EXPECT_EQ(name, "转往县级医院人次");
  ASSERT_TRUE(
      LookupIndicator("infectious_disease_reports.measles", &def, &name));
  EXPECT_EQ(name, "麻疹报告例数");
  EXPECT_FALSE(LookupIndicator("referrals.moon", &def, &name));
  EXPECT_FALSE(LookupIndicator("outpatient_visits.county", &def, &name));
  EXPECT_FALSE(LookupIndicator("no_such_indicator", &def, &name));
  EXPECT_FALSE(LookupIndicator("", &def, &name));
}

TEST(CatalogueTest, UnitsOfCountsMoneyAndRates) {
  auto unit = [](absl::string_view code) {
    IndicatorDef def;
    std::string name_zh;
    EXPECT_TRUE(LookupIndicator(code, &def, &name_zh)) << code;
    return UnitOf(def);
  };
  EXPECT_EQ(unit("outpatient_visits"), ValueUnit::kCount);
  EXPECT_EQ(unit("health_education_participants"), ValueUnit::kCount);
  EXPECT_EQ(unit("children_managed"), ValueUnit::kCount);
  EXPECT_EQ(unit("referrals.county"), ValueUnit::kCount);
  EXPECT_EQ(unit("outpatient_cost_yuan"), ValueUnit::kYuan);
  EXPECT_EQ(unit("outpatient_cost_avg_yuan"), ValueUnit::kYuan);
  EXPECT_EQ(unit("hypertension_control_rate"), ValueUnit::kPercent);
  EXPECT_EQ(unit("health_record_rate"), ValueUnit::kPercent);
  EXPECT_EQ(unit("death_rate_permille"), ValueUnit::kPerMille);
  // Only the ‰ code is per mille.
  for (const IndicatorDef& d : Indicators()) {
    EXPECT_EQ(d.per_mille, absl::StrContains(d.name_zh, "‰")) << d.code;
  }
}

TEST(CatalogueTest, DayContributionsOfOneRecord) {
  Record visit;
  visit.set_kind("outpatient_visit");
  visit.set_cost_fen(12345);
  EXPECT_THAT(DayContributions(visit),
              UnorderedElementsAre(Pair("outpatient_visits", 1),
                                   Pair("outpatient_cost_yuan", 12345)));
  Record report;
  report.set_kind("infectious_disease_report");
  report.set_disease("measles");
  EXPECT_THAT(DayContributions(report),
              Contains(Pair("infectious_disease_reports.measles", 1)));
  Record unknown;
  unknown.set_kind("no_such_kind");
  EXPECT_TRUE(DayContributions(unknown).empty());
}

TEST(CatalogueTest, DistinctFamiliesOfFollowups) {
  const DistinctFamily* ht = FindDistinctFamily("hypertension_followup");
  ASSERT_NE(ht, nullptr);
  EXPECT_EQ(ht->managed, "hypertension_managed");
  EXPECT_EQ(ht->standardized, "hypertension_standardized");
  EXPECT_EQ(ht->controlled, "hypertension_controlled");
  const DistinctFamily* signing = FindDistinctFamily("family_doctor_signing");
  ASSERT_NE(signing, nullptr);
  EXPECT_TRUE(signing->standardized.empty());
  EXPECT_EQ(FindDistinctFamily("outpatient_visit"), nullptr);
  for (const DistinctFamily& f : DistinctFamilies()) {
    IndicatorDef def;
    std::string name;
    ASSERT_TRUE(LookupIndicator(f.managed, &def, &name)) << f.kind;
    EXPECT_EQ(def.type, IndicatorType::kDistinct) << f.kind;
  }
}

// spec/indicators.md: blood pressure under 140/90, or 150/90 from 65 years;
// fasting glucose under 7.0 mmol/L.
TEST(CatalogueTest, OnTargetByAgeAndMeasure) {
  Record adult = Followup("hypertension_followup", 1970);
  adult.set_systolic(139);
  adult.set_diastolic(89);
  EXPECT_TRUE(IsOnTarget(adult));
  adult.set_systolic(140);
  EXPECT_FALSE(IsOnTarget(adult));
  adult.set_systolic(120);
  adult.set_diastolic(90);
  EXPECT_FALSE(IsOnTarget(adult));

  Record elderly = Followup("hypertension_followup", 1960);  // 65 on 3-01
  elderly.set_systolic(149);
  elderly.set_diastolic(80);
  EXPECT_TRUE(IsOnTarget(elderly));
  elderly.set_systolic(150);
  EXPECT_FALSE(IsOnTarget(elderly));
  Record not_yet = Followup("hypertension_followup", 1960);
  not_yet.set_birth_date(DaysSinceEpoch(absl::CivilDay(1960, 3, 15)));
  not_yet.set_systolic(145);
  EXPECT_FALSE(IsOnTarget(not_yet));  // 64 until the day after the visit

  Record diabetes = Followup("diabetes_followup", 1970);
  diabetes.set_fasting_glucose_centi(699);
  EXPECT_TRUE(IsOnTarget(diabetes));
  diabetes.set_fasting_glucose_centi(700);
  EXPECT_FALSE(IsOnTarget(diabetes));
  EXPECT_FALSE(IsOnTarget(Followup("smi_followup", 1970)));
}

}  // namespace
}  // namespace sanji

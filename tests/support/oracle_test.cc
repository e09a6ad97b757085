// Hand-computed cases for the indicator oracle (spec/indicators.md).
#include "tests/support/oracle.h"

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sanji::test_support {
namespace {

using ::testing::Contains;
using ::testing::Not;

constexpr char kV1[] = "640522100201";
constexpr char kV2[] = "640522100202";
constexpr char kV3[] = "640522101203";  // another township

// "2025-03-01" or "2025-03-01T09:00[:SS]" -> local seconds since
// 1970-01-01T00:00.
int64_t At(const std::string& text) {
  absl::CivilSecond t;
  EXPECT_TRUE(absl::ParseLenientCivilTime(text, &t)) << text;
  return t - absl::CivilSecond(1970, 1, 1, 0, 0, 0);
}

int32_t Days(const std::string& text) {
  absl::CivilDay d;
  EXPECT_TRUE(absl::ParseCivilTime(text, &d)) << text;
  return static_cast<int32_t>(d - absl::CivilDay(1970, 1, 1));
}

Record New(const std::string& id, const std::string& kind,
           const std::string& at, const std::string& patient = "p1",
           const std::string& birth = "1970-06-01") {
  Record r;
  r.set_record_id(id);
  r.set_kind(kind);
  r.set_occurred_at(At(at));
  r.set_patient_id(patient);
  r.set_sex("F");
  r.set_birth_date(Days(birth));
  return r;
}

Record Void(const std::string& id, const std::string& kind) {
  Record r;
  r.set_record_id(id);
  r.set_kind(kind);
  r.set_is_void(true);
  return r;
}

Record Visit(const std::string& id, const std::string& at, int64_t cost_fen) {
  Record r = New(id, "outpatient_visit", at);
  r.set_cost_fen(cost_fen);
  return r;
}

Record Bp(const std::string& id, const std::string& patient,
          const std::string& at, int sys, int dia,
          const std::string& birth = "1970-06-01") {
  Record r = New(id, "hypertension_followup", at, patient, birth);
  r.set_systolic(sys);
  r.set_diastolic(dia);
  return r;
}

Record Glucose(const std::string& id, const std::string& patient,
               const std::string& at, int centi) {
  Record r = New(id, "diabetes_followup", at, patient);
  r.set_fasting_glucose_centi(centi);
  return r;
}

OracleValues Compute(const VillageRecords& records, const std::string& period) {
  absl::StatusOr<OracleValues> v = ComputeVillageValues(records, period);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : OracleValues();
}

int64_t Get(const OracleValues& v, const std::string& org,
            const std::string& code) {
  return ValueOf(v, org, code);
}

TEST(OracleTest, CountsSumsAndBreakdownsInAMonth) {
  VillageRecords records;
  auto& v1 = records[kV1];
  v1.push_back(Visit("o1", "2025-03-01", 1050));
  v1.push_back(Visit("o2", "2025-03-31T23:59:59", 2001));
  v1.push_back(Visit("o3", "2025-04-01T00:00", 999));     // next month
  v1.push_back(Visit("o4", "2025-02-28T23:59:59", 777));  // previous month
  for (const char* id : {"d1", "d2"}) {
    Record r = New(id, "infectious_disease_report", "2025-03-05");
    r.set_disease("measles");
    v1.push_back(r);
  }
  Record dengue = New("d3", "infectious_disease_report", "2025-03-06");
  dengue.set_disease("dengue");
  v1.push_back(dengue);
  for (auto [id, target] :
       {std::pair{"r1", "township"}, std::pair{"r2", "county"}}) {
    Record r = New(id, "referral", "2025-03-07");
    r.set_referred_to(target);
    v1.push_back(r);
  }
  for (auto [id, n] : {std::pair{"e1", 12}, std::pair{"e2", 30}}) {
    Record r = New(id, "health_education", "2025-03-08");
    r.clear_patient_id();
    r.set_participants(n);
    v1.push_back(r);
  }

  OracleValues v = Compute(records, "2025-03");
  EXPECT_EQ(Get(v, kV1, "outpatient_visits"), 2);
  EXPECT_EQ(Get(v, kV1, "outpatient_cost_yuan"), 3051);
  EXPECT_EQ(FormatValue(v, kV1, "outpatient_cost_yuan"), "30.51");
  EXPECT_EQ(FormatValue(v, kV1, "outpatient_cost_avg_yuan"),
            "15.26");  // 1525.5 fen
  EXPECT_EQ(Get(v, kV1, "infectious_disease_reports"), 3);
  EXPECT_EQ(Get(v, kV1, "infectious_disease_reports.measles"), 2);
  EXPECT_EQ(Get(v, kV1, "infectious_disease_reports.dengue"), 1);
  EXPECT_EQ(v.count({kV1, "infectious_disease_reports.cholera"}), 0u);
  EXPECT_EQ(Get(v, kV1, "referrals"), 2);
  EXPECT_EQ(Get(v, kV1, "referrals.township"), 1);
  EXPECT_EQ(Get(v, kV1, "referrals.county"), 1);
  EXPECT_EQ(v.count({kV1, "referrals.outside"}), 0u);
  EXPECT_EQ(Get(v, kV1, "health_education_sessions"), 2);
  EXPECT_EQ(Get(v, kV1, "health_education_participants"), 42);
  // Zero codes are present; distinct codes too, for a calendar period.
  EXPECT_EQ(v.count({kV1, "vaccination_doses"}), 1u);
  EXPECT_EQ(Get(v, kV1, "vaccination_doses"), 0);
  EXPECT_EQ(v.count({kV1, "hypertension_managed"}), 1u);
  EXPECT_EQ(FormatValue(v, kV1, "inpatient_cost_yuan"), "0.00");

  std::vector<std::string> codes = IndicatorsOf(v, kV1);
  EXPECT_THAT(codes, Contains("outpatient_cost_avg_yuan"));
  EXPECT_THAT(codes, Contains("infectious_disease_reports.measles"));
  EXPECT_THAT(codes, Not(Contains("referrals.outside")));
}

TEST(OracleTest, RangeOfDaysHasCountsButNoDistinct) {
  VillageRecords records;
  records[kV1] = {
      Visit("o1", "2025-03-14T23:59", 100), Visit("o2", "2025-03-15", 200),
      Visit("o3", "2025-04-02T23:59:59", 300), Visit("o4", "2025-04-03", 400),
      Bp("h1", "p1", "2025-03-20", 120, 80)};
  OracleValues v = Compute(records, "2025-03-15..2025-04-02");
  EXPECT_EQ(Get(v, kV1, "outpatient_visits"), 2);
  EXPECT_EQ(Get(v, kV1, "outpatient_cost_yuan"), 500);
  EXPECT_EQ(Get(v, kV1, "hypertension_followups"), 1);
  EXPECT_EQ(v.count({kV1, "hypertension_managed"}), 0u);
  EXPECT_EQ(v.count({kV1, "hypertension_controlled"}), 0u);
  EXPECT_FALSE(ComputeVillageValues(records, "2025-04-02..2025-03-15").ok());
  EXPECT_FALSE(ComputeVillageValues(records, "2025-13").ok());
}

TEST(OracleTest, VoidsCancelEarlierRecordOfTheSameVillageOnly) {
  VillageRecords records;
  records[kV1] = {
      Visit("a", "2025-03-01", 100),
      Visit("b", "2025-03-02", 200),
      Visit("b", "2025-03-02", 200),  // identical re-import: no-op
      Void("a", "outpatient_visit"),
      New("x", "elderly_health_check", "2025-03-03", "old1", "1950-01-01"),
      Void("x", "elderly_health_check"),
      Visit("c", "2025-03-04", 400)};
  records[kV2] = {
      Visit("a", "2025-03-01", 1000)};  // same id, other village: unaffected
  OracleValues v = Compute(records, "2025-03");
  EXPECT_EQ(Get(v, kV1, "outpatient_visits"), 2);
  EXPECT_EQ(Get(v, kV1, "outpatient_cost_yuan"), 600);
  EXPECT_EQ(Get(v, kV1, "elderly_health_checks"), 0);
  EXPECT_EQ(Get(v, kV1, "elderly_managed"), 0);
  EXPECT_EQ(Get(v, kV2, "outpatient_visits"), 1);

  std::vector<Record> effective = EffectiveRecords(records[kV1]);
  ASSERT_EQ(effective.size(), 2u);
  EXPECT_EQ(effective[0].record_id(), "b");
  EXPECT_EQ(effective[1].record_id(), "c");
}

TEST(OracleTest, StandardizedThresholdDependsOnPeriodLength) {
  VillageRecords records;
  records[kV1] = {
      Bp("1a", "p1", "2025-01-10", 120, 80),
      Bp("1b", "p1", "2025-02-10", 120, 80),
      Bp("2a", "p2", "2025-01-05", 120, 80),
      Bp("2b", "p2", "2025-04-05", 120, 80),
      Bp("2c", "p2", "2025-07-05", 120, 80),
      Bp("2d", "p2", "2025-10-05", 120, 80),
      Bp("3a", "p3", "2025-05-01", 120, 80),
  };
  struct Case {
    const char* period;
    int64_t managed;
    int64_t standardized;
  };
  for (const Case& c :
       {Case{"2025", 3, 1}, Case{"2025-H1", 3, 2}, Case{"2025-H2", 1, 1},
        Case{"2025-Q1", 2, 2}, Case{"2025-Q2", 2, 2}, Case{"2025-01", 2, 2},
        Case{"2025-01-10", 1, 1}, Case{"2025-03", 0, 0}}) {
    OracleValues v = Compute(records, c.period);
    EXPECT_EQ(Get(v, kV1, "hypertension_managed"), c.managed) << c.period;
    EXPECT_EQ(Get(v, kV1, "hypertension_standardized"), c.standardized)
        << c.period;
  }
  EXPECT_EQ(Get(Compute(records, "2025"), kV1, "hypertension_followups"), 7);
  // H2: p2 has two follow-ups (Jul, Oct) and R = 2; p3's one in December is not
  // enough.
  records[kV1].push_back(Bp("3b", "p3", "2025-12-31T23:00", 120, 80));
  OracleValues h2 = Compute(records, "2025-H2");
  EXPECT_EQ(Get(h2, kV1, "hypertension_managed"), 2);
  EXPECT_EQ(Get(h2, kV1, "hypertension_standardized"), 1);
}

TEST(OracleTest, ControlledUsesLatestFollowupAndAllTies) {
  VillageRecords records;
  records[kV1] = {
      // p1: two at the same latest instant, one off target -> not controlled.
      Bp("1a", "p1", "2025-03-01T09:00", 130, 80),
      Bp("1b", "p1", "2025-03-01T09:00", 145, 80),
      // p2: off, then on -> controlled in the month.
      Bp("2a", "p2", "2025-03-01T08:00", 160, 100),
      Bp("2b", "p2", "2025-03-02T08:00", 120, 70),
      // p3: on, then off -> not controlled in the month.
      Bp("3a", "p3", "2025-03-01T08:00", 120, 70),
      Bp("3b", "p3", "2025-03-02T08:00", 150, 95),
      // p4: same day, later time wins.
      Bp("4a", "p4", "2025-03-01T09:00", 150, 95),
      Bp("4b", "p4", "2025-03-01T10:00", 139, 89),
  };
  OracleValues month = Compute(records, "2025-03");
  EXPECT_EQ(Get(month, kV1, "hypertension_managed"), 4);
  EXPECT_EQ(Get(month, kV1, "hypertension_controlled"), 2);  // p2, p4
  OracleValues day1 = Compute(records, "2025-03-01");
  EXPECT_EQ(Get(day1, kV1, "hypertension_managed"), 4);
  EXPECT_EQ(Get(day1, kV1, "hypertension_controlled"), 2);  // p3, p4
  OracleValues day2 = Compute(records, "2025-03-02");
  EXPECT_EQ(Get(day2, kV1, "hypertension_managed"), 2);
  EXPECT_EQ(Get(day2, kV1, "hypertension_controlled"), 1);  // p2

  // Voiding p1's off-target tie makes the remaining one decide.
  records[kV1].push_back(Void("1b", "hypertension_followup"));
  EXPECT_EQ(Get(Compute(records, "2025-03"), kV1, "hypertension_controlled"),
            3);
}

// hypertension_controlled of one patient with one follow-up.
int64_t ControlledWith(const std::string& birth, const std::string& at, int sys,
                       int dia) {
  VillageRecords records;
  records[kV1] = {Bp("h", "p", at, sys, dia, birth)};
  return Get(Compute(records, "2025"), kV1, "hypertension_controlled");
}

TEST(OracleTest, AgeSixtyFiveRaisesTheSystolicLimit) {
  EXPECT_EQ(ControlledWith("1960-03-15", "2025-03-15", 145, 85),
            1);  // 65th birthday
  EXPECT_EQ(ControlledWith("1960-03-15", "2025-03-14T23:59", 145, 85),
            0);  // still 64
  EXPECT_EQ(ControlledWith("1960-03-15", "2025-03-15", 149, 89), 1);
  EXPECT_EQ(ControlledWith("1960-03-15", "2025-03-15", 150, 85), 0);
  EXPECT_EQ(ControlledWith("1960-03-15", "2025-03-15", 145, 90), 0);
  EXPECT_EQ(ControlledWith("1970-01-01", "2025-03-15", 139, 89), 1);
  EXPECT_EQ(ControlledWith("1970-01-01", "2025-03-15", 140, 80), 0);
  EXPECT_EQ(ControlledWith("1970-01-01", "2025-03-15", 120, 90), 0);
  // Born on 29 February: 65 full years only from 1 March in a common year.
  EXPECT_EQ(ControlledWith("1960-02-29", "2025-02-28", 145, 85), 0);
  EXPECT_EQ(ControlledWith("1960-02-29", "2025-03-01", 145, 85), 1);
  // Born 1959-12-31 is 65 all through 2025 (and counts in the year).
  EXPECT_EQ(ControlledWith("1959-12-31", "2025-01-01", 145, 85), 1);
}

TEST(OracleTest, DiabetesControlledBelowSevenWithTies) {
  VillageRecords records;
  records[kV1] = {
      Glucose("a", "p1", "2025-06-01T08:00", 699),  // 6.99: on target
      Glucose("b", "p2", "2025-06-01T08:00", 700),  // 7.00: not
      Glucose("c", "p3", "2025-06-01T08:00", 650),
      Glucose("d", "p3", "2025-06-01T08:00",
              720),  // tie with an off-target one
      Glucose("e", "p4", "2025-05-01T08:00", 900),
      Glucose("f", "p4", "2025-06-02T08:00", 500),  // latest on target
  };
  OracleValues q2 = Compute(records, "2025-Q2");
  EXPECT_EQ(Get(q2, kV1, "diabetes_managed"), 4);
  EXPECT_EQ(Get(q2, kV1, "diabetes_standardized"), 4);
  EXPECT_EQ(Get(q2, kV1, "diabetes_controlled"), 2);  // p1, p4
  EXPECT_EQ(Get(q2, kV1, "diabetes_followups"), 6);
  OracleValues may = Compute(records, "2025-05");
  EXPECT_EQ(Get(may, kV1, "diabetes_managed"), 1);
  EXPECT_EQ(Get(may, kV1, "diabetes_controlled"), 0);
  OracleValues h1 = Compute(records, "2025-H1");
  EXPECT_EQ(Get(h1, kV1, "diabetes_standardized"), 2);  // R = 2: p3 and p4
}

TEST(OracleTest, DistinctCountsPeoplePerVillage) {
  VillageRecords records;
  records[kV1] = {
      New("c1", "child_health_check", "2025-03-01", "kid", "2022-01-01"),
      New("c2", "child_health_check", "2025-03-20", "kid", "2022-01-01"),
      New("s1", "family_doctor_signing", "2025-03-02", "a"),
      New("s2", "family_doctor_signing", "2025-03-02", "b")};
  records[kV2] = {
      New("c1", "child_health_check", "2025-03-01", "kid", "2022-01-01")};
  OracleValues v = Compute(records, "2025-03");
  EXPECT_EQ(Get(v, kV1, "child_health_checks"), 2);
  EXPECT_EQ(Get(v, kV1, "children_managed"), 1);
  EXPECT_EQ(Get(v, kV1, "family_doctor_signed"), 2);
  EXPECT_EQ(Get(v, kV1, "family_doctor_signings"), 2);
  // The same patient in two villages counts in each, and so twice in the
  // township.
  OracleValues township = RollUp(v, OrgLevel::kTownship);
  EXPECT_EQ(Get(township, "640522100", "children_managed"), 2);
}

TEST(OracleTest, RollUpToTownshipAndCounty) {
  VillageRecords records;
  records[kV1] = {Visit("a", "2025-03-01", 100), Visit("b", "2025-03-01", 201)};
  records[kV2] = {Visit("a", "2025-03-01", 1000)};
  records[kV3] = {Visit("a", "2025-03-01", 5)};
  OracleValues villages = Compute(records, "2025-03");
  EXPECT_EQ(OrgOf(kV1, OrgLevel::kVillage), kV1);
  EXPECT_EQ(OrgOf(kV1, OrgLevel::kTownship), "640522100");
  EXPECT_EQ(OrgOf(kV1, OrgLevel::kCounty), "640522");

  OracleValues townships = RollUp(villages, OrgLevel::kTownship);
  EXPECT_EQ(Get(townships, "640522100", "outpatient_visits"), 3);
  EXPECT_EQ(Get(townships, "640522100", "outpatient_cost_yuan"), 1301);
  EXPECT_EQ(FormatValue(townships, "640522100", "outpatient_cost_avg_yuan"),
            "4.34");
  EXPECT_EQ(Get(townships, "640522101", "outpatient_visits"), 1);

  OracleValues county = RollUp(villages, OrgLevel::kCounty);
  EXPECT_EQ(Get(county, "640522", "outpatient_visits"), 4);
  EXPECT_EQ(FormatValue(county, "640522", "outpatient_cost_yuan"), "13.06");
  // 1306 / 4 = 326.5 fen: half up.
  EXPECT_EQ(FormatValue(county, "640522", "outpatient_cost_avg_yuan"), "3.27");
  EXPECT_EQ(FormatValue(county, "640522", "outpatient_visits"), "4");
  EXPECT_EQ(RollUp(villages, OrgLevel::kVillage), villages);
  EXPECT_STREQ(LevelName(OrgLevel::kTownship), "township");
}

TEST(OracleTest, FormatsMoneyAndAverages) {
  EXPECT_EQ(FormatFen(0), "0.00");
  EXPECT_EQ(FormatFen(5), "0.05");
  EXPECT_EQ(FormatFen(100), "1.00");
  EXPECT_EQ(FormatFen(123456), "1234.56");
  EXPECT_EQ(FormatFen(-5), "-0.05");

  OracleValues v;
  EXPECT_EQ(FormatValue(v, "x", "outpatient_cost_avg_yuan"), "");  // no visits
  EXPECT_EQ(FormatValue(v, "x", "outpatient_visits"), "0");
  v[{"x", "outpatient_visits"}] = 2;
  v[{"x", "outpatient_cost_yuan"}] = 1;  // 0.5 fen -> 1 fen
  EXPECT_EQ(FormatValue(v, "x", "outpatient_cost_avg_yuan"), "0.01");
  v[{"x", "outpatient_visits"}] = 3;  // 0.33 fen -> 0
  EXPECT_EQ(FormatValue(v, "x", "outpatient_cost_avg_yuan"), "0.00");
  v[{"x", "outpatient_cost_yuan"}] = 5;  // 1.67 fen -> 2
  EXPECT_EQ(FormatValue(v, "x", "outpatient_cost_avg_yuan"), "0.02");
  v[{"x", "outpatient_cost_yuan"}] = 300000;  // exactly 1000 yuan
  EXPECT_EQ(FormatValue(v, "x", "outpatient_cost_avg_yuan"), "1000.00");
}

TEST(OracleTest, CodeListsFollowTheSpec) {
  EXPECT_EQ(CountIndicatorCodes().size(), 21u);
  EXPECT_EQ(DistinctIndicatorCodes().size(), 12u);
  VillageRecords records;
  records[kV1] = {};
  OracleValues year = Compute(records, "2025");
  EXPECT_EQ(year.size(), 33u);
  OracleValues range = Compute(records, "2025-01-01..2025-01-01");
  EXPECT_EQ(range.size(), 21u);
}

}  // namespace
}  // namespace sanji::test_support

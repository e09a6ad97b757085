// Tests of common/alert_rules.h: which records become notifiable-disease
// alerts, which of them are urgent, and what of a record an alert carries.
#include "common/alert_rules.h"

#include <string>

#include "absl/time/civil_time.h"
#include "common/period.h"
#include "common/vocabulary.h"
#include "gtest/gtest.h"

namespace sanji {
namespace {

int64_t Local(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::CivilSecond(y, mo, d, h, mi, s) -
         absl::CivilSecond(1970, 1, 1, 0, 0, 0);
}

int32_t Days(int y, int m, int d) {
  return DaysSinceEpoch(absl::CivilDay(y, m, d));
}

Record Report(const std::string& disease) {
  Record r;
  r.set_record_id("IDR-2025.06:01");
  r.set_kind("infectious_disease_report");
  r.set_occurred_at(Local(2025, 6, 1, 10, 0, 0));
  r.set_patient_id("HR-PATIENT-0042");
  r.set_sex("M");
  r.set_birth_date(Days(1990, 6, 1));
  r.set_icd10("A00.9");
  r.set_disease(disease);
  return r;
}

TEST(AlertRulesTest, UrgentDiseasesOfTheSpecAreUrgentReports) {
  // spec/records.md: class A, and class B managed as class A.
  struct Case {
    const char* code;
    char disease_class;
  };
  for (const Case& c : {Case{"plague", 'A'}, Case{"cholera", 'A'},
                        Case{"sars", 'B'}, Case{"anthrax_pulmonary", 'B'}}) {
    SCOPED_TRACE(c.code);
    Record r = Report(c.code);
    const DiseaseInfo* d = ReportedDisease(r);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->code, c.code);
    EXPECT_EQ(d->disease_class, c.disease_class);
    EXPECT_TRUE(d->urgent);
    EXPECT_EQ(DiseaseClassName(*d), std::string(1, c.disease_class));
    EXPECT_TRUE(IsUrgentReport(r));
  }
}

TEST(AlertRulesTest, OtherNotifiableDiseasesAreAlertsButNotUrgent) {
  struct Case {
    const char* code;
    const char* disease_class;
  };
  for (const Case& c :
       {Case{"anthrax", "B"}, Case{"measles", "B"}, Case{"tuberculosis", "B"},
        Case{"covid19", "B"}, Case{"h7n9", "B"}, Case{"influenza", "C"},
        Case{"hand_foot_mouth", "C"}, Case{"filariasis", "C"}}) {
    SCOPED_TRACE(c.code);
    Record r = Report(c.code);
    const DiseaseInfo* d = ReportedDisease(r);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->code, c.code);
    EXPECT_FALSE(d->urgent);
    EXPECT_EQ(DiseaseClassName(*d), c.disease_class);
    EXPECT_FALSE(IsUrgentReport(r));
  }
}

TEST(AlertRulesTest, EveryDiseaseOfTheListIsReportable) {
  int urgent = 0;
  for (const DiseaseInfo& d : Diseases()) {
    Record r = Report(std::string(d.code));
    EXPECT_EQ(ReportedDisease(r), &d) << d.code;
    EXPECT_EQ(IsUrgentReport(r), d.urgent) << d.code;
    if (d.urgent) ++urgent;
  }
  EXPECT_EQ(urgent, 4);  // plague, cholera, sars, anthrax_pulmonary
}

TEST(AlertRulesTest, VoidsAreNotUrgent) {
  for (const char* code : {"plague", "cholera", "sars", "anthrax_pulmonary"}) {
    Record v;
    v.set_record_id("IDR-1");
    v.set_is_void(true);
    v.set_kind("infectious_disease_report");
    EXPECT_FALSE(IsUrgentReport(v)) << code;
    // Even a void that (against its canonical form) names the disease.
    v.set_disease(code);
    EXPECT_FALSE(IsUrgentReport(v)) << code;
  }
}

TEST(AlertRulesTest, OtherKindsAndUnknownDiseasesAreNotAlerts) {
  for (const char* kind : {"outpatient_visit", "death_report", "tb_followup",
                           "referral", "health_education"}) {
    Record r = Report("cholera");
    r.set_kind(kind);
    EXPECT_EQ(ReportedDisease(r), nullptr) << kind;
    EXPECT_FALSE(IsUrgentReport(r)) << kind;
  }
  for (const char* disease : {"", "Cholera", "ebola", "cholera "}) {
    Record r = Report(disease);
    EXPECT_EQ(ReportedDisease(r), nullptr) << "'" << disease << "'";
    EXPECT_FALSE(IsUrgentReport(r)) << "'" << disease << "'";
  }
}

TEST(AlertRulesTest, DeidentifiedAlertCarriesTheCaseAndNotThePatient) {
  Record r = Report("cholera");
  r.set_sex("F");
  const DiseaseInfo* d = ReportedDisease(r);
  ASSERT_NE(d, nullptr);
  Alert a = DeidentifiedAlert("640522100201", r, *d);
  EXPECT_EQ(a.village_id(), "640522100201");
  EXPECT_EQ(a.record_id(), "IDR-2025.06:01");
  EXPECT_EQ(a.disease(), "cholera");
  EXPECT_EQ(a.disease_class(), "A");
  EXPECT_TRUE(a.urgent());
  EXPECT_EQ(a.occurred_at(), Local(2025, 6, 1, 10, 0, 0));
  EXPECT_EQ(a.sex(), "F");
  EXPECT_EQ(a.age_years(), 35);
  EXPECT_EQ(a.version(), 0u);
  EXPECT_FALSE(a.withdrawn());

  const std::string wire = a.SerializeAsString();
  EXPECT_EQ(wire.find("HR-PATIENT-0042"), std::string::npos);
  EXPECT_EQ(wire.find("PATIENT"), std::string::npos);
  EXPECT_EQ(a.DebugString().find("HR-PATIENT-0042"), std::string::npos);
  EXPECT_EQ(wire.find("A00.9"), std::string::npos);  // nor the diagnosis text
}

TEST(AlertRulesTest, NonUrgentAlertHasItsClass) {
  Record r = Report("sars");
  Alert sars = DeidentifiedAlert("640522100201", r, *ReportedDisease(r));
  EXPECT_EQ(sars.disease_class(), "B");
  EXPECT_TRUE(sars.urgent());

  r = Report("mumps");
  Alert mumps = DeidentifiedAlert("640522100202", r, *ReportedDisease(r));
  EXPECT_EQ(mumps.village_id(), "640522100202");
  EXPECT_EQ(mumps.disease(), "mumps");
  EXPECT_EQ(mumps.disease_class(), "C");
  EXPECT_FALSE(mumps.urgent());
  EXPECT_EQ(mumps.sex(), "M");
}

TEST(AlertRulesTest, AgeIsInFullYearsAtOccurredAt) {
  struct Case {
    absl::CivilDay birth;
    int64_t occurred_at;
    int age;
  };
  for (const Case& c : {
           // Birthday on the day of the case: already 35.
           Case{absl::CivilDay(1990, 6, 1), Local(2025, 6, 1, 0, 0, 0), 35},
           Case{absl::CivilDay(1990, 6, 1), Local(2025, 6, 1, 23, 59, 59), 35},
           // Birthday the day after: still 34.
           Case{absl::CivilDay(1990, 6, 2), Local(2025, 6, 1, 23, 59, 59), 34},
           // Birthday the day before: 35.
           Case{absl::CivilDay(1990, 5, 31), Local(2025, 6, 1, 0, 0, 0), 35},
           // The last second before the birthday.
           Case{absl::CivilDay(1990, 6, 1), Local(2025, 5, 31, 23, 59, 59), 34},
           // Across a year end.
           Case{absl::CivilDay(2000, 1, 1), Local(2024, 12, 31, 12, 0, 0), 24},
           Case{absl::CivilDay(2000, 12, 31), Local(2025, 1, 1, 12, 0, 0), 24},
           // Born the same day: 0.
           Case{absl::CivilDay(2025, 6, 1), Local(2025, 6, 1, 8, 0, 0), 0},
           Case{absl::CivilDay(2024, 6, 2), Local(2025, 6, 1, 8, 0, 0), 0},
       }) {
    SCOPED_TRACE(testing::Message()
                 << c.birth << " at " << c.occurred_at << " s");
    Record r = Report("plague");
    r.set_birth_date(DaysSinceEpoch(c.birth));
    r.set_occurred_at(c.occurred_at);
    Alert a = DeidentifiedAlert("640522100201", r, *ReportedDisease(r));
    EXPECT_EQ(a.age_years(), c.age);
    EXPECT_EQ(a.occurred_at(), c.occurred_at);
  }
}

TEST(AlertRulesTest, AgeIsMinusOneWithoutBirthDate) {
  Record r = Report("cholera");
  r.clear_birth_date();
  ASSERT_FALSE(r.has_birth_date());
  Alert a = DeidentifiedAlert("640522100201", r, *ReportedDisease(r));
  EXPECT_EQ(a.age_years(), -1);

  // Born on 1970-01-01 (birth_date 0) is a known birth date, not "unknown".
  r.set_birth_date(0);
  a = DeidentifiedAlert("640522100201", r, *ReportedDisease(r));
  EXPECT_EQ(a.age_years(), 55);
}

}  // namespace
}  // namespace sanji

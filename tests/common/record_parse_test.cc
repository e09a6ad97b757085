#include "common/record_parse.h"

#include <initializer_list>
#include <limits>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/period.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sanji {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const absl::CivilSecond kNow(2025, 6, 15, 12, 0, 0);

int64_t Local(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::CivilSecond(y, mo, d, h, mi, s) -
         absl::CivilSecond(1970, 1, 1, 0, 0, 0);
}

int32_t Days(int y, int m, int d) {
  return DaysSinceEpoch(absl::CivilDay(y, m, d));
}

using Cells = std::initializer_list<std::pair<const char*, const char*>>;

RawRow Row(Cells cells) {
  RawRow row;
  row.set_source("test.csv");
  row.set_line(2);
  for (const auto& [k, v] : cells) (*row.mutable_fields())[k] = v;
  return row;
}

// A valid row of `kind` with the person columns, plus `extra` (which overrides;
// an empty value removes the column).
RawRow Person(const char* kind, Cells extra = {}) {
  RawRow row = Row({{"record_id", "r1"},
                    {"kind", kind},
                    {"occurred_at", "2025-03-01T08:30"},
                    {"patient_id", "HR-0001"},
                    {"sex", "F"},
                    {"birth_date", "1950-05-06"}});
  for (const auto& [k, v] : extra) {
    if (std::string(v).empty()) {
      row.mutable_fields()->erase(k);
    } else {
      (*row.mutable_fields())[k] = v;
    }
  }
  return row;
}

Record ParseOk(const RawRow& row) {
  std::string bad = "not cleared";
  absl::StatusOr<Record> r = ParseRow(row, kNow, &bad);
  EXPECT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(bad, "");
  return r.ok() ? *r : Record();
}

// Expects the row to be refused for `column`; returns the message.
std::string Refused(const RawRow& row, const std::string& column) {
  std::string bad;
  absl::StatusOr<Record> r = ParseRow(row, kNow, &bad);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument)
      << "expected refusal of " << column << ", got "
      << (r.ok() ? r->DebugString() : "");
  EXPECT_EQ(bad, column) << r.status();
  return std::string(r.status().message());
}

// -----------------------------------------------------------------------------
// Whole records.

TEST(ParseRowTest, OutpatientVisitCanonicalForm) {
  Record r = ParseOk(
      Person("outpatient_visit", {{"cost_yuan", "12.3"}, {"icd10", "J06.9"}}));
  Record want;
  want.set_record_id("r1");
  want.set_kind("outpatient_visit");
  want.set_occurred_at(Local(2025, 3, 1, 8, 30));
  want.set_patient_id("HR-0001");
  want.set_sex("F");
  want.set_birth_date(Days(1950, 5, 6));
  want.set_cost_fen(1230);
  want.set_icd10("J06.9");
  EXPECT_EQ(r.SerializeAsString(), want.SerializeAsString())
      << r.DebugString() << "\nvs\n"
      << want.DebugString();
  EXPECT_FALSE(r.is_void());
  EXPECT_FALSE(r.has_dose());
  EXPECT_FALSE(r.has_participants());
}

TEST(ParseRowTest, CellsAreTrimmedAndEmptyCellsAbsent) {
  Record r = ParseOk(Person("outpatient_visit", {{"record_id", " r1 "},
                                                 {"cost_yuan", " 5 "},
                                                 {"icd10", "   "},
                                                 {"systolic", " "},
                                                 {"sex", "\t女 "}}));
  EXPECT_EQ(r.record_id(), "r1");
  EXPECT_EQ(r.cost_fen(), 500);
  EXPECT_EQ(r.icd10(), "");
  EXPECT_FALSE(r.has_systolic());
  EXPECT_EQ(r.sex(), "F");
}

TEST(ParseRowTest, NonPersonKindNeedsNoPersonColumns) {
  Record r = ParseOk(Row({{"record_id", "e1"},
                          {"kind", "health_education"},
                          {"occurred_at", "2025-03-01"},
                          {"participants", "35"}}));
  EXPECT_EQ(r.kind(), "health_education");
  EXPECT_EQ(r.participants(), 35);
  EXPECT_EQ(r.occurred_at(), Local(2025, 3, 1));
  EXPECT_EQ(r.patient_id(), "");
  EXPECT_FALSE(r.has_birth_date());
  ParseOk(Row({{"record_id", "s1"},
               {"kind", "supervision_patrol"},
               {"occurred_at", "2025-03-01"}}));
}

TEST(ParseRowTest, NonPersonKindValidatesPersonColumnsWhenPresent) {
  RawRow base = Row({{"record_id", "e1"},
                     {"kind", "health_education"},
                     {"occurred_at", "2025-03-01"},
                     {"participants", "35"}});
  RawRow row = base;
  (*row.mutable_fields())["patient_id"] = "11010519491231002X";
  Refused(row, "patient_id");
  row = base;
  (*row.mutable_fields())["sex"] = "U";
  Refused(row, "sex");
  row = base;
  (*row.mutable_fields())["birth_date"] = "2025-02-29";
  Refused(row, "birth_date");
  row = base;
  (*row.mutable_fields())["birth_date"] = "2025-03-02";
  Refused(row, "birth_date");
  row = base;
  (*row.mutable_fields())["sex"] = "男";
  (*row.mutable_fields())["patient_id"] = "HR-9";
  (*row.mutable_fields())["birth_date"] = "1980-01-01";
  Record r = ParseOk(row);
  EXPECT_EQ(r.sex(), "M");
  EXPECT_EQ(r.patient_id(), "HR-9");
  EXPECT_EQ(r.birth_date(), Days(1980, 1, 1));
}

TEST(ParseRowTest, OptionalTypedColumnsOnOtherKindsAreStoredAndValidated) {
  Record r = ParseOk(Person("outpatient_visit", {{"cost_yuan", "8"},
                                                 {"systolic", "150"},
                                                 {"diastolic", "95"},
                                                 {"fasting_glucose", "6.1"},
                                                 {"disease", "influenza"},
                                                 {"referred_to", "county"},
                                                 {"vaccine", "HepB"},
                                                 {"dose", "1"},
                                                 {"participants", "1"}}));
  EXPECT_EQ(r.systolic(), 150);
  EXPECT_EQ(r.diastolic(), 95);
  EXPECT_EQ(r.fasting_glucose_centi(), 610);
  EXPECT_EQ(r.disease(), "influenza");
  EXPECT_EQ(r.referred_to(), "county");
  EXPECT_EQ(r.vaccine(), "HepB");
  EXPECT_EQ(r.dose(), 1);
  EXPECT_EQ(r.participants(), 1);
  Record v = ParseOk(
      Person("vaccination",
             {{"vaccine", "BCG"}, {"dose", "1"}, {"cost_yuan", "0.5"}}));
  EXPECT_EQ(v.cost_fen(), 50);

  Refused(Person("outpatient_visit", {{"cost_yuan", "8"}, {"systolic", "30"}}),
          "systolic");
  Refused(Person("outpatient_visit", {{"cost_yuan", "8"}, {"disease", "cold"}}),
          "disease");
  Refused(
      Person("outpatient_visit", {{"cost_yuan", "8"}, {"referred_to", "home"}}),
      "referred_to");
  Refused(Person("outpatient_visit",
                 {{"cost_yuan", "8"}, {"fasting_glucose", "50"}}),
          "fasting_glucose");
  Refused(Person("outpatient_visit", {{"cost_yuan", "8"}, {"dose", "0"}}),
          "dose");
  Refused(Person("outpatient_visit", {{"cost_yuan", "8"}, {"vaccine", "a b"}}),
          "vaccine");
  Refused(
      Person("outpatient_visit", {{"cost_yuan", "8"}, {"participants", "0"}}),
      "participants");
  Refused(Person("vaccination",
                 {{"vaccine", "BCG"}, {"dose", "1"}, {"cost_yuan", "-1"}}),
          "cost_yuan");
}

TEST(ParseRowTest, ColumnsNotInTheSpecAreIgnored) {
  Record r = ParseOk(Person("health_record_created", {{"note", "whatever"}}));
  EXPECT_EQ(r.kind(), "health_record_created");
}

// -----------------------------------------------------------------------------
// record_id, action, kind.

TEST(RecordIdTest, Rules) {
  Refused(Person("health_record_created", {{"record_id", ""}}), "record_id");
  EXPECT_THAT(Refused(Person("health_record_created", {{"record_id", "a b"}}),
                      "record_id"),
              HasSubstr("'a b'"));
  Refused(Person("health_record_created", {{"record_id", "a/b"}}), "record_id");
  Refused(Person("health_record_created", {{"record_id", "编号1"}}),
          "record_id");
  Refused(Person("health_record_created",
                 {{"record_id", std::string(65, 'a').c_str()}}),
          "record_id");
  EXPECT_EQ(ParseOk(Person("health_record_created",
                           {{"record_id", std::string(64, 'a').c_str()}}))
                .record_id(),
            std::string(64, 'a'));
  EXPECT_EQ(ParseOk(Person("health_record_created",
                           {{"record_id", "V01.2025:0001_a-B"}}))
                .record_id(),
            "V01.2025:0001_a-B");
  // Missing record_id is reported before anything else.
  Refused(Row({{"kind", "bogus"}}), "record_id");
}

TEST(ActionTest, NewIsDefaultAndCaseInsensitive) {
  EXPECT_FALSE(
      ParseOk(Person("health_record_created", {{"action", "new"}})).is_void());
  EXPECT_FALSE(
      ParseOk(Person("health_record_created", {{"action", "NEW"}})).is_void());
  EXPECT_FALSE(ParseOk(Person("health_record_created")).is_void());
  EXPECT_THAT(Refused(Person("health_record_created", {{"action", "delete"}}),
                      "action"),
              HasSubstr("'delete'"));
}

TEST(ActionTest, VoidRowCarriesOnlyIdAndKind) {
  Record r = ParseOk(Row({{"record_id", "r9"},
                          {"action", "Void"},
                          {"kind", "outpatient_visit"},
                          {"occurred_at", "not a date"},
                          {"cost_yuan", "-5"},
                          {"patient_id", "11010519491231002X"},
                          {"sex", "?"}}));
  Record want;
  want.set_record_id("r9");
  want.set_is_void(true);
  want.set_kind("outpatient_visit");
  EXPECT_EQ(r.SerializeAsString(), want.SerializeAsString()) << r.DebugString();

  Refused(Row({{"record_id", "r9"}, {"action", "void"}}), "kind");
  Refused(Row({{"record_id", "r9"}, {"action", "void"}, {"kind", "nope"}}),
          "kind");
  Refused(Row({{"action", "void"}, {"kind", "referral"}}), "record_id");
}

TEST(KindTest, Rules) {
  Refused(Person("health_record_created", {{"kind", ""}}), "kind");
  EXPECT_THAT(Refused(Person("visit"), "kind"), HasSubstr("'visit'"));
  EXPECT_THAT(Refused(Person("visit"), "kind"), HasSubstr("outpatient_visit"));
  EXPECT_EQ(ParseOk(Person("Health_Record_Created")).kind(),
            "health_record_created");
}

// -----------------------------------------------------------------------------
// occurred_at.

TEST(OccurredAtTest, Formats) {
  EXPECT_EQ(
      ParseOk(Person("health_record_created", {{"occurred_at", "2025-03-01"}}))
          .occurred_at(),
      Local(2025, 3, 1));
  EXPECT_EQ(ParseOk(Person("health_record_created",
                           {{"occurred_at", "2025-03-01T08:30"}}))
                .occurred_at(),
            Local(2025, 3, 1, 8, 30));
  EXPECT_EQ(ParseOk(Person("health_record_created",
                           {{"occurred_at", "2025-03-01T23:59:59"}}))
                .occurred_at(),
            Local(2025, 3, 1, 23, 59, 59));
  EXPECT_EQ(ParseOk(Person("health_record_created",
                           {{"occurred_at", "2025-03-01 08:30:15"}}))
                .occurred_at(),
            Local(2025, 3, 1, 8, 30, 15));
  EXPECT_EQ(ParseOk(Person("health_record_created",
                           {{"occurred_at", "2024-02-29 00:00"}}))
                .occurred_at(),
            Local(2024, 2, 29));
  // Local civil seconds, not shifted by the +8 offset.
  EXPECT_EQ(ParseOk(Person("health_record_created",
                           {{"occurred_at", "2025-01-01T00:00"}}))
                    .occurred_at() %
                86400,
            0);
}

TEST(OccurredAtTest, InvalidValuesRefused) {
  for (const char* bad :
       {"2025-02-29", "2025-02-30", "2025-13-01", "2025-00-10", "2025-3-1",
        "2025/03/01", "20250301", "2025-03-01T24:00", "2025-03-01T08:60",
        "2025-03-01T08:30:60", "2025-03-01T8:30", "2025-03-01T08",
        "2025-03-01T08:30:1", "2025-03-01X08:30", "2025-03-01  08:30",
        "yesterday", "2025-03-01T08:30Z"}) {
    std::string msg = Refused(
        Person("health_record_created", {{"occurred_at", bad}}), "occurred_at");
    EXPECT_THAT(msg, HasSubstr(std::string("'") + bad + "'"));
    EXPECT_THAT(msg, HasSubstr("YYYY-MM-DD"));
  }
  Refused(Person("health_record_created", {{"occurred_at", ""}}),
          "occurred_at");
}

TEST(OccurredAtTest, Bounds) {
  Refused(
      Person("health_record_created", {{"occurred_at", "1999-12-31T23:59:59"}}),
      "occurred_at");
  ParseOk(Person("health_record_created", {{"occurred_at", "2000-01-01"}}));
  // now is 2025-06-15T12:00:00; one day after it is the latest allowed.
  ParseOk(Person("health_record_created",
                 {{"occurred_at", "2025-06-16T12:00:00"}}));
  std::string msg = Refused(
      Person("health_record_created", {{"occurred_at", "2025-06-16T12:00:01"}}),
      "occurred_at");
  EXPECT_THAT(msg, HasSubstr("2025-06-16T12:00:01"));
  EXPECT_THAT(msg, HasSubstr("future"));
  Refused(Person("health_record_created", {{"occurred_at", "2025-06-17"}}),
          "occurred_at");
}

// -----------------------------------------------------------------------------
// Person columns.

TEST(PersonTest, RequiredForPersonKinds) {
  for (const char* column : {"patient_id", "sex", "birth_date"}) {
    EXPECT_THAT(
        Refused(Person("health_record_created", {{column, ""}}), column),
        HasSubstr("required"));
    Refused(Person("referral", {{"referred_to", "township"}, {column, ""}}),
            column);
  }
}

TEST(PersonTest, ResidentIdNumberIsRefused) {
  for (const char* id :
       {"11010519491231002X", "11010519491231002x", "440524188001010014"}) {
    std::string msg = Refused(
        Person("health_record_created", {{"patient_id", id}}), "patient_id");
    EXPECT_THAT(msg, HasSubstr("identity number"));
    EXPECT_THAT(msg, HasSubstr("health-record number"));
    EXPECT_THAT(msg, Not(HasSubstr(id)));  // the number itself is not echoed
  }
  // Wrong check character: not an identity number, so it is accepted as a
  // patient id.
  EXPECT_EQ(ParseOk(Person("health_record_created",
                           {{"patient_id", "110105194912310021"}}))
                .patient_id(),
            "110105194912310021");
  EXPECT_EQ(ParseOk(Person("health_record_created",
                           {{"patient_id", "11010519491231002Y"}}))
                .patient_id(),
            "11010519491231002Y");
}

TEST(PersonTest, IsResidentIdNumber) {
  EXPECT_TRUE(IsResidentIdNumber("11010519491231002X"));
  EXPECT_TRUE(IsResidentIdNumber("11010519491231002x"));
  EXPECT_TRUE(IsResidentIdNumber("440524188001010014"));
  EXPECT_TRUE(IsResidentIdNumber("32010219900307451X"));
  EXPECT_FALSE(IsResidentIdNumber("110105194912310021"));
  EXPECT_FALSE(IsResidentIdNumber("440524188001010015"));
  EXPECT_FALSE(IsResidentIdNumber("44052418800101001"));    // 17 chars
  EXPECT_FALSE(IsResidentIdNumber("4405241880010100140"));  // 19 chars
  EXPECT_FALSE(IsResidentIdNumber("44052418800101001A"));
  EXPECT_FALSE(IsResidentIdNumber("X40524188001010014"));
  EXPECT_FALSE(IsResidentIdNumber(""));
}

TEST(PersonTest, PatientIdShape) {
  Refused(Person("health_record_created",
                 {{"patient_id", std::string(65, 'p').c_str()}}),
          "patient_id");
  ParseOk(Person("health_record_created",
                 {{"patient_id", std::string(64, 'p').c_str()}}));
  Refused(Person("health_record_created", {{"patient_id",
                                            "HR\x01"
                                            "1"}}),
          "patient_id");
  Refused(Person("health_record_created", {{"patient_id", "HR\n1"}}),
          "patient_id");
  // Characters, not bytes: 21 Chinese characters are 63 bytes; 22 are 66 bytes
  // but still ok.
  std::string chinese;
  for (int i = 0; i < 22; ++i) chinese += "档";
  EXPECT_EQ(ParseOk(Person("health_record_created",
                           {{"patient_id", chinese.c_str()}}))
                .patient_id(),
            chinese);
}

TEST(PersonTest, Sex) {
  for (const char* m : {"M", "m", "男", "1"}) {
    EXPECT_EQ(ParseOk(Person("health_record_created", {{"sex", m}})).sex(), "M")
        << m;
  }
  for (const char* f : {"F", "f", "女", "2"}) {
    EXPECT_EQ(ParseOk(Person("health_record_created", {{"sex", f}})).sex(), "F")
        << f;
  }
  for (const char* bad : {"0", "9", "X", "男性", "male", "MF"}) {
    EXPECT_THAT(Refused(Person("health_record_created", {{"sex", bad}}), "sex"),
                HasSubstr(std::string("'") + bad + "'"));
  }
}

TEST(PersonTest, BirthDate) {
  EXPECT_EQ(
      ParseOk(Person("health_record_created", {{"birth_date", "2024-02-29"}}))
          .birth_date(),
      Days(2024, 2, 29));
  EXPECT_EQ(
      ParseOk(Person("health_record_created", {{"birth_date", "1900-01-01"}}))
          .birth_date(),
      Days(1900, 1, 1));
  for (const char* bad : {"2025-02-29", "1950-5-6", "1950/05/06",
                          "1950-05-06T00:00", "19500506"}) {
    EXPECT_THAT(Refused(Person("health_record_created", {{"birth_date", bad}}),
                        "birth_date"),
                HasSubstr(std::string("'") + bad + "'"));
  }
  EXPECT_THAT(
      Refused(Person("health_record_created", {{"birth_date", "1899-12-31"}}),
              "birth_date"),
      HasSubstr("1900-01-01"));
  // Born on the day of the event is fine (a newborn); a day later is not.
  ParseOk(Person("health_record_created", {{"occurred_at", "2025-03-01T08:30"},
                                           {"birth_date", "2025-03-01"}}));
  Refused(Person("health_record_created", {{"occurred_at", "2025-03-01T23:59"},
                                           {"birth_date", "2025-03-02"}}),
          "birth_date");
}

// -----------------------------------------------------------------------------
// Numbers.

TEST(CostTest, ExactFen) {
  auto fen = [](const char* text) {
    return ParseOk(Person("outpatient_visit", {{"cost_yuan", text}}))
        .cost_fen();
  };
  EXPECT_EQ(fen("12.3"), 1230);
  EXPECT_EQ(fen("12.30"), 1230);
  EXPECT_EQ(fen("0.1"), 10);
  EXPECT_EQ(fen("0.07"), 7);
  EXPECT_EQ(fen("0"), 0);
  EXPECT_EQ(fen("0.00"), 0);
  EXPECT_EQ(fen("007.5"), 750);
  EXPECT_EQ(fen("19.99"), 1999);
  EXPECT_EQ(fen("100000000"), int64_t{10000000000});
  EXPECT_EQ(fen("100000000.00"), int64_t{10000000000});
}

TEST(CostTest, Refusals) {
  for (const char* bad :
       {"1.005", "12.345", "-1", "-0.01", "100000000.01", "1e3", "12.", ".5",
        "1,234", "abc", "¥12", "12元", "+5", "99999999999999999999999999",
        "1.2.3", " - 1"}) {
    EXPECT_THAT(
        Refused(Person("outpatient_visit", {{"cost_yuan", bad}}), "cost_yuan"),
        HasSubstr("cost_yuan"))
        << bad;
  }
  EXPECT_THAT(Refused(Person("outpatient_visit", {{"cost_yuan", "1.005"}}),
                      "cost_yuan"),
              HasSubstr("'1.005'"));
  EXPECT_THAT(Refused(Person("outpatient_visit", {{"cost_yuan", "1.005"}}),
                      "cost_yuan"),
              HasSubstr("2 decimal places"));
}

TEST(CostTest, RequiredForVisitsAndAdmissions) {
  Refused(Person("outpatient_visit"), "cost_yuan");
  Refused(Person("inpatient_admission"), "cost_yuan");
  EXPECT_EQ(ParseOk(Person("inpatient_admission", {{"cost_yuan", "3500.5"}}))
                .cost_fen(),
            350050);
  EXPECT_FALSE(ParseOk(Person("prenatal_visit")).has_cost_fen());
}

TEST(IcdTest, Length) {
  EXPECT_EQ(ParseOk(Person("death_report", {{"icd10", "I21.9"}})).icd10(),
            "I21.9");
  ParseOk(Person("death_report", {{"icd10", std::string(32, 'A').c_str()}}));
  Refused(Person("death_report", {{"icd10", std::string(33, 'A').c_str()}}),
          "icd10");
  std::string zh;
  for (int i = 0; i < 32; ++i) zh += "病";
  EXPECT_EQ(ParseOk(Person("death_report", {{"icd10", zh.c_str()}})).icd10(),
            zh);
}

TEST(VaccinationTest, Rules) {
  Record r =
      ParseOk(Person("vaccination", {{"vaccine", "DTaP"}, {"dose", "3"}}));
  EXPECT_EQ(r.vaccine(), "DTaP");
  EXPECT_EQ(r.dose(), 3);
  EXPECT_EQ(ParseOk(Person("vaccination",
                           {{"vaccine", "HepB_10-ug"}, {"dose", "99"}}))
                .dose(),
            99);
  Refused(Person("vaccination", {{"dose", "1"}}), "vaccine");
  Refused(Person("vaccination", {{"vaccine", "BCG"}}), "dose");
  for (const char* bad : {"Hep B", "乙肝", "HepB!", "HepB.1"}) {
    Refused(Person("vaccination", {{"vaccine", bad}, {"dose", "1"}}),
            "vaccine");
  }
  Refused(Person("vaccination",
                 {{"vaccine", std::string(33, 'V').c_str()}, {"dose", "1"}}),
          "vaccine");
  ParseOk(Person("vaccination",
                 {{"vaccine", std::string(32, 'V').c_str()}, {"dose", "1"}}));
  for (const char* bad :
       {"0", "100", "-1", "1.0", "1.5", "+1", "one", "1e1", "99999999999"}) {
    EXPECT_THAT(
        Refused(Person("vaccination", {{"vaccine", "BCG"}, {"dose", bad}}),
                "dose"),
        HasSubstr(std::string("'") + bad + "'"));
  }
  EXPECT_EQ(ParseOk(Person("vaccination", {{"vaccine", "BCG"}, {"dose", "01"}}))
                .dose(),
            1);
}

TEST(HypertensionTest, Rules) {
  Record r = ParseOk(Person("hypertension_followup",
                            {{"systolic", "138"}, {"diastolic", "88"}}));
  EXPECT_EQ(r.systolic(), 138);
  EXPECT_EQ(r.diastolic(), 88);
  Refused(Person("hypertension_followup", {{"diastolic", "88"}}), "systolic");
  Refused(Person("hypertension_followup", {{"systolic", "138"}}), "diastolic");
  ParseOk(Person("hypertension_followup",
                 {{"systolic", "40"}, {"diastolic", "300"}}));
  ParseOk(Person("hypertension_followup",
                 {{"systolic", "300"}, {"diastolic", "40"}}));
  Refused(Person("hypertension_followup",
                 {{"systolic", "39"}, {"diastolic", "88"}}),
          "systolic");
  Refused(Person("hypertension_followup",
                 {{"systolic", "301"}, {"diastolic", "88"}}),
          "systolic");
  Refused(Person("hypertension_followup",
                 {{"systolic", "120"}, {"diastolic", "39"}}),
          "diastolic");
  Refused(Person("hypertension_followup",
                 {{"systolic", "120"}, {"diastolic", "301"}}),
          "diastolic");
  Refused(Person("hypertension_followup",
                 {{"systolic", "120.5"}, {"diastolic", "80"}}),
          "systolic");
}

TEST(DiabetesTest, Rules) {
  auto centi = [](const char* text) {
    return ParseOk(Person("diabetes_followup", {{"fasting_glucose", text}}))
        .fasting_glucose_centi();
  };
  EXPECT_EQ(centi("6.99"), 699);
  EXPECT_EQ(centi("7"), 700);
  EXPECT_EQ(centi("7.0"), 700);
  EXPECT_EQ(centi("5.6"), 560);
  EXPECT_EQ(centi("1.0"), 100);
  EXPECT_EQ(centi("40.0"), 4000);
  EXPECT_EQ(centi("40"), 4000);
  Refused(Person("diabetes_followup"), "fasting_glucose");
  for (const char* bad :
       {"0.99", "40.01", "6.999", "-6", "abc", "6,5", "1e1"}) {
    EXPECT_THAT(Refused(Person("diabetes_followup", {{"fasting_glucose", bad}}),
                        "fasting_glucose"),
                HasSubstr(std::string("'") + bad + "'"));
  }
}

TEST(DiseaseTest, Rules) {
  EXPECT_EQ(
      ParseOk(Person("infectious_disease_report", {{"disease", "measles"}}))
          .disease(),
      "measles");
  EXPECT_EQ(
      ParseOk(Person("infectious_disease_report", {{"disease", "Cholera"}}))
          .disease(),
      "cholera");
  Refused(Person("infectious_disease_report"), "disease");
  EXPECT_THAT(Refused(Person("infectious_disease_report", {{"disease", "flu"}}),
                      "disease"),
              HasSubstr("'flu'"));
  Refused(Person("infectious_disease_report", {{"disease", "麻疹"}}),
          "disease");
}

TEST(HealthEducationTest, Participants) {
  auto row = [](const char* p) {
    return Row({{"record_id", "e1"},
                {"kind", "health_education"},
                {"occurred_at", "2025-03-01"},
                {"participants", p}});
  };
  EXPECT_EQ(ParseOk(row("1")).participants(), 1);
  EXPECT_EQ(ParseOk(row("1000000")).participants(), 1000000);
  for (const char* bad :
       {"0", "-3", "1000001", "12.0", "+5", "ten", "4294967297"}) {
    Refused(row(bad), "participants");
  }
  Refused(Row({{"record_id", "e1"},
               {"kind", "health_education"},
               {"occurred_at", "2025-03-01"}}),
          "participants");
}

TEST(ReferralTest, Targets) {
  for (const char* t : {"township", "county", "outside"}) {
    EXPECT_EQ(ParseOk(Person("referral", {{"referred_to", t}})).referred_to(),
              t);
  }
  EXPECT_EQ(
      ParseOk(Person("referral", {{"referred_to", "County"}})).referred_to(),
      "county");
  Refused(Person("referral"), "referred_to");
  EXPECT_THAT(
      Refused(Person("referral", {{"referred_to", "hospital"}}), "referred_to"),
      HasSubstr("'hospital'"));
}

// -----------------------------------------------------------------------------
// Age rules.

TEST(AgeTest, ChildHealthCheckUnderSeven) {
  // Born 2018-03-01: 6 on 2025-02-28, 7 on 2025-03-01.
  ParseOk(Person(
      "child_health_check",
      {{"birth_date", "2018-03-01"}, {"occurred_at", "2025-02-28T23:59:59"}}));
  std::string msg = Refused(
      Person("child_health_check",
             {{"birth_date", "2018-03-01"}, {"occurred_at", "2025-03-01"}}),
      "birth_date");
  EXPECT_THAT(msg, HasSubstr("0-6"));
  EXPECT_THAT(msg, HasSubstr(" 7 "));
  // A newborn (age 0) is fine.
  ParseOk(Person("child_health_check", {{"birth_date", "2025-03-01"},
                                        {"occurred_at", "2025-03-01"}}));
}

TEST(AgeTest, ElderlyHealthCheckSixtyFiveOrMore) {
  // Born 1960-03-01: 64 on 2025-02-28, 65 on 2025-03-01.
  std::string msg = Refused(
      Person("elderly_health_check", {{"birth_date", "1960-03-01"},
                                      {"occurred_at", "2025-02-28T23:59"}}),
      "birth_date");
  EXPECT_THAT(msg, HasSubstr("65"));
  EXPECT_THAT(msg, HasSubstr(" 64 "));
  ParseOk(Person(
      "elderly_health_check",
      {{"birth_date", "1960-03-01"}, {"occurred_at", "2025-03-01T00:00"}}));
  // Other kinds have no age rule.
  ParseOk(Person("outpatient_visit",
                 {{"birth_date", "2025-01-01"}, {"cost_yuan", "1"}}));
  ParseOk(Person("prenatal_visit", {{"birth_date", "1920-01-01"}}));
}

TEST(AgeTest, LeapDayBirthday) {
  // Born 1960-02-29: in 2025 (no Feb 29) the 65th birthday counts from
  // 2025-03-01.
  Refused(Person("elderly_health_check", {{"birth_date", "1960-02-29"},
                                          {"occurred_at", "2025-02-28T12:00"}}),
          "birth_date");
  ParseOk(Person(
      "elderly_health_check",
      {{"birth_date", "1960-02-29"}, {"occurred_at", "2025-03-01T00:00"}}));
}

// -----------------------------------------------------------------------------
// ValidateRecord on records from peers.

Record GoodRecord() {
  Record r;
  r.set_record_id("r1");
  r.set_kind("hypertension_followup");
  r.set_occurred_at(Local(2025, 3, 1, 9));
  r.set_patient_id("HR-1");
  r.set_sex("M");
  r.set_birth_date(Days(1950, 1, 1));
  r.set_systolic(135);
  r.set_diastolic(85);
  return r;
}

std::string Invalid(const Record& r, const std::string& column) {
  std::string bad;
  absl::Status s = ValidateRecord(r, kNow, &bad);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << r.DebugString();
  EXPECT_EQ(bad, column) << s;
  return std::string(s.message());
}

TEST(ValidateRecordTest, GoodRecordPasses) {
  std::string bad = "x";
  EXPECT_TRUE(ValidateRecord(GoodRecord(), kNow, &bad).ok());
  EXPECT_EQ(bad, "");
  EXPECT_TRUE(ValidateRecord(GoodRecord(), kNow, nullptr).ok());
  Record v;
  v.set_record_id("r1");
  v.set_is_void(true);
  v.set_kind("referral");
  EXPECT_TRUE(ValidateRecord(v, kNow, &bad).ok());
}

TEST(ValidateRecordTest, UntrustedFieldsChecked) {
  Record r = GoodRecord();
  r.set_record_id("bad id");
  Invalid(r, "record_id");
  r = GoodRecord();
  r.set_kind("Hypertension_Followup");  // not canonical
  Invalid(r, "kind");
  r = GoodRecord();
  r.set_sex("男");  // not canonical
  Invalid(r, "sex");
  r = GoodRecord();
  r.clear_occurred_at();
  Invalid(r, "occurred_at");
  r = GoodRecord();
  r.set_occurred_at(Local(2025, 6, 16, 12, 0, 1));
  Invalid(r, "occurred_at");
  r = GoodRecord();
  r.set_patient_id("11010519491231002X");
  Invalid(r, "patient_id");
  r = GoodRecord();
  r.clear_patient_id();
  Invalid(r, "patient_id");
  r = GoodRecord();
  r.clear_birth_date();
  Invalid(r, "birth_date");
  r = GoodRecord();
  r.set_birth_date(Days(2025, 3, 2));
  Invalid(r, "birth_date");
  r = GoodRecord();
  r.clear_systolic();
  Invalid(r, "systolic");
  r = GoodRecord();
  r.set_diastolic(301);
  EXPECT_THAT(Invalid(r, "diastolic"), HasSubstr("'301'"));
  r = GoodRecord();
  r.set_cost_fen(-1);
  EXPECT_THAT(Invalid(r, "cost_yuan"), HasSubstr("'-0.01'"));
  r = GoodRecord();
  r.set_cost_fen(int64_t{10000000001});
  EXPECT_THAT(Invalid(r, "cost_yuan"), HasSubstr("'100000000.01'"));
  r = GoodRecord();
  r.set_fasting_glucose_centi(99);
  EXPECT_THAT(Invalid(r, "fasting_glucose"), HasSubstr("'0.99'"));
  r = GoodRecord();
  r.set_icd10(
      std::string("I\x01"
                  "0"));
  Invalid(r, "icd10");
  r = GoodRecord();
  r.set_disease("Measles");
  Invalid(r, "disease");
  r = GoodRecord();
  r.set_referred_to("County");
  Invalid(r, "referred_to");
  r = GoodRecord();
  r.set_participants(0);
  Invalid(r, "participants");
  r = GoodRecord();
  r.set_dose(100);
  Invalid(r, "dose");
  r = GoodRecord();
  r.set_vaccine("Hep B");
  Invalid(r, "vaccine");
}

TEST(ValidateRecordTest, ExtremeValuesFromPeers) {
  Record r = GoodRecord();
  r.set_occurred_at(std::numeric_limits<int64_t>::max());
  Invalid(r, "occurred_at");
  r.set_occurred_at(std::numeric_limits<int64_t>::min());
  Invalid(r, "occurred_at");
  r = GoodRecord();
  r.set_birth_date(std::numeric_limits<int32_t>::min());
  Invalid(r, "birth_date");
  r.set_birth_date(std::numeric_limits<int32_t>::max());
  Invalid(r, "birth_date");
  r = GoodRecord();
  r.set_cost_fen(std::numeric_limits<int64_t>::min());
  Invalid(r, "cost_yuan");
  r = GoodRecord();
  r.set_systolic(std::numeric_limits<int32_t>::min());
  Invalid(r, "systolic");
  r = GoodRecord();
  r.set_patient_id(std::string("HR\xFF"));  // not UTF-8
  Invalid(r, "patient_id");
}

TEST(ValidateRecordTest, VoidMustBeBare) {
  Record v;
  v.set_record_id("r1");
  v.set_is_void(true);
  v.set_kind("referral");
  Record extra = v;
  extra.set_patient_id("HR-1");
  Invalid(extra, "patient_id");
  extra = v;
  extra.set_occurred_at(Local(2025, 3, 1));
  Invalid(extra, "occurred_at");
  extra = v;
  extra.set_cost_fen(0);
  Invalid(extra, "cost_yuan");
  extra = v;
  extra.set_kind("");
  Invalid(extra, "kind");
}

TEST(ValidateRecordTest, AgeRules) {
  Record r = GoodRecord();
  r.clear_systolic();
  r.clear_diastolic();
  r.set_kind("elderly_health_check");
  r.set_birth_date(Days(1960, 3, 2));
  r.set_occurred_at(Local(2025, 3, 1, 23, 59, 59));
  Invalid(r, "birth_date");
  r.set_birth_date(Days(1960, 3, 1));
  EXPECT_TRUE(ValidateRecord(r, kNow, nullptr).ok());
}

TEST(NowLocalTest, IsUtcPlusEight) {
  absl::CivilSecond utc = absl::ToCivilSecond(absl::Now(), absl::UTCTimeZone());
  int64_t diff = NowLocal() - utc;
  EXPECT_GE(diff, 8 * 3600 - 5);
  EXPECT_LE(diff, 8 * 3600 + 5);
}

// Every refusal carries a reason code with a zh-CN sentence of its own (the
// clinic page's), not the generic fallback, and keeps its English reason.
TEST(ReasonZhTest, EveryRefusalHasItsChineseSentence) {
  struct Case {
    RawRow row;
    const char* code;
    const char* column;
    const char* zh;
  };
  const Case cases[] = {
      {Person("hypertension_followup",
              {{"systolic", "999"}, {"diastolic", "80"}}),
       "bad_number", "systolic", "收缩压须为 40-300 的整数 (mmHg)"},
      {Person("hypertension_followup",
              {{"systolic", "12a"}, {"diastolic", "80"}}),
       "bad_number", "systolic", "收缩压须为 40-300 的整数 (mmHg)"},
      {Person("outpatient_visit", {{"cost_yuan", "1.234"}}), "bad_number",
       "cost_yuan", "费用须为 0-100000000 元, 最多两位小数 (如 12.50)"},
      {Person("outpatient_visit"), "missing", "cost_yuan", "请填写费用 (元)"},
      {Person("outpatient_visit", {{"cost_yuan", "1"}, {"patient_id", ""}}),
       "missing", "patient_id", "请填写健康档案编号"},
      {Person("outpatient_visit", {{"cost_yuan", "1"}, {"sex", "X"}}),
       "bad_sex", "sex", "性别须为 男 或 女 (也可写 M/F 或 1/2)"},
      {Person("outpatient_visit",
              {{"cost_yuan", "1"}, {"patient_id", "11010519491231002X"}}),
       "resident_id_number", "patient_id",
       "这是身份证号, 身份证号不得离开卫生室: 请填写健康档案编号"},
      {Person("outpatient_visit",
              {{"cost_yuan", "1"}, {"occurred_at", "2025-02-30"}}),
       "bad_date_time", "occurred_at",
       "发生时间格式应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM (本地时间)"},
      {Person("outpatient_visit",
              {{"cost_yuan", "1"}, {"occurred_at", "2030-01-01"}}),
       "in_future", "occurred_at",
       "发生时间比现在晚一天以上, 请检查日期和电脑的时钟"},
      {Person("outpatient_visit",
              {{"cost_yuan", "1"}, {"occurred_at", "1999-01-01"}}),
       "too_early", "occurred_at", "发生时间早于 2000-01-01, 请检查年份"},
      {Person("outpatient_visit",
              {{"cost_yuan", "1"}, {"birth_date", "1899-01-01"}}),
       "too_early", "birth_date", "出生日期早于 1900-01-01, 请检查年份"},
      {Person("child_health_check"), "child_too_old", "birth_date",
       "0-6岁儿童健康检查只适用于 0-6 岁的儿童"},
      {Person("infectious_disease_report", {{"disease", "flu"}}),
       "unknown_disease", "disease", "不是法定传染病目录中的病种"},
      {Row({{"record_id", "r 1"}, {"kind", "outpatient_visit"}}),
       "bad_record_id", "record_id",
       "记录编号须为 1-64 个字符, 只能用字母、数字和 . _ : -"},
      {Row({{"record_id", "r1"}, {"kind", "walk"}}), "unknown_kind", "kind",
       "不是已知的记录类别"},
      {Row({{"record_id", "r1"}, {"kind", "referral"}, {"action", "undo"}}),
       "bad_action", "action", "操作须为 new (新增) 或 void (作废)"},
  };
  for (const Case& c : cases) {
    std::string column;
    absl::StatusOr<Record> r = ParseRow(c.row, kNow, &column);
    ASSERT_FALSE(r.ok()) << c.code;
    EXPECT_EQ(ReasonCode(r.status()), c.code) << r.status();
    EXPECT_EQ(column, c.column) << r.status();
    EXPECT_EQ(ReasonZh(ReasonCode(r.status()), column, r.status().message()),
              c.zh)
        << r.status();
  }
}

TEST(ReasonZhTest, UnknownReasonFallsBackWithTheEnglishText) {
  EXPECT_EQ(ReasonZh("", "", "the line is not valid JSON"),
            "该行有误: the line is not valid JSON");
  EXPECT_EQ(ReasonZh("no_such_code", "systolic", "odd"), "收缩压有误: odd");
  EXPECT_EQ(ColumnNameZh("no_such_column"), "no_such_column");
}

}  // namespace
}  // namespace sanji

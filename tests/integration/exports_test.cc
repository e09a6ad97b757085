// End-to-end exports (spec/interfaces.md "Exports"): a small county of real
// programs (three villages in two townships, the hub with an orgs file and a
// population file) takes record files; once they have reached the county,
// `county_hub report` fetches the CSV and every export, and
// check_exports.py compares every value of the xlsx (openpyxl), md, json,
// dhis2, adx and fhir documents with the CSV's value of the same (org,
// indicator), and validates the FHIR Bundle against the FHIR R4 JSON schema.
// The client's refusals are checked too: xlsx to a terminal, and a range of
// days in the exchange formats.
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/support/local_county.h"
#include "tests/support/process.h"

namespace sanji::test_support {
namespace {

const std::vector<std::string> kVillages = {"640522100201", "640522100202",
                                            "640522101201"};
constexpr absl::Duration kWait = absl::Seconds(90);

constexpr char kHeader[] =
    "record_id,kind,occurred_at,patient_id,sex,birth_date,cost_yuan,systolic,"
    "diastolic,disease,participants,referred_to\n";

// Each village's records: costs in fen-exact yuan, follow-ups on and off
// target, children and elders for the population rates, a death, a measles
// report (a breakdown code) and a referral.
const char* const kRecords[] = {
    // 640522100201
    "a1,outpatient_visit,2025-01-05T09:00,P1,M,1980-01-01,12.30,,,,,\n"
    "a2,outpatient_visit,2025-02-06T10:00,P2,F,1975-03-01,45.67,,,,,\n"
    "a3,outpatient_visit,2025-03-07T11:00,P1,M,1980-01-01,8,,,,,\n"
    "a4,hypertension_followup,2025-01-10T09:00,H1,M,1950-05-01,,130,80,,,\n"
    "a5,hypertension_followup,2025-02-10T09:00,H1,M,1950-05-01,,145,85,,,\n"
    "a6,hypertension_followup,2025-02-11T09:00,H2,F,1970-05-01,,150,95,,,\n"
    "a7,child_health_check,2025-03-01T09:00,C1,F,2022-04-01,,,,,,\n"
    "a8,child_health_check,2025-03-02T09:00,C2,M,2023-04-01,,,,,,\n"
    "a9,death_report,2025-02-20T09:00,D1,M,1930-01-01,,,,,,\n"
    "a10,infectious_disease_report,2025-03-03T09:00,I1,F,1990-01-01,,,,"
    "measles,,\n"
    "a11,health_education,2025-01-15T14:00,,,,,,,,25,\n"
    "a12,referral,2025-02-01T09:00,P2,F,1975-03-01,,,,,,county\n",
    // 640522100202
    "b1,outpatient_visit,2025-01-08T09:00,Q1,F,1960-01-01,100.01,,,,,\n"
    "b2,family_doctor_signing,2025-01-09T09:00,Q1,F,1960-01-01,,,,,,\n"
    "b3,hypertension_followup,2025-03-10T09:00,H9,M,1955-05-01,,120,70,,,\n",
    // 640522101201
    "c1,elderly_health_check,2025-02-02T09:00,E1,M,1950-01-01,,,,,,\n"
    "c2,elderly_health_check,2025-02-03T09:00,E2,F,1945-01-01,,,,,,\n"
    "c3,outpatient_visit,2025-03-03T09:00,E1,M,1950-01-01,33.33,,,,,\n"
    "c4,death_report,2025-03-04T09:00,E3,F,1940-01-01,,,,,,\n",
};

constexpr char kOrgs[] =
    "org_id,name\n"
    "640522,海原县\n"
    "640522100,\"红星乡|东片\"\n"
    "640522101,关桥乡\n"
    "640522100201,\"说\"\"好\"\"村\"\n"
    "640522100202,<南&北>村\n"
    "640522101201,关桥村\n";

// 640522100202 has no population row: its population rates are unknown.
constexpr char kPopulation[] =
    "org_id,year,residents,children_0_6,elderly_65plus,health_records_on_file\n"
    "640522100201,2025,1200,90,180,1000\n"
    "640522101201,2025,800,0,100,700\n";

// What the exchange formats must call each period.
struct PeriodCase {
  const char* period;
  const char* dhis2;
  const char* adx;
  const char* start;
  const char* end;
};

class ExportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    std::ofstream(dir_.Sub("orgs.csv")) << kOrgs;
    std::ofstream(dir_.Sub("population.csv")) << kPopulation;
    county_ = std::make_unique<LocalCounty>(dir_.path(), kVillages);
    ASSERT_TRUE(county_->Init().ok());
    county_->set_extra_flags(county_->county_id(),
                             {"--orgs=" + dir_.Sub("orgs.csv"),
                              "--population=" + dir_.Sub("population.csv")});
    absl::Status s = county_->StartAll();
    ASSERT_TRUE(s.ok()) << s;
    for (size_t i = 0; i < kVillages.size(); ++i) {
      const std::string path = dir_.Sub(absl::StrCat("v", i, ".csv"));
      std::ofstream(path) << kHeader << kRecords[i];
      CommandResult r = county_->Import(kVillages[i], {path});
      ASSERT_EQ(r.exit_code, 0) << r.output << r.errors;
    }
    s = county_->WaitAgentsSynced(kWait);
    ASSERT_TRUE(s.ok()) << s;
    s = county_->WaitTownshipsSynced(kWait);
    ASSERT_TRUE(s.ok()) << s;
  }

  CommandResult Report(const std::string& period, const std::string& format,
                       const std::string& out) {
    std::vector<std::string> args = {"report", "--hub=" + county_->hub_addr(),
                                     "--period=" + period, "--level=village",
                                     "--format=" + format};
    if (!out.empty()) args.push_back("--out=" + out);
    return RunCommand(BinaryPath("county_hub"), args, absl::Minutes(2));
  }

  // Fetches every format of `p` into files and runs the checker on them.
  void CheckPeriod(const PeriodCase& p) {
    std::vector<std::string> args = {
        std::string(SANJI_SOURCE_DIR) + "/tests/integration/check_exports.py",
        absl::StrCat("--dhis2-period=", p.dhis2),
        absl::StrCat("--adx-period=", p.adx),
        absl::StrCat("--start=", p.start),
        absl::StrCat("--end=", p.end),
        std::string("--schema=") + SANJI_FHIR_SCHEMA,
        "--hub-binary=" + BinaryPath("county_hub"),
        "--hub=" + county_->hub_addr()};
    for (const char* format :
         {"csv", "json", "md", "xlsx", "dhis2", "adx", "fhir"}) {
      const std::string out = dir_.Sub(absl::StrCat(p.period, ".", format));
      CommandResult r = Report(p.period, format, out);
      ASSERT_EQ(r.exit_code, 0) << format << ": " << r.errors;
      EXPECT_EQ(r.output, "") << format;
      args.push_back(absl::StrCat("--", format, "=", out));
    }
    CommandResult check = RunCommand(SANJI_PYTHON3, args, absl::Minutes(5));
    EXPECT_EQ(check.exit_code, 0) << p.period << "\n"
                                  << check.output << check.errors;
    EXPECT_TRUE(absl::StrContains(check.output, "check_exports: 0 problems"))
        << check.output;
  }

  TempDir dir_;
  std::unique_ptr<LocalCounty> county_;
};

TEST_F(ExportsTest, EveryExportSaysWhatTheCsvSays) {
  if (HasFatalFailure()) return;
  CheckPeriod(
      {"2025-Q1", "2025Q1", "2025-01-01/P3M", "2025-01-01", "2025-03-31"});
  CheckPeriod({"2025", "2025", "2025-01-01/P1Y", "2025-01-01", "2025-12-31"});
  CheckPeriod(
      {"2025-02", "202502", "2025-02-01/P1M", "2025-02-01", "2025-02-28"});
}

TEST_F(ExportsTest, ARangeOfDaysIsRefusedByTheExchangeFormats) {
  if (HasFatalFailure()) return;
  for (const char* format : {"dhis2", "adx", "fhir"}) {
    CommandResult r = Report("2025-01-01..2025-01-31", format, "");
    EXPECT_EQ(r.exit_code, 2) << format;
    EXPECT_TRUE(absl::StrContains(
        r.errors, "period 2025-01-01..2025-01-31 is a range of days"))
        << r.errors;
    EXPECT_EQ(r.output, "");
  }
  // The other formats take it.
  CommandResult r = Report("2025-01-01..2025-01-31", "md", "");
  EXPECT_EQ(r.exit_code, 0) << r.errors;
  EXPECT_TRUE(absl::StrContains(r.output, "## 村")) << r.output;
}

TEST_F(ExportsTest, XlsxGoesToAFileOrARedirectedStdout) {
  if (HasFatalFailure()) return;
  const std::string out = dir_.Sub("q1.xlsx");
  CommandResult to_file = Report("2025-Q1", "xlsx", out);
  ASSERT_EQ(to_file.exit_code, 0) << to_file.errors;
  // stdout is a pipe here, not a terminal: the same bytes come out.
  CommandResult piped = Report("2025-Q1", "xlsx", "");
  ASSERT_EQ(piped.exit_code, 0) << piped.errors;
  EXPECT_EQ(piped.output.substr(0, 4), std::string("PK\x03\x04"));
  std::ifstream in(out, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.size() > 1000, true) << bytes.size();
  EXPECT_EQ(bytes.substr(0, 4), std::string("PK\x03\x04"));
}

}  // namespace
}  // namespace sanji::test_support

// The urgent lane end to end with the real binaries: an urgent case overtakes
// a 100k-record backlog, and every notifiable-disease report becomes exactly
// one alert at the county across SIGKILLs of each tier, withdrawn by a void.
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/local_county.h"
#include "tests/support/process.h"

namespace sanji::test_support {
namespace {

constexpr absl::Duration kWait = absl::Seconds(120);
const std::vector<std::string> kVillages = {"640522100201", "640522100202",
                                            "640522101203"};
const char kReportHeader[] =
    "record_id,action,kind,occurred_at,patient_id,sex,birth_date,disease\n";

// One disease report row.
std::string ReportRow(const std::string& id, const std::string& disease,
                      int day) {
  return absl::StrFormat(
      "%s,new,infectious_disease_report,2025-07-%02dT09:30,PX-%s,%s,"
      "1980-05-06,%s\n",
      id, day, id, day % 2 ? "M" : "F", disease);
}

class AlertsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    county_ = std::make_unique<LocalCounty>(dir_.path(), kVillages);
    ASSERT_TRUE(county_->Init().ok());
  }

  std::string WriteFile(const std::string& text) {
    std::string path = dir_.Sub(absl::StrCat("f", files_++, ".csv"));
    std::ofstream(path) << text;
    return path;
  }

  void Import(const std::string& village, const std::string& text,
              const std::string& expected_summary) {
    CommandResult r = county_->Import(village, {WriteFile(text)});
    EXPECT_EQ(r.exit_code, 0) << r.output << r.errors;
    EXPECT_NE(r.output.find(expected_summary), std::string::npos) << r.output;
  }

  // The county's alerts, from `county_hub alerts --format=json`.
  std::vector<nlohmann::json> Alerts(
      const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"alerts", "--hub=" + county_->hub_addr(),
                                     "--format=json"};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = RunCommand(BinaryPath("county_hub"), args, kWait);
    EXPECT_EQ(r.exit_code, 0) << r.errors;
    std::vector<nlohmann::json> out;
    for (absl::string_view line :
         absl::StrSplit(r.output, '\n', absl::SkipEmpty())) {
      out.push_back(nlohmann::json::parse(line, nullptr, false));
      EXPECT_FALSE(out.back().is_discarded()) << line;
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<LocalCounty> county_;
  int files_ = 0;
};

// An urgent report accepted after 100,000 ordinary records, while the village
// is offline, reaches the county before half of the backlog has even reached
// the township (what reached the county is at most what the township applied).
TEST_F(AlertsTest, UrgentReportOvertakesA100kBacklog) {
  ASSERT_TRUE(county_->StartAll().ok());
  const std::string village = kVillages[0];
  constexpr int kBacklog = 100000;
  std::string backlog =
      "record_id,kind,occurred_at,patient_id,sex,birth_date,cost_yuan\n";
  for (int i = 0; i < kBacklog; ++i) {
    absl::StrAppendFormat(&backlog,
                          "b%06d,outpatient_visit,2025-%02d-%02dT10:00,P%d,%s,"
                          "1970-01-01,12.50\n",
                          i, 1 + i % 12, 1 + i % 28, i % 997,
                          i % 2 ? "M" : "F");
  }
  county_->village_link(village).Cut();
  Import(village, backlog, absl::StrCat("accepted=", kBacklog, " "));
  Import(village,
         absl::StrCat(kReportHeader, ReportRow("urgent1", "cholera", 3)),
         "accepted=1 ");
  county_->village_link(village).Heal();

  std::vector<nlohmann::json> alerts;
  ASSERT_TRUE(WaitFor(
      [&] {
        alerts = Alerts();
        return !alerts.empty();
      },
      kWait));
  int64_t applied = StatusField(county_->TownshipStatus(village.substr(0, 9)),
                                "records_applied");
  EXPECT_LT(applied, kBacklog / 2)
      << "the alert came after most of the backlog";
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["village_id"], village);
  EXPECT_EQ(alerts[0]["disease"], "cholera");
  EXPECT_EQ(alerts[0]["class"], "A");
  EXPECT_EQ(alerts[0]["urgent"], true);
  EXPECT_EQ(alerts[0]["status"], "new");
  EXPECT_EQ(alerts[0]["occurred_at"], "2025-07-03T09:30:00");
  // De-identified: the patient id never reaches the county.
  EXPECT_EQ(alerts[0].dump().find("PX-"), std::string::npos);

  // The backlog still arrives in full, and the report is counted once.
  EXPECT_TRUE(county_->WaitAgentsSynced(kWait).ok());
  EXPECT_TRUE(county_->WaitTownshipsSynced(kWait).ok());
  absl::StatusOr<ReportCsv> report = county_->Report("2025", "village");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->Value("village", village, "outpatient_visits"),
            absl::StrCat(kBacklog));
  EXPECT_EQ(report->Value("village", village, "infectious_disease_reports"),
            "1");
  EXPECT_EQ(Alerts().size(), 1u);
}

// Disease reports (urgent and not) in three villages of two townships, with
// each tier SIGKILLed while they travel, then voids: the county ends with
// exactly one alert per report, the voided ones withdrawn, ids unique.
TEST_F(AlertsTest, OneAlertPerReportAcrossKillsAndVoids) {
  ASSERT_TRUE(county_->StartAll().ok());
  const std::vector<std::string> diseases = {
      "cholera", "measles",           "plague", "influenza",
      "sars",    "anthrax_pulmonary", "dengue"};
  std::map<std::string, std::set<std::string>> expected;  // village -> ids
  auto import_round = [&](int round) {
    for (const std::string& v : kVillages) {
      std::string text = kReportHeader;
      for (int i = 0; i < 7; ++i) {
        std::string id = absl::StrCat("r", round, "-", i);
        text += ReportRow(id, diseases[(i + round) % diseases.size()], 1 + i);
        expected[v].insert(id);
      }
      Import(v, text, "accepted=7 ");
    }
  };

  import_round(0);
  county_->agent(kVillages[0]).Kill();  // right after import returned
  ASSERT_TRUE(county_->StartAgent(kVillages[0]).ok());
  import_round(1);
  county_->township(kVillages[0].substr(0, 9)).Kill();  // mid-sync
  county_->hub().Kill();
  import_round(2);
  ASSERT_TRUE(county_->StartTownship(kVillages[0].substr(0, 9)).ok());
  ASSERT_TRUE(county_->WaitAgentsSynced(kWait).ok());
  ASSERT_TRUE(county_->StartHub().ok());
  county_->hub().Kill();  // again, while townships forward
  ASSERT_TRUE(county_->StartHub().ok());

  // Void two reports per village; one of them twice (the second is a
  // duplicate).
  for (const std::string& v : kVillages) {
    Import(v,
           "record_id,action,kind\nr0-0,void,infectious_disease_report\n"
           "r2-3,void,infectious_disease_report\n",
           "accepted=2 ");
    Import(v, "record_id,action,kind\nr0-0,void,infectious_disease_report\n",
           "accepted=0 duplicate=1 ");
  }
  ASSERT_TRUE(county_->WaitAgentsSynced(kWait).ok());
  ASSERT_TRUE(county_->WaitTownshipsSynced(kWait).ok());

  std::vector<nlohmann::json> alerts = Alerts();
  std::map<std::string, std::set<std::string>> seen;
  std::set<uint64_t> ids;
  int withdrawn = 0;
  for (const nlohmann::json& a : alerts) {
    std::string v = a["village_id"], id = a["record_id"];
    EXPECT_TRUE(seen[v].insert(id).second)
        << "duplicate alert " << v << " " << id;
    EXPECT_TRUE(ids.insert(a["id"].get<uint64_t>()).second);
    bool voided = id == "r0-0" || id == "r2-3";
    EXPECT_EQ(a["status"], voided ? "withdrawn" : "new") << v << " " << id;
    withdrawn += voided;
    int i = id.back() - '0', round = id[1] - '0';
    std::string disease = diseases[(i + round) % diseases.size()];
    EXPECT_EQ(a["disease"], disease);
    bool urgent = disease == "cholera" || disease == "plague" ||
                  disease == "sars" || disease == "anthrax_pulmonary";
    EXPECT_EQ(a["urgent"], urgent) << disease;
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(withdrawn, 2 * static_cast<int>(kVillages.size()));

  // The county's count of reports agrees: 21 per village less the 2 voided.
  absl::StatusOr<ReportCsv> report = county_->Report("2025", "village");
  ASSERT_TRUE(report.ok()) << report.status();
  for (const std::string& v : kVillages) {
    EXPECT_EQ(report->Value("village", v, "infectious_disease_reports"), "19");
  }

  // Review: recorded with who, shown in the list; --since filters by date.
  uint64_t first = alerts.back()["id"];
  CommandResult r =
      RunCommand(BinaryPath("county_hub"),
                 {"alerts", "review", "--hub=" + county_->hub_addr(),
                  absl::StrCat("--id=", first), "--by=李医生", "--format=json"},
                 kWait);
  ASSERT_EQ(r.exit_code, 0) << r.errors;
  nlohmann::json reviewed = nlohmann::json::parse(r.output);
  EXPECT_EQ(reviewed["reviewed_by"], "李医生");
  int reviewed_count = 0;
  for (const nlohmann::json& a : Alerts()) {
    if (a["id"] == first) {
      EXPECT_EQ(a["reviewed_by"], "李医生");
      EXPECT_NE(a["status"], "new");
      ++reviewed_count;
    }
  }
  EXPECT_EQ(reviewed_count, 1);
  // Reports of 2025-07-05 and later: rows i = 4, 5, 6 of each round.
  EXPECT_EQ(Alerts({"--since=2025-07-05"}).size(), 3u * 3 * kVillages.size());
  EXPECT_EQ(RunCommand(BinaryPath("county_hub"),
                       {"alerts", "review", "--hub=" + county_->hub_addr(),
                        "--id=999999", "--by=x"},
                       kWait)
                .exit_code,
            1);
}

}  // namespace
}  // namespace sanji::test_support

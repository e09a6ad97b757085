// End-to-end: two village agents, one township node and the county hub, with
// crashes (SIGKILL) of each tier; the county report must equal the oracle.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/record_file.h"
#include "common/record_parse.h"
#include "gtest/gtest.h"
#include "tests/support/oracle.h"
#include "tests/support/process.h"
#include "tests/support/report_csv.h"

namespace sanji::test_support {
namespace {

constexpr char kCounty[] = "640522";
constexpr char kTownship[] = "640522100";
const std::vector<std::string> kVillages = {"640522100201", "640522100202"};
const std::vector<std::string> kIndicators = {
    "outpatient_visits",         "outpatient_cost_yuan",
    "hypertension_followups",    "hypertension_managed",
    "hypertension_standardized", "hypertension_controlled",
    "children_managed"};
constexpr absl::Duration kWait = absl::Seconds(60);

// Writes ~200 rows for one village; deterministic per seed.
std::string WriteRecords(const std::string& path, int seed) {
  std::mt19937 rng(seed);
  auto uni = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  std::string text =
      "record_id,kind,occurred_at,patient_id,sex,birth_date,cost_yuan,systolic,"
      "diastolic\n";
  for (int i = 0; i < 200; ++i) {
    int month = uni(1, 12), day = uni(1, 28);
    std::string when = absl::StrFormat("2025-%02d-%02dT%02d:%02d", month, day,
                                       uni(8, 17), uni(0, 59));
    std::string id = absl::StrFormat("r%d-%04d", seed, i);
    switch (i % 3) {
      case 0: {
        int p = uni(1, 60);
        absl::StrAppendFormat(
            &text, "%s,outpatient_visit,%s,OP%d-%d,%s,%d-%02d-%02d,%d.%02d,,\n",
            id, when, seed, p, p % 2 ? "M" : "F", 1940 + p % 60, 1 + p % 12,
            1 + p % 28, uni(0, 300), uni(0, 99));
        break;
      }
      case 1: {
        int p = uni(1, 15);  // ~4-5 follow-ups per patient: some standardized
        // Half the patients are 65+ (born 1950), the others born 1970.
        absl::StrAppendFormat(
            &text, "%s,hypertension_followup,%s,HT%d-%d,%s,%d-%02d-15,,%d,%d\n",
            id, when, seed, p, p % 2 ? "M" : "F", p % 2 ? 1950 : 1970,
            1 + p % 12, uni(110, 165), uni(70, 98));
        break;
      }
      default: {
        int p = uni(1, 40);
        absl::StrAppendFormat(
            &text, "%s,child_health_check,%s,CH%d-%d,%s,%d-%02d-%02d,,,\n", id,
            when, seed, p, p % 2 ? "M" : "F", 2021 + p % 4, 1 + p % 12,
            1 + p % 28);
        break;
      }
    }
  }
  std::ofstream(path) << text;
  return path;
}

std::vector<Record> ParseFile(const std::string& path) {
  auto contents = ReadRecordFile(path, FileEncoding::kAuto);
  EXPECT_TRUE(contents.ok()) << contents.status();
  std::vector<Record> out;
  if (!contents.ok()) return out;
  EXPECT_TRUE(contents->malformed.empty());
  absl::CivilSecond now = NowLocal();
  for (const RawRow& row : contents->rows) {
    std::string bad;
    auto rec = ParseRow(row, now, &bad);
    EXPECT_TRUE(rec.ok()) << rec.status() << " column " << bad;
    if (rec.ok()) out.push_back(*rec);
  }
  return out;
}

class ThreeTiersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    hub_port_ = PickFreePort();
    town_port_ = PickFreePort();
    for (size_t i = 0; i < kVillages.size(); ++i) {
      agent_ports_.push_back(PickFreePort());
      agents_.push_back(std::make_unique<ChildProcess>());
      files_.push_back(WriteRecords(dir_.Sub(absl::StrCat("v", i, ".csv")),
                                    static_cast<int>(i) + 1));
      records_[kVillages[i]] = ParseFile(files_.back());
    }
  }

  std::string Addr(int port) { return absl::StrCat("127.0.0.1:", port); }

  void StartHub() {
    ASSERT_TRUE(hub_.Start(BinaryPath("county_hub"),
                           {"serve", absl::StrCat("--county_id=", kCounty),
                            "--data_dir=" + dir_.Sub("hub"),
                            "--listen=" + Addr(hub_port_), "--insecure"},
                           dir_.Sub("hub.log"))
                    .ok());
    ASSERT_TRUE(WaitFor(
        [&] {
          return RunCommand(BinaryPath("county_hub"),
                            {"status", "--hub=" + Addr(hub_port_)},
                            absl::Seconds(5))
                         .exit_code == 0 ||
                 RunCommand(BinaryPath("county_hub"),
                            {"report", "--hub=" + Addr(hub_port_),
                             "--period=2025", "--format=csv"},
                            absl::Seconds(5))
                         .exit_code == 0;
        },
        kWait))
        << "hub not ready; log " << hub_.log_path();
  }

  void StartTownship() {
    ASSERT_TRUE(town_
                    .Start(BinaryPath("township_node"),
                           {"serve", absl::StrCat("--township_id=", kTownship),
                            "--data_dir=" + dir_.Sub("town"),
                            "--listen=" + Addr(town_port_),
                            "--county=" + Addr(hub_port_), "--insecure"},
                           dir_.Sub("town.log"))
                    .ok());
    ASSERT_TRUE(WaitFor(
        [&] {
          return RunCommand(BinaryPath("township_node"),
                            {"status", "--node=" + Addr(town_port_)},
                            absl::Seconds(5))
                     .exit_code == 0;
        },
        kWait))
        << "township not ready; log " << town_.log_path();
  }

  void StartAgent(size_t i) {
    ASSERT_TRUE(agents_[i]
                    ->Start(BinaryPath("village_agent"),
                            {"serve", "--village_id=" + kVillages[i],
                             "--data_dir=" + dir_.Sub("agent" + kVillages[i]),
                             "--township=" + Addr(town_port_),
                             "--listen=" + Addr(agent_ports_[i]), "--insecure"},
                            dir_.Sub("agent" + kVillages[i] + ".log"))
                    .ok());
    ASSERT_TRUE(WaitFor(
        [&] {
          return RunCommand(BinaryPath("village_agent"),
                            {"status", "--agent=" + Addr(agent_ports_[i])},
                            absl::Seconds(5))
                     .exit_code == 0;
        },
        kWait))
        << "agent not ready; log " << agents_[i]->log_path();
  }

  void StartAll() {
    StartHub();
    StartTownship();
    for (size_t i = 0; i < kVillages.size(); ++i) StartAgent(i);
  }

  // The last line of the import output.
  std::string Import(size_t i) {
    CommandResult r = RunCommand(
        BinaryPath("village_agent"),
        {"import", "--agent=" + Addr(agent_ports_[i]), files_[i]}, kWait);
    EXPECT_EQ(r.exit_code, 0) << r.output << r.errors;
    std::vector<std::string> lines =
        absl::StrSplit(absl::StripSuffix(r.output, "\n"), '\n');
    return lines.back();
  }

  void WaitAgentsSynced() {
    for (size_t i = 0; i < kVillages.size(); ++i) {
      std::string last;
      EXPECT_TRUE(WaitFor(
          [&] {
            CommandResult r = RunCommand(
                BinaryPath("village_agent"),
                {"status", "--agent=" + Addr(agent_ports_[i]), "--format=text"},
                absl::Seconds(5));
            last = r.output;
            return r.exit_code == 0 &&
                   r.output.find("pending_records: 0\n") != std::string::npos;
          },
          kWait))
          << "village " << kVillages[i] << " still pending:\n"
          << last;
    }
  }

  void WaitTownshipSynced() {
    std::string last;
    EXPECT_TRUE(WaitFor(
        [&] {
          CommandResult r = RunCommand(
              BinaryPath("township_node"),
              {"status", "--node=" + Addr(town_port_), "--format=text"},
              absl::Seconds(5));
          last = r.output;
          return r.exit_code == 0 &&
                 r.output.find("cells_pending: 0\n") != std::string::npos;
        },
        kWait))
        << "township still pending:\n"
        << last;
  }

  ReportCsv Report(const std::string& period, const std::string& level) {
    CommandResult r =
        RunCommand(BinaryPath("county_hub"),
                   {"report", "--hub=" + Addr(hub_port_), "--period=" + period,
                    "--level=" + level, "--format=csv"},
                   kWait);
    EXPECT_EQ(r.exit_code, 0) << r.errors;
    auto csv = ReportCsv::Parse(r.output);
    EXPECT_TRUE(csv.ok()) << csv.status() << "\n" << r.output;
    return csv.ok() ? *csv : ReportCsv();
  }

  void ExpectMatchesOracle() {
    for (const std::string period : {"2025", "2025-Q1"}) {
      auto village_values = ComputeVillageValues(records_, period);
      ASSERT_TRUE(village_values.ok()) << village_values.status();
      OracleValues county = RollUp(*village_values, OrgLevel::kCounty);
      ReportCsv vrep = Report(period, "village");
      ReportCsv crep = Report(period, "county");
      for (const std::string& code : kIndicators) {
        for (const std::string& v : kVillages) {
          EXPECT_EQ(vrep.Value("village", v, code).value_or("<missing>"),
                    FormatValue(*village_values, v, code))
              << period << " village " << v << " " << code;
        }
        EXPECT_EQ(crep.Value("county", kCounty, code).value_or("<missing>"),
                  FormatValue(county, kCounty, code))
            << period << " county " << code;
      }
    }
  }

  std::string ExpectedSummary(size_t i, bool second) {
    size_t n = records_[kVillages[i]].size();
    return second ? absl::StrCat("accepted=0 duplicate=", n, " rejected=0")
                  : absl::StrCat("accepted=", n, " duplicate=0 rejected=0");
  }

  TempDir dir_;
  int hub_port_ = 0, town_port_ = 0;
  std::vector<int> agent_ports_;
  ChildProcess hub_, town_;
  std::vector<std::unique_ptr<ChildProcess>> agents_;
  std::vector<std::string> files_;
  VillageRecords records_;
};

TEST_F(ThreeTiersTest, ImportTwiceCountsOnce) {
  StartAll();
  if (HasFatalFailure()) return;
  for (size_t i = 0; i < kVillages.size(); ++i) {
    EXPECT_EQ(Import(i), ExpectedSummary(i, false));
    EXPECT_EQ(Import(i), ExpectedSummary(i, true));
  }
  WaitAgentsSynced();
  WaitTownshipSynced();
  ExpectMatchesOracle();
}

TEST_F(ThreeTiersTest, TownshipKilledMidSyncAndHubDown) {
  StartAll();
  if (HasFatalFailure()) return;
  for (size_t i = 0; i < kVillages.size(); ++i) {
    EXPECT_EQ(Import(i), ExpectedSummary(i, false));
  }
  town_.Kill();
  hub_.Kill();
  StartTownship();
  if (HasFatalFailure()) return;
  WaitAgentsSynced();
  StartHub();
  if (HasFatalFailure()) return;
  WaitTownshipSynced();
  ExpectMatchesOracle();
}

TEST_F(ThreeTiersTest, AgentKilledAfterImport) {
  StartAll();
  if (HasFatalFailure()) return;
  for (size_t i = 0; i < kVillages.size(); ++i) {
    EXPECT_EQ(Import(i), ExpectedSummary(i, false));
    agents_[i]->Kill();
    StartAgent(i);
    if (HasFatalFailure()) return;
  }
  WaitAgentsSynced();
  WaitTownshipSynced();
  ExpectMatchesOracle();
}

}  // namespace
}  // namespace sanji::test_support

// End-to-end: two village agents, one township node and the county hub, each
// link through a fault-injecting proxy (tests/support/tcp_proxy.h), with
// crashes (SIGKILL) of each tier, a township killed while a long sync is in
// flight, and a village offline for a month; the county report must equal the
// oracle (tests/support/oracle.h) for every indicator.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/period.h"
#include "common/record_parse.h"
#include "gtest/gtest.h"
#include "tests/support/county_pki.h"
#include "tests/support/local_county.h"
#include "tests/support/oracle.h"
#include "tests/support/process.h"
#include "tests/support/report_csv.h"
#include "tests/support/tcp_proxy.h"
#include "village_agent/record_file.h"

namespace sanji::test_support {
namespace {

constexpr char kCounty[] = "640522";
constexpr char kTownship[] = "640522100";
const std::vector<std::string> kVillages = {"640522100201", "640522100202"};
constexpr absl::Duration kWait = absl::Seconds(90);

#define EXPECT_OK(expr)                   \
  do {                                    \
    absl::Status status_ = (expr);        \
    EXPECT_TRUE(status_.ok()) << status_; \
  } while (0)
constexpr char kHeader[] =
    "record_id,action,kind,occurred_at,patient_id,sex,birth_date,cost_yuan,"
    "systolic,diastolic\n";

// What one generated record file holds.
struct RowSpec {
  std::string id_prefix;  // record ids are <id_prefix>-NNNNN
  int patients_tag = 1;   // patient ids are shared by specs with the same tag
  int rows = 200;
  absl::CivilDay first = absl::CivilDay(2025, 1, 1);
  int days = 365;  // rows are dated in [first, first + days)
  int seed = 1;
  std::vector<std::string> voids;  // record ids voided at the end of the file
};

// CSV rows (no header) of outpatient visits, hypertension follow-ups and child
// health checks; deterministic per spec.
std::string CsvRows(const RowSpec& spec) {
  std::mt19937 rng(spec.seed);
  auto uni = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  const int tag = spec.patients_tag;
  std::string text;
  for (int i = 0; i < spec.rows; ++i) {
    absl::CivilDay day = spec.first + uni(0, spec.days - 1);
    std::string when =
        absl::StrFormat("%04d-%02d-%02dT%02d:%02d", day.year(), day.month(),
                        day.day(), uni(8, 17), uni(0, 59));
    std::string id = absl::StrFormat("%s-%05d", spec.id_prefix, i);
    switch (i % 3) {
      case 0: {
        int p = uni(1, 60);
        absl::StrAppendFormat(
            &text,
            "%s,new,outpatient_visit,%s,OP%d-%d,%s,%d-%02d-%02d,%d.%02d,,\n",
            id, when, tag, p, p % 2 ? "M" : "F", 1940 + p % 60, 1 + p % 12,
            1 + p % 28, uni(0, 300), uni(0, 99));
        break;
      }
      case 1: {
        int p =
            uni(1, 15);  // several follow-ups per patient: some standardized
        // Half the patients are 65+ (born 1950), the others born 1970.
        absl::StrAppendFormat(
            &text,
            "%s,new,hypertension_followup,%s,HT%d-%d,%s,%d-%02d-15,,%d,%d\n",
            id, when, tag, p, p % 2 ? "M" : "F", p % 2 ? 1950 : 1970,
            1 + p % 12, uni(110, 165), uni(70, 98));
        break;
      }
      default: {
        int p = uni(1, 40);
        absl::StrAppendFormat(
            &text, "%s,new,child_health_check,%s,CH%d-%d,%s,%d-%02d-%02d,,,\n",
            id, when, tag, p, p % 2 ? "M" : "F", 2021 + p % 4, 1 + p % 12,
            1 + p % 28);
        break;
      }
    }
  }
  for (const std::string& id : spec.voids) {
    // The kind must be the voided record's; ids encode their row number.
    int row = 0;
    EXPECT_TRUE(absl::SimpleAtoi(id.substr(id.rfind('-') + 1), &row)) << id;
    const char* kind = row % 3 == 0   ? "outpatient_visit"
                       : row % 3 == 1 ? "hypertension_followup"
                                      : "child_health_check";
    absl::StrAppendFormat(&text, "%s,void,%s,,,,,,,\n", id, kind);
  }
  return text;
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
    county_ = std::make_unique<LocalCounty>(dir_.path(), kVillages);
    ASSERT_TRUE(county_->Init().ok());
  }

  // Writes the next record file of village `i` and remembers its records, in
  // acceptance order, for the oracle. Returns the file's path.
  std::string WriteFile(size_t i, const RowSpec& spec) {
    std::string path =
        dir_.Sub(absl::StrCat("v", i, "-", files_written_++, ".csv"));
    std::ofstream(path) << kHeader << CsvRows(spec);
    std::vector<Record> parsed = ParseFile(path);
    auto& all = records_[kVillages[i]];
    all.insert(all.end(), parsed.begin(), parsed.end());
    return path;
  }

  // One year of `rows` rows per village.
  std::vector<std::string> WriteYearFiles(int rows = 200) {
    std::vector<std::string> paths;
    for (size_t i = 0; i < kVillages.size(); ++i) {
      RowSpec spec;
      spec.id_prefix = absl::StrCat("y", i);
      spec.patients_tag = static_cast<int>(i) + 1;
      spec.seed = static_cast<int>(i) + 1;
      spec.rows = rows;
      paths.push_back(WriteFile(i, spec));
    }
    return paths;
  }

  void Check(const absl::Status& s) { ASSERT_TRUE(s.ok()) << s; }
  void StartAll() { Check(county_->StartAll()); }
  void StartHub() { Check(county_->StartHub()); }
  void StartTownship() { Check(county_->StartTownship(kTownship)); }
  void StartAgent(size_t i) { Check(county_->StartAgent(kVillages[i])); }
  ChildProcess& town() { return county_->township(kTownship); }
  TcpProxy& village_link(size_t i) {
    return county_->village_link(kVillages[i]);
  }

  // The last line of the import output.
  std::string Import(size_t i, const std::string& path) {
    CommandResult r = county_->Import(kVillages[i], {path});
    EXPECT_EQ(r.exit_code, 0) << r.output << r.errors;
    std::vector<std::string> lines =
        absl::StrSplit(absl::StripSuffix(r.output, "\n"), '\n');
    return lines.back();
  }

  int64_t TownshipField(const std::string& key) {
    return StatusField(county_->TownshipStatus(kTownship), key);
  }

  void WaitAgentsSynced() { EXPECT_OK(county_->WaitAgentsSynced(kWait)); }
  void WaitTownshipSynced() { EXPECT_OK(county_->WaitTownshipsSynced(kWait)); }

  ReportCsv Report(const std::string& period, const std::string& level) {
    absl::StatusOr<ReportCsv> csv = county_->Report(period, level);
    EXPECT_TRUE(csv.ok()) << csv.status();
    return csv.ok() ? *csv : ReportCsv();
  }

  // Every indicator of every village and of the county, for each period,
  // equals the oracle's value over the records the villages accepted.
  void ExpectMatchesOracle(const std::vector<std::string>& periods = {
                               "2025", "2025-Q1"}) {
    for (const std::string& period : periods) {
      auto village_values = ComputeVillageValues(records_, period);
      ASSERT_TRUE(village_values.ok()) << village_values.status();
      OracleValues county = RollUp(*village_values, OrgLevel::kCounty);
      ReportCsv vrep = Report(period, "village");
      ReportCsv crep = Report(period, "county");
      int compared = 0;
      for (const std::string& v : kVillages) {
        for (const std::string& code : IndicatorsOf(*village_values, v)) {
          EXPECT_EQ(vrep.Value("village", v, code).value_or("<missing>"),
                    FormatValue(*village_values, v, code))
              << period << " village " << v << " " << code;
          ++compared;
        }
      }
      for (const std::string& code : IndicatorsOf(county, kCounty)) {
        EXPECT_EQ(crep.Value("county", kCounty, code).value_or("<missing>"),
                  FormatValue(county, kCounty, code))
            << period << " county " << code;
        ++compared;
      }
      // Guards against an oracle that silently lists nothing.
      EXPECT_GT(compared, 30) << period;
    }
  }

  // Imports each village's file of `files` and expects all of it accepted.
  void ImportAll(const std::vector<std::string>& files) {
    for (size_t i = 0; i < kVillages.size(); ++i) {
      EXPECT_EQ(Import(i, files[i]),
                ExpectedSummary(records_[kVillages[i]].size()));
    }
  }

  std::string ExpectedSummary(size_t accepted, size_t duplicate = 0) {
    return absl::StrCat("accepted=", accepted, " duplicate=", duplicate,
                        " rejected=0");
  }

  TempDir dir_;
  std::unique_ptr<LocalCounty> county_;
  int files_written_ = 0;
  VillageRecords records_;
};

TEST_F(ThreeTiersTest, ImportTwiceCountsOnce) {
  StartAll();
  if (HasFatalFailure()) return;
  std::vector<std::string> files = WriteYearFiles();
  for (size_t i = 0; i < kVillages.size(); ++i) {
    size_t n = records_[kVillages[i]].size();
    EXPECT_EQ(Import(i, files[i]), ExpectedSummary(n));
    EXPECT_EQ(Import(i, files[i]), ExpectedSummary(0, n));
  }
  WaitAgentsSynced();
  WaitTownshipSynced();
  ExpectMatchesOracle();
}

// The whole flow over mutual TLS, with the county's certificates made by
// deploy/pki.sh, and a township SIGKILLed after the imports.
TEST_F(ThreeTiersTest, OverMutualTlsWithTheTownshipKilled) {
  CountyPki pki(dir_.Sub("pki"));
  Check(pki.Init(kCounty));
  Check(county_->UseTls(&pki));
  StartAll();
  if (HasFatalFailure()) return;
  std::vector<std::string> files = WriteYearFiles();
  ImportAll(files);
  town().Kill();
  StartTownship();
  if (HasFatalFailure()) return;
  WaitAgentsSynced();
  WaitTownshipSynced();
  ExpectMatchesOracle();
}

TEST_F(ThreeTiersTest, TownshipKilledMidSyncAndHubDown) {
  StartAll();
  if (HasFatalFailure()) return;
  std::vector<std::string> files = WriteYearFiles();
  ImportAll(files);
  town().Kill();
  county_->hub().Kill();
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
  std::vector<std::string> files = WriteYearFiles();
  for (size_t i = 0; i < kVillages.size(); ++i) {
    EXPECT_EQ(Import(i, files[i]),
              ExpectedSummary(records_[kVillages[i]].size()));
    county_->agent(kVillages[i]).Kill();
    StartAgent(i);
    if (HasFatalFailure()) return;
  }
  WaitAgentsSynced();
  WaitTownshipSynced();
  ExpectMatchesOracle();
}

// The village -> township link is slowed so that a 12,000-record sync takes
// many seconds; the township is SIGKILLed twice while records are arriving
// (never before the first or after the last), and the county is cut off and
// SIGKILLed while cells are being forwarded.
TEST_F(ThreeTiersTest, TownshipKilledDuringLongSync) {
  StartAll();
  if (HasFatalFailure()) return;
  std::vector<std::string> files = WriteYearFiles(12000);
  const int64_t total = static_cast<int64_t>(records_[kVillages[0]].size() +
                                             records_[kVillages[1]].size());
  for (size_t i = 0; i < kVillages.size(); ++i)
    village_link(i).SetBandwidth(150 << 10);
  ImportAll(files);
  for (int kill = 0; kill < 2; ++kill) {
    int64_t before = std::max<int64_t>(0, TownshipField("records_applied"));
    int64_t applied = 0;
    ASSERT_TRUE(WaitFor(
        [&] {
          applied = TownshipField("records_applied");
          return applied >= before + 1000;
        },
        kWait))
        << "township made no progress; log " << town().log_path();
    town().Kill();
    if (kill == 1) county_->hub().Kill();
    // Mid-sync: some of the records have arrived, not all.
    EXPECT_LT(applied, total) << "kill " << kill << " came after the sync";
    StartTownship();
    if (HasFatalFailure()) return;
  }
  for (size_t i = 0; i < kVillages.size(); ++i) village_link(i).SetBandwidth(0);
  WaitAgentsSynced();
  EXPECT_EQ(TownshipField("records_applied"), total);
  StartHub();
  if (HasFatalFailure()) return;
  WaitTownshipSynced();
  ExpectMatchesOracle();
}

// Village 0 loses its link for June 2025 (the township and county stay up and
// keep serving village 1). Every day it imports that day's records; on day 10
// late records of March to May arrive, on day 15 the agent is SIGKILLed and
// restarted, on day 20 ten records of day 3 are voided. Then the
// link returns and the county must have every period exact.
TEST_F(ThreeTiersTest, VillageOfflineForAMonthCatchesUp) {
  StartAll();
  if (HasFatalFailure()) return;
  std::vector<std::string> year = WriteYearFiles();
  EXPECT_EQ(Import(1, year[1]), ExpectedSummary(records_[kVillages[1]].size()));
  EXPECT_EQ(Import(0, year[0]), ExpectedSummary(records_[kVillages[0]].size()));
  WaitAgentsSynced();
  const int64_t applied_before = TownshipField("records_applied");

  village_link(0).Cut();
  int64_t offline = 0;
  for (int d = 1; d <= 30; ++d) {
    RowSpec day;
    day.id_prefix = absl::StrCat("jun", d);
    day.patients_tag = 1;  // the same patients as the year file
    day.rows = 45;
    day.first = absl::CivilDay(2025, 6, d);
    day.days = 1;
    day.seed = 100 + d;
    if (d == 20) {
      for (int r = 0; r < 10; ++r) {
        day.voids.push_back(absl::StrFormat("jun3-%05d", r));
      }
    }
    size_t before = records_[kVillages[0]].size();
    std::string path = WriteFile(0, day);
    size_t added = records_[kVillages[0]].size() - before;
    EXPECT_EQ(Import(0, path), ExpectedSummary(added)) << "day " << d;
    if (d == 10) {
      RowSpec late;
      late.id_prefix = "late";
      late.patients_tag = 1;
      late.rows = 90;
      late.first = absl::CivilDay(2025, 3, 1);
      late.days = 92;
      late.seed = 99;
      EXPECT_EQ(Import(0, WriteFile(0, late)), ExpectedSummary(late.rows));
      added += late.rows;
    }
    offline += static_cast<int64_t>(added);
    if (d == 15) {
      county_->agent(kVillages[0]).Kill();
      StartAgent(0);
      if (HasFatalFailure()) return;
    }
  }
  // Everything of the month waits at the village; nothing reached the
  // township.
  EXPECT_EQ(StatusField(county_->AgentStatus(kVillages[0]), "pending_records"),
            offline);
  EXPECT_EQ(TownshipField("records_applied"), applied_before);

  village_link(0).Heal();
  WaitAgentsSynced();
  WaitTownshipSynced();
  ExpectMatchesOracle({"2025", "2025-H1", "2025-Q1", "2025-Q2", "2025-06",
                       "2025-06-03..2025-06-03"});
}

}  // namespace
}  // namespace sanji::test_support

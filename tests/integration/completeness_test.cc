// End-to-end completeness (spec/interfaces.md "Completeness") with the real
// programs on loopback: one village synced on time, one listed in --orgs that
// never synced, one whose data reached the county late. The hub's clock is
// fixed with --now_for_tests (restarted with a later one for the late
// village), so "late" needs no waiting. `county_hub completeness` must print
// exactly the expected CSV, and the same after the hub is killed and started
// again.
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/period.h"
#include "gtest/gtest.h"
#include "tests/support/local_county.h"
#include "tests/support/process.h"

namespace sanji::test_support {
namespace {

constexpr char kTownship[] = "640522100";
constexpr char kOnTime[] = "640522100201";
constexpr char kOffline[] = "640522100202";
constexpr char kLate[] = "640522100203";
constexpr absl::Duration kWait = absl::Seconds(90);
constexpr char kHeader[] =
    "record_id,action,kind,occurred_at,patient_id,sex,birth_date,cost_yuan\n";
// What `completeness --period=2025-06` must print; SYNC stands for a
// last_sync_at, which is the township's real clock (checked apart).
constexpr char kWant[] =
    "period,level,org_id,org_name,expected,reported,on_time,reporting_rate,"
    "timely_rate,last_record_at,last_sync_at\n"
    "2025-06,county,640522,海原县,3,2,1,66.67,33.33,2025-06-25T11:05:00,SYNC\n"
    "2025-06,township,640522100,海城镇,3,2,1,66.67,33.33,2025-06-25T11:05:00,"
    "SYNC\n"
    "2025-06,village,640522100201,山门村,1,1,1,100.00,100.00,"
    "2025-06-18T10:20:00,SYNC\n"
    "2025-06,village,640522100202,南坪村,1,0,0,0.00,0.00,,\n"
    "2025-06,village,640522100203,武塬村,1,1,0,100.00,0.00,"
    "2025-06-25T11:05:00,SYNC\n";

class CompletenessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    county_ = std::make_unique<LocalCounty>(
        dir_.path(), std::vector<std::string>{kOnTime, kOffline, kLate});
    ASSERT_TRUE(county_->Init().ok());
    orgs_ = Write("orgs.csv",
                  "org_id,name\n640522,海原县\n640522100,海城镇\n"
                  "640522100201,山门村\n640522100202,南坪村\n"
                  "640522100203,武塬村\n");
    started_ = LocalSeconds(NowLocal());
  }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_.Sub(name);
    std::ofstream(path) << text;
    return path;
  }

  // (Re)starts the hub with its receipt clock fixed at `now`.
  void StartHub(const std::string& now) {
    county_->set_extra_flags(county_->county_id(),
                             {"--orgs=" + orgs_, "--now_for_tests=" + now});
    absl::Status s = county_->StartHub();
    ASSERT_TRUE(s.ok()) << s;
  }

  void Import(const std::string& village, const std::string& file,
              const std::string& want) {
    CommandResult r = county_->Import(village, {file});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find(want), std::string::npos) << r.output;
  }

  // Waits until `village` has synced everything and the township has
  // forwarded everything.
  void WaitSynced(const std::string& village) {
    std::string last;
    EXPECT_TRUE(WaitFor(
        [&] {
          last = county_->AgentStatus(village);
          return StatusField(last, "pending_records") == 0;
        },
        kWait))
        << last;
    absl::Status s = county_->WaitTownshipsSynced(kWait);
    EXPECT_TRUE(s.ok()) << s;
  }

  // The completeness CSV with each last_sync_at, once checked to be a time
  // of this test's run, replaced by SYNC.
  std::string Completeness() {
    CommandResult r =
        RunCommand(BinaryPath("county_hub"),
                   {"completeness", "--hub=" + county_->hub_addr(),
                    "--period=2025-06", "--insecure"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::vector<std::string> lines = absl::StrSplit(r.output, '\n');
    const int64_t now = LocalSeconds(NowLocal());
    for (size_t i = 1; i < lines.size(); ++i) {
      std::vector<std::string> fields = absl::StrSplit(lines[i], ',');
      if (fields.size() != 11 || fields[10].empty()) continue;
      int64_t at = 0;
      EXPECT_TRUE(ParseLocalSeconds(fields[10], &at)) << lines[i];
      EXPECT_GE(at, started_ - 1) << lines[i];
      EXPECT_LE(at, now + 1) << lines[i];
      fields[10] = "SYNC";
      lines[i] = absl::StrJoin(fields, ",");
    }
    return absl::StrJoin(lines, "\n");
  }

  TempDir dir_;
  std::unique_ptr<LocalCounty> county_;
  std::string orgs_;
  int64_t started_ = 0;
};

TEST_F(CompletenessTest, OnTimeOfflineAndLateVillagesAcrossHubRestarts) {
  // Five days after June: in time for June.
  StartHub("2025-07-05T12:00:00");
  if (HasFatalFailure()) return;
  ASSERT_TRUE(county_->StartTownship(kTownship).ok());
  ASSERT_TRUE(county_->StartAgent(kOnTime).ok());
  Import(kOnTime,
         Write("ontime.csv",
               std::string(kHeader) +
                   "a1,new,outpatient_visit,2025-06-03T09:00,P1,F,1970-01-01,"
                   "12.50\n"
                   "a2,new,outpatient_visit,2025-06-18T16:45,P2,M,1980-02-02,"
                   "8.00\n"
                   "a3,new,outpatient_visit,2025-06-18T10:20,P3,F,1990-03-03,"
                   "5.00\n"),
         "accepted=3 duplicate=0 rejected=0");
  // The day's latest record is voided: last_record_at moves back to 10:20.
  Import(kOnTime,
         Write("void.csv", "record_id,action,kind\na2,void,outpatient_visit\n"),
         "accepted=1 duplicate=0 rejected=0");
  WaitSynced(kOnTime);
  if (HasFailure()) return;

  // Fifteen days after June: whatever arrives now is late.
  county_->hub().Terminate();
  StartHub("2025-07-15T12:00:00");
  if (HasFatalFailure()) return;
  ASSERT_TRUE(county_->StartAgent(kLate).ok());
  Import(kLate,
         Write("late.csv",
               std::string(kHeader) +
                   "b1,new,outpatient_visit,2025-06-25T11:05,P9,M,1960-05-05,"
                   "3.00\n"),
         "accepted=1 duplicate=0 rejected=0");
  WaitSynced(kLate);
  if (HasFailure()) return;
  EXPECT_EQ(Completeness(), kWant);
  // The work-summary draft says the same, and what the report says.
  const std::string draft = dir_.Sub("summary.md");
  CommandResult summary =
      RunCommand(BinaryPath("county_hub"),
                 {"summary", "--hub=" + county_->hub_addr(), "--period=2025-06",
                  "--out=" + draft, "--insecure"});
  EXPECT_EQ(summary.exit_code, 0) << summary.output;
  std::ifstream in(draft);
  const std::string text((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  for (const char* want :
       {"# 海原县2025年6月卫生健康工作总结", "门急诊3人次；门急诊总费用20.50元",
        "应上报村卫生室3个，已上报2个，上报率66.67%；按时上报1个，及时率33.33%"
        "。",
        "未上报的村卫生室（1个）：南坪村。"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  }

  // Everything it said is durable: a kill -9 and a start give the same.
  county_->hub().Kill();
  StartHub("2025-08-01T00:00:00");
  if (HasFatalFailure()) return;
  EXPECT_EQ(Completeness(), kWant);
}

TEST_F(CompletenessTest, BadUsageExitsTwoAndSaysWhatToDo) {
  StartHub("2025-07-05T12:00:00");
  if (HasFatalFailure()) return;
  CommandResult bad_period = RunCommand(
      BinaryPath("county_hub"), {"completeness", "--hub=" + county_->hub_addr(),
                                 "--period=2025-13", "--insecure"});
  EXPECT_EQ(bad_period.exit_code, 2) << bad_period.output;
  CommandResult bad_org =
      RunCommand(BinaryPath("county_hub"),
                 {"completeness", "--hub=" + county_->hub_addr(),
                  "--period=2025-06", "--org=650000", "--insecure"});
  EXPECT_EQ(bad_org.exit_code, 2) << bad_org.output;
  CommandResult no_period = RunCommand(
      BinaryPath("county_hub"),
      {"completeness", "--hub=" + county_->hub_addr(), "--insecure"});
  EXPECT_EQ(no_period.exit_code, 2) << no_period.output;
}

}  // namespace
}  // namespace sanji::test_support

// The clinic page's HTTP API (village_agent/clinic_page.h) on a real agent:
// `village_agent serve --http=127.0.0.1:PORT`, driven with cpp-httplib's
// client, checked against `village_agent status`, the same numbers the page
// shows. No township runs, so the page must also say it cannot reach it.
#include "village_agent/clinic_page.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/support/process.h"

namespace sanji {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;
using test_support::BinaryPath;
using test_support::ChildProcess;
using test_support::CommandResult;
using test_support::PickFreePort;
using test_support::RunCommand;
using test_support::TempDir;
using test_support::WaitFor;

constexpr char kVillage[] = "640522100201";

// A uint64 of a status in JSON: protobuf's JSON writes those as strings.
uint64_t Num(const Json& value) {
  return value.is_string() ? std::stoull(value.get<std::string>())
                           : value.get<uint64_t>();
}
const httplib::Headers kPageHeaders = {{"X-Requested-With", "sanji"}};

// The CSV of a clinic, its line 3 (the second record) with a bad systolic.
constexpr char kCsv[] =
    "record_id,kind,occurred_at,patient_id,sex,birth_date,systolic,diastolic\n"
    "csv-1,hypertension_followup,2025-03-01,P100,男,1950-01-02,150,95\n"
    "csv-2,hypertension_followup,2025-03-02,P101,女,1951-01-02,999,90\n"
    "csv-3,hypertension_followup,2025-03-03,P102,F,1952-01-02,132,85\n";

class ClinicPageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    agent_ = new ChildProcess();
    intake_port_ = PickFreePort();
    http_port_ = PickFreePort();
    const int township_port = PickFreePort();  // nobody listens there
    ASSERT_TRUE(
        agent_
            ->Start(
                BinaryPath("village_agent"),
                {"serve", "--insecure", absl::StrCat("--village_id=", kVillage),
                 "--data_dir=" + dir_->Sub("va"),
                 absl::StrCat("--township=127.0.0.1:", township_port),
                 absl::StrCat("--listen=127.0.0.1:", intake_port_),
                 absl::StrCat("--http=127.0.0.1:", http_port_)},
                dir_->Sub("agent.log"))
            .ok());
    ASSERT_TRUE(WaitFor([] { return Client().Get("/api/status") != nullptr; },
                        absl::Seconds(30)))
        << "the agent's page did not answer; see " << dir_->Sub("agent.log");
  }
  static void TearDownTestSuite() {
    agent_->Terminate();
    delete agent_;
    delete dir_;
  }

  static httplib::Client Client() {
    httplib::Client client("127.0.0.1", http_port_);
    client.set_connection_timeout(5);
    client.set_read_timeout(30);
    return client;
  }
  static Json Body(const httplib::Result& result) {
    return Json::parse(result->body, nullptr, false);
  }
  static httplib::Result PostRecord(const Json& record) {
    return Client().Post("/api/records", kPageHeaders, record.dump(),
                         "application/json");
  }
  // `village_agent status --format=json` of the agent.
  static Json CliStatus() {
    CommandResult r =
        RunCommand(BinaryPath("village_agent"),
                   {"status", "--format=json",
                    absl::StrCat("--agent=127.0.0.1:", intake_port_)});
    EXPECT_EQ(r.exit_code, 0) << r.errors;
    return Json::parse(r.output, nullptr, false);
  }
  static Json Visit(const std::string& id) {
    return {{"record_id", id},
            {"kind", "outpatient_visit"},
            {"occurred_at", "2025-06-01T09:30"},
            {"patient_id", "P0001"},
            {"sex", "M"},
            {"birth_date", "1970-05-06"},
            {"cost_yuan", "35.50"}};
  }

  static TempDir* dir_;
  static ChildProcess* agent_;
  static int intake_port_;
  static int http_port_;
};

TempDir* ClinicPageTest::dir_ = nullptr;
ChildProcess* ClinicPageTest::agent_ = nullptr;
int ClinicPageTest::intake_port_ = 0;
int ClinicPageTest::http_port_ = 0;

TEST_F(ClinicPageTest, ValidRecordIsAcceptedAndShowsInStatus) {
  const uint64_t before = Num(CliStatus()["last_seq"]);
  httplib::Result r = PostRecord(Visit("visit-1"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["result"], "accepted");
  const Json cli = CliStatus();
  EXPECT_EQ(Num(cli["last_seq"]), before + 1);
  EXPECT_GE(Num(cli["pending_records"]), 1u);
  // The page shows the same numbers as the status command.
  r = Client().Get("/api/status");
  ASSERT_TRUE(r);
  const Json page = Body(r);
  EXPECT_EQ(page["status"]["last_seq"], cli["last_seq"]);
  EXPECT_EQ(page["status"]["pending_records"], cli["pending_records"]);
  EXPECT_THAT(
      page["summary_zh"].get<std::string>(),
      HasSubstr(absl::StrCat("待同步 ", Num(cli["pending_records"]), " 条")));
}

TEST_F(ClinicPageTest, SaysTheTownshipCannotBeReached) {
  Json page;
  EXPECT_TRUE(WaitFor(
      [&] {
        httplib::Result r = Client().Get("/api/status");
        page = r ? Body(r) : Json();
        return page.is_object() && page["state"] == "unreachable";
      },
      absl::Seconds(30)))
      << page.dump();
  EXPECT_THAT(page["summary_zh"].get<std::string>(),
              HasSubstr("无法连接乡镇卫生院 ("));
  EXPECT_EQ(page["status"]["last_error"], CliStatus()["last_error"]);
}

TEST_F(ClinicPageTest, InvalidFieldIsReportedAtThatFieldInChinese) {
  Json record = Visit("bp-1");
  record["kind"] = "hypertension_followup";
  record.erase("cost_yuan");
  record["systolic"] = "999";
  record["diastolic"] = "90";
  httplib::Result r = PostRecord(record);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  const Json body = Body(r);
  EXPECT_EQ(body["result"], "rejected");
  ASSERT_EQ(body["errors"].size(), 1u) << r->body;
  const Json& error = body["errors"][0];
  EXPECT_EQ(error["field"], "systolic");
  EXPECT_EQ(error["field_zh"], "收缩压");
  EXPECT_EQ(error["message_zh"], "收缩压须为 40-300 的整数 (mmHg)");
  EXPECT_THAT(error["message"].get<std::string>(), HasSubstr("too large"));

  record["systolic"] = "150";
  record.erase("patient_id");
  r = PostRecord(record);
  ASSERT_TRUE(r);
  EXPECT_EQ(Body(r)["errors"][0]["field"], "patient_id");
  EXPECT_EQ(Body(r)["errors"][0]["message_zh"], "请填写健康档案编号");
}

TEST_F(ClinicPageTest, DuplicateAndConflictingRecords) {
  ASSERT_EQ(Body(PostRecord(Visit("dup-1")))["result"], "accepted");
  const uint64_t after_first = Num(CliStatus()["last_seq"]);
  httplib::Result r = PostRecord(Visit("dup-1"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["result"], "duplicate");
  Json changed = Visit("dup-1");
  changed["cost_yuan"] = "99";
  r = PostRecord(changed);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r)["errors"][0]["code"], "record_id_conflict");
  EXPECT_THAT(Body(r)["errors"][0]["message_zh"].get<std::string>(),
              HasSubstr("请先作废原记录"));
  EXPECT_EQ(Num(CliStatus()["last_seq"]), after_first);
}

TEST_F(ClinicPageTest, CsvUploadKeepsGoodRowsAndReportsTheBadOne) {
  const uint64_t before = Num(CliStatus()["last_seq"]);
  httplib::Result r = Client().Post("/api/files?name=march.csv", kPageHeaders,
                                    kCsv, "text/csv");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  const Json body = Body(r);
  EXPECT_EQ(body["accepted"], 2);
  EXPECT_EQ(body["duplicate"], 0);
  EXPECT_EQ(body["rejected"], 1);
  ASSERT_EQ(body["errors"].size(), 1u);
  EXPECT_EQ(body["errors"][0]["line"], 3);
  EXPECT_EQ(body["errors"][0]["field"], "systolic");
  EXPECT_EQ(body["errors"][0]["message_zh"], "收缩压须为 40-300 的整数 (mmHg)");
  EXPECT_EQ(Num(CliStatus()["last_seq"]), before + 2);

  // The same file again, as a multipart form: nothing new, as with import.
  httplib::MultipartFormDataItems form = {
      {"file", kCsv, "march.csv", "text/csv"}};
  r = Client().Post("/api/files", kPageHeaders, form);
  ASSERT_TRUE(r);
  EXPECT_EQ(Body(r)["accepted"], 0) << r->body;
  EXPECT_EQ(Body(r)["duplicate"], 2);
  EXPECT_EQ(Body(r)["rejected"], 1);
}

TEST_F(ClinicPageTest, Gb18030FileIsDetected) {
  // 女 in GB18030 is C5 AE; the file has no UTF-8 three-byte character.
  const std::string csv =
      "record_id,kind,occurred_at,patient_id,sex,birth_date,cost_yuan\n"
      "gb-1,outpatient_visit,2025-04-01,P200,\xC5\xAE,1980-01-01,12\n";
  httplib::Result r =
      Client().Post("/api/files?name=gbk.csv", kPageHeaders, csv, "text/csv");
  ASSERT_TRUE(r);
  EXPECT_EQ(Body(r)["encoding"], "gb18030") << r->body;
  EXPECT_EQ(Body(r)["accepted"], 1);
}

TEST_F(ClinicPageTest, JsonLinesWithABadLine) {
  const std::string jsonl =
      R"({"record_id": "j-1", "kind": "health_education", )"
      R"("occurred_at": "2025-05-01", "participants": 30})"
      "\n{not json\n";
  httplib::Result r = Client().Post("/api/files?name=may.jsonl", kPageHeaders,
                                    jsonl, "application/x-ndjson");
  ASSERT_TRUE(r);
  const Json body = Body(r);
  EXPECT_EQ(body["accepted"], 1) << r->body;
  EXPECT_EQ(body["rejected"], 1);
  ASSERT_EQ(body["errors"].size(), 1u);
  EXPECT_EQ(body["errors"][0]["line"], 2);
  EXPECT_EQ(body["errors"][0]["field"], "");
  // A reason without a code of its own: a generic sentence with the English.
  EXPECT_EQ(body["errors"][0]["message_zh"],
            "该行有误: the line is not valid JSON");
}

TEST_F(ClinicPageTest, UnreadableFileIsRefusedAsAWhole) {
  httplib::Result r =
      Client().Post("/api/files?name=empty.csv", kPageHeaders, "", "text/csv");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(Body(r)["error"].get<std::string>(), HasSubstr("文件无法读取"));
  EXPECT_THAT(Body(r)["message"].get<std::string>(),
              HasSubstr("no header row"));
}

TEST_F(ClinicPageTest, PostWithoutRequestedWithIsForbidden) {
  const uint64_t before = Num(CliStatus()["last_seq"]);
  httplib::Result r =
      Client().Post("/api/records", Visit("csrf-1").dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  r = Client().Post("/api/records", {{"X-Requested-With", "XMLHttpRequest"}},
                    Visit("csrf-1").dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  r = Client().Post("/api/files?name=a.csv", kCsv, "text/csv");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Num(CliStatus()["last_seq"]), before);
}

TEST_F(ClinicPageTest, ForeignHostOrOriginIsRefused) {
  // A DNS name re-bound to 127.0.0.1 by another site.
  httplib::Result r = Client().Get("/", {{"Host", "evil.example:8080"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  r = Client().Get("/api/status", {{"Host", "127.0.0.1.evil.example"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  r = Client().Post("/api/records",
                    {{"Host", "evil.example"}, {"X-Requested-With", "sanji"}},
                    Visit("rebind-1").dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  r = Client().Post(
      "/api/records",
      {{"Origin", "http://evil.example"}, {"X-Requested-With", "sanji"}},
      Visit("origin-1").dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  for (const char* host :
       {"localhost", "127.0.0.1:9", "[::1]:80", "LOCALHOST"}) {
    r = Client().Get("/api/status", {{"Host", host}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << host;
  }
}

TEST_F(ClinicPageTest, ServesThePageFromTheBinary) {
  httplib::Result r = Client().Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->get_header_value("Content-Type"), HasSubstr("text/html"));
  EXPECT_THAT(r->body, HasSubstr("村卫生室"));
  EXPECT_THAT(r->get_header_value("Content-Security-Policy"),
              HasSubstr("default-src 'self'"));
  r = Client().Get("/app.js");
  ASSERT_TRUE(r);
  EXPECT_THAT(r->get_header_value("Content-Type"), HasSubstr("javascript"));
  r = Client().Get("/api/vocabulary");
  ASSERT_TRUE(r);
  EXPECT_EQ(Body(r)["kinds"].size(), 18u);
}

TEST_F(ClinicPageTest, HttpOffLoopbackExitsWithUsage) {
  TempDir dir;
  CommandResult r = RunCommand(
      BinaryPath("village_agent"),
      {"serve", "--insecure", absl::StrCat("--village_id=", kVillage),
       "--data_dir=" + dir.Sub("va"), "--township=127.0.0.1:1",
       absl::StrCat("--listen=127.0.0.1:", PickFreePort()),
       "--http=0.0.0.0:1234"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.errors, HasSubstr("not a loopback address"));
}

TEST(StatusSummaryZhTest, SaysTheStateInWords) {
  AgentStatus s;
  s.set_link_state("connected");
  s.set_last_sync_unix_ms(int64_t{1748750400} * 1000);  // 2025-06-01 12:00 +08
  EXPECT_EQ(StatusSummaryZh(s), "已同步, 最近一次同步 2025-06-01 12:00");
  s.set_pending_records(3);
  EXPECT_EQ(StatusSummaryZh(s), "待同步 3 条, 最近一次同步 2025-06-01 12:00");
  s.set_link_state("connecting");
  s.set_last_error("UNAVAILABLE: failed to connect to all addresses");
  s.set_last_sync_unix_ms(0);
  EXPECT_EQ(StatusSummaryZh(s),
            "无法连接乡镇卫生院 (乡镇卫生院的服务器没有应答, 请检查网络), "
            "待同步 3 条, 尚未与乡镇卫生院同步过");
  s.set_link_state("refused");
  EXPECT_THAT(StatusSummaryZh(s), HasSubstr("证书不符"));
}

}  // namespace
}  // namespace sanji

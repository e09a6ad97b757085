// Hostile and broken peers against the real binaries (issue "Prove the
// promises", section 3): a county of one county_hub, two township_nodes and a
// real village_agent in each township, on loopback with real RocksDB
// directories. The test talks to the township's TownshipSync and the hub's
// CountyHub directly with generated stubs and plays a misbehaving village or
// township: oversized messages, foreign village and township codes, sequence
// gaps, replays, old epochs, silent streams, connection floods and streams cut
// mid-batch. Each case checks the exact gRPC status, that the node is still
// alive, and that the well-behaved villages still sync and the county numbers
// stay exact (outpatient visits and cost per village and for the county,
// against what the test knows it made the nodes accept).
//
// One county serves every test of the suite (they run in order and each leaves
// the county converged), so that a hostile peer that damaged a node would show
// in the tests after it too.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/net.h"
#include "common/period.h"
#include "common/record_parse.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/rollup_sync.grpc.pb.h"
#include "proto/village_sync.grpc.pb.h"
#include "tests/support/local_county.h"
#include "tests/support/process.h"
#include "tests/support/report_csv.h"
#include "tests/support/tcp_proxy.h"

namespace sanji::test_support {
namespace {

constexpr char kCounty[] = "640522";
constexpr char kTownA[] = "640522100";
constexpr char kTownB[] = "640522101";
// The well-behaved villages: a real village_agent each.
constexpr char kRealA[] = "640522100201";
constexpr char kRealB[] = "640522101201";
// A township code of this county that no running node has: the hostile
// township of the hub tests.
constexpr char kFakeTown[] = "640522109";
constexpr char kPeriod[] = "2025";
constexpr absl::Duration kWait = absl::Seconds(60);
// Every call the test makes has a deadline, so that a hang fails the test.
constexpr absl::Duration kCallDeadline = absl::Seconds(60);
// The limits under test, from common/net.h: kMaxMessageBytes (16 MiB) for
// every message, kHelloTimeout (10 s) for the first message of a stream.

#define ASSERT_OK(expr)                   \
  do {                                    \
    absl::Status status_ = (expr);        \
    ASSERT_TRUE(status_.ok()) << status_; \
  } while (0)

// Status code and message, for failure output.
std::string Describe(const grpc::Status& s) {
  return absl::StrCat("code ", s.error_code(), ": ", s.error_message());
}

// Checks the status a peer got, and prints it (what the node says to a
// misbehaving peer is part of the contract).
void ExpectCode(const grpc::Status& s, grpc::StatusCode code,
                const std::string& what) {
  EXPECT_EQ(s.error_code(), code) << what << ": " << Describe(s);
  std::printf("  %s -> %s\n", what.c_str(), Describe(s).c_str());
}

// One outpatient visit, as a CSV row and as the Record the agent makes of it.
struct Visit {
  std::string id;
  int month = 3;
  int day = 1;
  int64_t cost_fen = 1234;
};

std::string CostYuan(int64_t fen) {
  return absl::StrFormat("%d.%02d", fen / 100, fen % 100);
}

constexpr char kCsvHeader[] =
    "record_id,kind,occurred_at,patient_id,sex,birth_date,cost_yuan\n";

std::string CsvRow(const Visit& v) {
  return absl::StrFormat(
      "%s,outpatient_visit,2025-%02d-%02dT10:00,P-%s,M,1980-01-01,%s\n", v.id,
      v.month, v.day, v.id, CostYuan(v.cost_fen));
}

Record ToRecord(const Visit& v) {
  RawRow row;
  auto& f = *row.mutable_fields();
  f["record_id"] = v.id;
  f["kind"] = "outpatient_visit";
  f["occurred_at"] = absl::StrFormat("2025-%02d-%02dT10:00", v.month, v.day);
  f["patient_id"] = "P-" + v.id;
  f["sex"] = "M";
  f["birth_date"] = "1980-01-01";
  f["cost_yuan"] = CostYuan(v.cost_fen);
  std::string bad_column;
  absl::StatusOr<Record> record = ParseRow(row, NowLocal(), &bad_column);
  EXPECT_TRUE(record.ok()) << record.status() << " column " << bad_column;
  return record.ok() ? *record : Record();
}

// An urgent notifiable-disease report (cholera is class A).
Record CholeraReport(const std::string& id) {
  RawRow row;
  auto& f = *row.mutable_fields();
  f["record_id"] = id;
  f["kind"] = "infectious_disease_report";
  f["occurred_at"] = "2025-05-02T09:30";
  f["patient_id"] = "PX-" + id;
  f["sex"] = "F";
  f["birth_date"] = "1980-05-06";
  f["disease"] = "cholera";
  std::string bad_column;
  absl::StatusOr<Record> record = ParseRow(row, NowLocal(), &bad_column);
  EXPECT_TRUE(record.ok()) << record.status() << " column " << bad_column;
  return record.ok() ? *record : Record();
}

VillageMessage Hello(const std::string& village, uint64_t epoch) {
  VillageMessage m;
  m.mutable_hello()->set_village_id(village);
  m.mutable_hello()->set_epoch(epoch);
  return m;
}

// Records numbered first_seq, first_seq + 1, ...
VillageMessage Batch(uint64_t first_seq, const std::vector<Record>& records) {
  VillageMessage m;
  RecordBatch* batch = m.mutable_batch();
  for (const Record& r : records) {
    SeqRecord* s = batch->add_records();
    s->set_seq(first_seq++);
    *s->mutable_record() = r;
  }
  return m;
}

std::vector<Record> Visits(const std::string& prefix, int n,
                           int64_t cost_fen = 1234) {
  std::vector<Record> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(
        ToRecord(Visit{absl::StrCat(prefix, "-", i), 3, 1 + i % 28, cost_fen}));
  }
  return out;
}

std::shared_ptr<grpc::Channel> PlainChannel(const std::string& addr) {
  // Unlike common/net.h MakeChannel, no send limit: a hostile peer does not
  // keep to it.
  return grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
}

// One Sync stream, played by hand.
class SyncCall {
 public:
  explicit SyncCall(TownshipSync::Stub* stub,
                    absl::Duration deadline = kCallDeadline) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    context_.set_wait_for_ready(true);  // a transient reconnect is no failure
    stream_ = stub->Sync(&context_);
  }
  // Writes `m` and reads the answer: the watermark, or nullopt when the stream
  // has ended (Finish() then says why).
  std::optional<uint64_t> Send(const VillageMessage& m) {
    if (!stream_->Write(m)) return std::nullopt;
    TownshipMessage reply;
    if (!stream_->Read(&reply)) return std::nullopt;
    return reply.watermark();
  }
  grpc::Status Finish() {
    stream_->WritesDone();
    return stream_->Finish();
  }
  grpc::ClientContext& context() { return context_; }
  grpc::ClientReaderWriter<VillageMessage, TownshipMessage>& stream() {
    return *stream_;
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<VillageMessage, TownshipMessage>>
      stream_;
};

// One Push stream of a (pretend) township, played by hand.
class PushCall {
 public:
  explicit PushCall(CountyHub::Stub* stub,
                    absl::Duration deadline = kCallDeadline) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    context_.set_wait_for_ready(true);
    stream_ = stub->Push(&context_);
  }
  // Writes `m` and reads the acknowledged batch id; nullopt when the stream has
  // ended.
  std::optional<uint64_t> Send(const RollupUp& m) {
    if (!stream_->Write(m)) return std::nullopt;
    RollupDown reply;
    if (!stream_->Read(&reply)) return std::nullopt;
    return reply.acked_batch_id();
  }
  grpc::Status Finish() {
    stream_->WritesDone();
    return stream_->Finish();
  }
  grpc::ClientReaderWriter<RollupUp, RollupDown>& stream() { return *stream_; }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<RollupUp, RollupDown>> stream_;
};

RollupUp RollupHelloMsg(const std::string& township) {
  RollupUp m;
  m.mutable_hello()->set_township_id(township);
  return m;
}

Cell OutpatientCell(const std::string& village, int64_t value) {
  Cell c;
  c.set_village_id(village);
  c.set_indicator("outpatient_visits");
  c.set_period("2025-03-01");
  c.set_value(value);
  c.set_version(uint64_t{1} << 40);  // newer than anything real
  return c;
}

Alert CholeraAlert(const std::string& village, const std::string& record_id) {
  Alert a;
  a.set_village_id(village);
  a.set_record_id(record_id);
  a.set_disease("cholera");
  a.set_disease_class("A");
  a.set_urgent(true);
  int64_t at = 0;
  EXPECT_TRUE(ParseLocalSeconds("2025-05-02T09:30", &at));
  a.set_occurred_at(at);
  a.set_sex("M");
  a.set_age_years(40);
  a.set_version(uint64_t{1} << 40);
  return a;
}

// The unsigned integer after "key: " in `key: value` status text.
std::optional<uint64_t> U64Field(const std::string& text,
                                 const std::string& key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    uint64_t v = 0;
    if (absl::ConsumePrefix(&line, key + ": ") && absl::SimpleAtoi(line, &v)) {
      return v;
    }
  }
  return std::nullopt;
}

// What the county must report for one village.
struct Totals {
  int64_t visits = 0;
  int64_t cost_fen = 0;
};

class HostilePeersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    county_ = new LocalCounty(dir_->path(), {kRealA, kRealB});
    expected_ = new std::map<std::string, Totals>;
    start_status_ = dir_->ok() ? county_->Init()
                               : absl::InternalError("no scratch directory");
    // The processes start with the soft open-file limit most services get by
    // default (systemd: LimitNOFILE=1024:524288), not whatever the test runs
    // with, so that the connection flood below meets the limit a real
    // township would meet.
    rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    rlimit lowered = limit;
    lowered.rlim_cur = std::min<rlim_t>(limit.rlim_cur, 1024);
    setrlimit(RLIMIT_NOFILE, &lowered);
    if (start_status_.ok()) start_status_ = county_->StartAll();
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  static void TearDownTestSuite() {
    delete county_;
    delete dir_;
    delete expected_;
    county_ = nullptr;
    dir_ = nullptr;
    expected_ = nullptr;
  }

  void SetUp() override {
    ASSERT_OK(start_status_);
    town_a_ =
        TownshipSync::NewStub(PlainChannel(county_->township_addr(kTownA)));
    town_b_ =
        TownshipSync::NewStub(PlainChannel(county_->township_addr(kTownB)));
    hub_ = CountyHub::NewStub(PlainChannel(county_->hub_addr()));
  }

  // Imports `n` new visits into a real agent; the county must count them.
  void ImportReal(const std::string& village, int n,
                  std::vector<Visit>* visits = nullptr) {
    std::string text = kCsvHeader;
    for (int i = 0; i < n; ++i) {
      Visit v{absl::StrCat("real-", next_real_id_++), 4, 1 + i % 28,
              1000 + 7 * i};
      text += CsvRow(v);
      Count(village, v.cost_fen);
      if (visits != nullptr) visits->push_back(v);
    }
    std::string path = dir_->Sub(absl::StrCat("import-", next_file_++, ".csv"));
    std::ofstream(path) << text;
    CommandResult r = county_->Import(village, {path});
    EXPECT_EQ(r.exit_code, 0) << r.output << r.errors;
    EXPECT_NE(r.output.find(absl::StrCat("accepted=", n, " ")),
              std::string::npos)
        << r.output;
  }

  // The county must count one more visit of `village`.
  static void Count(const std::string& village, int64_t cost_fen,
                    int times = 1) {
    Totals& t = (*expected_)[village];
    t.visits += times;
    t.cost_fen += cost_fen * times;
  }
  static void CountRecords(const std::string& village,
                           const std::vector<Record>& records) {
    for (const Record& r : records) Count(village, r.cost_fen());
  }

  // Waits for every tier to drain, then compares the county's report with
  // what the test made the nodes accept: per village, and for the county.
  void ExpectCountyExact() {
    ASSERT_OK(county_->WaitAgentsSynced(kWait));
    ASSERT_OK(county_->WaitTownshipsSynced(kWait));
    absl::StatusOr<ReportCsv> villages = county_->Report(kPeriod, "village");
    ASSERT_TRUE(villages.ok()) << villages.status();
    absl::StatusOr<ReportCsv> county = county_->Report(kPeriod, "county");
    ASSERT_TRUE(county.ok()) << county.status();
    Totals total;
    for (const auto& [village, t] : *expected_) {
      EXPECT_EQ(villages->Value("village", village, "outpatient_visits"),
                absl::StrCat(t.visits))
          << village;
      EXPECT_EQ(villages->Value("village", village, "outpatient_cost_yuan"),
                CostYuan(t.cost_fen))
          << village;
      total.visits += t.visits;
      total.cost_fen += t.cost_fen;
    }
    for (const ReportCsvRow& row : villages->rows()) {
      if (row.level == "village" && row.indicator == "outpatient_visits") {
        EXPECT_EQ(expected_->count(row.org_id), 1u)
            << "the county reports a village the test never made accepted: "
            << row.org_id << " = " << row.value;
      }
    }
    EXPECT_EQ(county->Value("county", kCounty, "outpatient_visits"),
              absl::StrCat(total.visits));
    EXPECT_EQ(county->Value("county", kCounty, "outpatient_cost_yuan"),
              CostYuan(total.cost_fen));
  }

  // The well-behaved villages of both townships still sync, and the county
  // stays exact.
  void ExpectOthersUnaffected() {
    ImportReal(kRealA, 3);
    ImportReal(kRealB, 3);
    ExpectCountyExact();
  }

  // Both townships and the hub still run and answer.
  void ExpectNodesAlive() {
    EXPECT_TRUE(county_->hub().Running());
    for (const char* t : {kTownA, kTownB}) {
      EXPECT_TRUE(county_->township(t).Running()) << t;
      EXPECT_NE(county_->TownshipStatus(t), "") << t;
    }
    EXPECT_TRUE(HubState().has_value());
  }

  int64_t TownField(const std::string& key, const char* town = kTownA) {
    return StatusField(county_->TownshipStatus(town), key);
  }

  std::optional<sanji::HubStatus> HubState() {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
    context.set_wait_for_ready(true);
    sanji::HubStatus status;
    grpc::Status s = hub_->Status(&context, HubStatusRequest(), &status);
    EXPECT_TRUE(s.ok()) << Describe(s);
    if (!s.ok()) return std::nullopt;
    return status;
  }
  uint64_t HubAlerts() {
    std::optional<sanji::HubStatus> s = HubState();
    return s.has_value() ? s->alerts() : ~uint64_t{0};
  }

  // The township's watermark for (village, epoch), from a fresh hello.
  std::optional<uint64_t> Watermark(const std::string& village, uint64_t epoch,
                                    TownshipSync::Stub* stub = nullptr) {
    SyncCall call(stub != nullptr ? stub : town_a_.get());
    std::optional<uint64_t> w = call.Send(Hello(village, epoch));
    grpc::Status s = call.Finish();
    EXPECT_TRUE(s.ok()) << Describe(s);
    return w;
  }

  // The status a Sync stream ends with after `messages`, the last of which
  // the township must refuse.
  grpc::Status SyncRefusal(TownshipSync::Stub* stub,
                           const std::vector<VillageMessage>& messages) {
    SyncCall call(stub);
    for (size_t i = 0; i < messages.size(); ++i) {
      std::optional<uint64_t> w = call.Send(messages[i]);
      EXPECT_EQ(w.has_value(), i + 1 < messages.size())
          << "message " << i << " of " << messages.size();
    }
    return call.Finish();
  }

  grpc::Status PushRefusal(const std::vector<RollupUp>& messages) {
    PushCall call(hub_.get());
    for (size_t i = 0; i < messages.size(); ++i) {
      std::optional<uint64_t> acked = call.Send(messages[i]);
      EXPECT_EQ(acked.has_value(), i + 1 < messages.size())
          << "message " << i << " of " << messages.size();
    }
    return call.Finish();
  }

  static TempDir* dir_;
  static LocalCounty* county_;
  static absl::Status start_status_;
  static std::map<std::string, Totals>* expected_;
  static int next_real_id_;
  static int next_file_;

  std::unique_ptr<TownshipSync::Stub> town_a_;
  std::unique_ptr<TownshipSync::Stub> town_b_;
  std::unique_ptr<CountyHub::Stub> hub_;
};

TempDir* HostilePeersTest::dir_ = nullptr;
LocalCounty* HostilePeersTest::county_ = nullptr;
absl::Status HostilePeersTest::start_status_;
std::map<std::string, Totals>* HostilePeersTest::expected_ = nullptr;
int HostilePeersTest::next_real_id_ = 0;
int HostilePeersTest::next_file_ = 0;

// The baseline: both real villages sync, and the county counts them.
TEST_F(HostilePeersTest, WellBehavedVillagesSync) {
  ImportReal(kRealA, 5);
  ImportReal(kRealB, 5);
  ExpectCountyExact();
}

// 1. A message above the 16 MiB limit: RESOURCE_EXHAUSTED from the township's
// Sync and from the hub's Push; nothing applied, both stay up.
TEST_F(HostilePeersTest, OversizedMessagesAreResourceExhausted) {
  const std::string village = "640522100281";
  int64_t applied = TownField("records_applied");
  {
    // Seventeen records of 1 MiB each, in one batch.
    std::vector<Record> records = Visits("big", 17);
    for (Record& r : records) r.set_icd10(std::string(1 << 20, 'A'));
    VillageMessage batch = Batch(1, records);
    ASSERT_GT(batch.ByteSizeLong(), size_t{kMaxMessageBytes});
    SyncCall call(town_a_.get());
    ASSERT_EQ(call.Send(Hello(village, 1)), 0u);
    EXPECT_EQ(call.Send(batch), std::nullopt);
    grpc::Status s = call.Finish();
    ExpectCode(s, grpc::StatusCode::RESOURCE_EXHAUSTED,
               "township Sync: 17 MiB batch");
  }
  {
    // An oversized first message: a hello with a 17 MiB village code.
    SyncCall call(town_a_.get());
    EXPECT_EQ(call.Send(Hello(std::string(17 << 20, '6'), 1)), std::nullopt);
    grpc::Status s = call.Finish();
    ExpectCode(s, grpc::StatusCode::RESOURCE_EXHAUSTED,
               "township Sync: 17 MiB hello");
  }
  EXPECT_EQ(Watermark(village, 1), 0u);
  EXPECT_EQ(TownField("records_applied"), applied);
  {
    RollupUp up;
    CellBatch* batch = up.mutable_batch();
    batch->set_batch_id(1);
    for (int i = 0; i < 17; ++i) {
      *batch->add_cells() =
          OutpatientCell(absl::StrCat(kFakeTown, std::string(1 << 20, '1')), 1);
    }
    ASSERT_GT(up.ByteSizeLong(), size_t{kMaxMessageBytes});
    PushCall call(hub_.get());
    ASSERT_EQ(call.Send(RollupHelloMsg(kFakeTown)), 0u);
    EXPECT_EQ(call.Send(up), std::nullopt);
    grpc::Status s = call.Finish();
    ExpectCode(s, grpc::StatusCode::RESOURCE_EXHAUSTED,
               "hub Push: 17 MiB batch");
  }
  ExpectNodesAlive();
  ExpectOthersUnaffected();
}

// 2. A village claiming another township's (or county's) village code:
// PERMISSION_DENIED, on Sync and on SendUrgent.
TEST_F(HostilePeersTest, ForeignVillageIsPermissionDenied) {
  uint64_t alerts = HubAlerts();
  for (const char* foreign :
       {kRealB, "640522101299", "640523100201", "64052210020"}) {
    grpc::Status s = SyncRefusal(town_a_.get(), {Hello(foreign, 1)});
    ExpectCode(s, grpc::StatusCode::PERMISSION_DENIED,
               absl::StrCat("township A Sync: hello for village ", foreign));
  }
  grpc::Status s = SyncRefusal(town_b_.get(), {Hello(kRealA, 1)});
  ExpectCode(s, grpc::StatusCode::PERMISSION_DENIED,
             "township B Sync: hello for a village of township A");

  // An urgent report on the fast lane, for a village of township B, sent to
  // township A.
  UrgentReports urgent;
  urgent.set_village_id(kRealB);
  SeqRecord* r = urgent.mutable_records()->add_records();
  r->set_seq(1);
  *r->mutable_record() = CholeraReport("foreign-urgent-1");
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
  UrgentAck ack;
  s = town_a_->SendUrgent(&context, urgent, &ack);
  ExpectCode(s, grpc::StatusCode::PERMISSION_DENIED,
             "township A SendUrgent: village of township B");
  EXPECT_EQ(ack.seqs_size(), 0);

  ASSERT_OK(county_->WaitTownshipsSynced(kWait));
  EXPECT_EQ(HubAlerts(), alerts) << "an alert of a refused report arrived";
  ExpectNodesAlive();
  ExpectOthersUnaffected();
}

// 3. A township sending cells or alerts for a village of another township:
// PERMISSION_DENIED, and nothing of the batch is stored.
TEST_F(HostilePeersTest, ForeignCellsAndAlertsArePermissionDenied) {
  ExpectCountyExact();
  uint64_t alerts = HubAlerts();
  RollupUp cells;
  cells.mutable_batch()->set_batch_id(1);
  *cells.mutable_batch()->add_cells() = OutpatientCell(kRealA, 999999);
  grpc::Status s = PushRefusal({RollupHelloMsg(kFakeTown), cells});
  ExpectCode(s, grpc::StatusCode::PERMISSION_DENIED,
             "hub Push: cell for another township's village");

  RollupUp foreign_alert;
  foreign_alert.mutable_batch()->set_batch_id(2);
  *foreign_alert.mutable_batch()->add_alerts() =
      CholeraAlert(kRealA, "fake-alert-1");
  s = PushRefusal({RollupHelloMsg(kFakeTown), foreign_alert});
  ExpectCode(s, grpc::StatusCode::PERMISSION_DENIED,
             "hub Push: alert for another township's village");

  // The sender's own alert and own cell, with one foreign cell: the whole
  // batch is refused, the valid parts included.
  RollupUp mixed;
  mixed.mutable_batch()->set_batch_id(3);
  *mixed.mutable_batch()->add_alerts() =
      CholeraAlert(absl::StrCat(kFakeTown, "201"), "own-alert-1");
  *mixed.mutable_batch()->add_cells() =
      OutpatientCell(absl::StrCat(kFakeTown, "201"), 5);
  *mixed.mutable_batch()->add_cells() = OutpatientCell(kRealB, 999999);
  s = PushRefusal({RollupHelloMsg(kFakeTown), mixed});
  ExpectCode(s, grpc::StatusCode::PERMISSION_DENIED,
             "hub Push: own alert and cell plus a foreign cell");

  EXPECT_EQ(HubAlerts(), alerts);
  ExpectNodesAlive();
  ExpectCountyExact();  // no village 640522109201, A's and B's numbers kept
  ExpectOthersUnaffected();
}

// 4. A batch that starts above watermark + 1: ABORTED, nothing of it applied;
// the village resumes from the watermark.
TEST_F(HostilePeersTest, SequenceGapIsAborted) {
  const std::string village = "640522100284";
  std::vector<Record> records = Visits("gap", 6);
  int64_t applied = TownField("records_applied");
  SyncCall call(town_a_.get());
  ASSERT_EQ(call.Send(Hello(village, 4)), 0u);
  ASSERT_EQ(call.Send(Batch(1, {records[0], records[1], records[2]})), 3u);
  EXPECT_EQ(call.Send(Batch(5, {records[4], records[5]})), std::nullopt);
  grpc::Status s = call.Finish();
  ExpectCode(s, grpc::StatusCode::ABORTED,
             "township Sync: batch starting at seq 5 after watermark 3");
  EXPECT_EQ(TownField("records_applied"), applied + 3);
  EXPECT_EQ(Watermark(village, 4), 3u);

  // A batch that starts right but repeats a seq (5, 5, 6): nothing of it
  // either.
  VillageMessage repeated = Batch(5, {records[4], records[4], records[5]});
  repeated.mutable_batch()->mutable_records(1)->set_seq(5);
  repeated.mutable_batch()->mutable_records(2)->set_seq(6);
  s = SyncRefusal(town_a_.get(),
                  {Hello(village, 4), Batch(4, {records[3]}), repeated});
  ExpectCode(s, grpc::StatusCode::ABORTED,
             "township Sync: batch with seqs 5, 5, 6 after watermark 4");
  EXPECT_EQ(Watermark(village, 4), 4u);

  SyncCall resume(town_a_.get());
  ASSERT_EQ(resume.Send(Hello(village, 4)), 4u);
  EXPECT_EQ(resume.Send(Batch(5, {records[4], records[5]})), 6u);
  EXPECT_TRUE(resume.Finish().ok());
  EXPECT_EQ(TownField("records_applied"), applied + 6);
  CountRecords(village, records);
  ExpectOthersUnaffected();
}

// 5. Replays: the same batch twice, an old batch after later ones, an
// overlapping one and a whole resend on a new stream are acknowledged with
// the current watermark and counted once.
TEST_F(HostilePeersTest, ReplayedBatchesCountOnce) {
  const std::string village = "640522100285";
  std::vector<Record> r = Visits("replay", 10);
  auto slice = [&](size_t from, size_t to) {  // seqs from..to, 1-based
    return Batch(from,
                 std::vector<Record>(r.begin() + from - 1, r.begin() + to));
  };
  int64_t applied = TownField("records_applied");
  {
    SyncCall call(town_a_.get());
    ASSERT_EQ(call.Send(Hello(village, 5)), 0u);
    EXPECT_EQ(call.Send(slice(1, 4)), 4u);
    EXPECT_EQ(call.Send(slice(1, 4)), 4u);  // the same batch again
    EXPECT_EQ(call.Send(slice(5, 8)), 8u);
    EXPECT_EQ(call.Send(slice(1, 4)), 8u);    // an old batch after later ones
    EXPECT_EQ(call.Send(slice(3, 10)), 10u);  // overlapping: 9 and 10 new
    EXPECT_EQ(call.Send(slice(2, 2)), 10u);
    grpc::Status s = call.Finish();
    EXPECT_TRUE(s.ok()) << Describe(s);
  }
  {
    SyncCall call(town_a_.get());  // a reconnect resending everything
    ASSERT_EQ(call.Send(Hello(village, 5)), 10u);
    EXPECT_EQ(call.Send(slice(1, 10)), 10u);
    EXPECT_TRUE(call.Finish().ok());
  }
  EXPECT_EQ(TownField("records_applied"), applied + 10);
  CountRecords(village, r);
  ExpectCountyExact();
  ExpectOthersUnaffected();
}

// 6. Old and new epochs. A real agent whose data directory is recreated
// resends everything under a new epoch; a peer then says hello with the old
// epoch and replays identical records, and one with conflicting content:
// identical ones count as duplicates, the conflicting one as conflicting,
// none of them in the county's numbers.
TEST_F(HostilePeersTest, OldEpochReplaysCountOnce) {
  std::vector<Visit> visits;
  ImportReal(kRealA, 8, &visits);
  ExpectCountyExact();
  const std::string before = county_->AgentStatus(kRealA);
  std::optional<uint64_t> old_epoch = U64Field(before, "epoch");
  std::optional<uint64_t> old_acked = U64Field(before, "acked_seq");
  ASSERT_TRUE(old_epoch.has_value()) << before;
  ASSERT_TRUE(old_acked.has_value()) << before;

  // The agent's disk is replaced; the clinic imports its file again.
  county_->agent(kRealA).Kill();
  std::filesystem::remove_all(dir_->Sub(absl::StrCat("agent", kRealA)));
  ASSERT_OK(county_->StartAgent(kRealA));
  int64_t applied = TownField("records_applied");
  int64_t duplicates = TownField("records_duplicate");
  int64_t conflicting = TownField("records_conflicting");
  {
    std::string path = dir_->Sub("reimport.csv");
    std::string text = kCsvHeader;
    for (const Visit& v : visits) text += CsvRow(v);
    std::ofstream(path) << text;
    CommandResult r = county_->Import(kRealA, {path});
    EXPECT_EQ(r.exit_code, 0) << r.output << r.errors;
    EXPECT_NE(r.output.find("accepted=8 "), std::string::npos) << r.output;
  }
  ASSERT_OK(county_->WaitAgentsSynced(kWait));
  std::optional<uint64_t> new_epoch =
      U64Field(county_->AgentStatus(kRealA), "epoch");
  EXPECT_NE(new_epoch, old_epoch);
  EXPECT_EQ(TownField("records_applied"), applied);
  EXPECT_EQ(TownField("records_duplicate"), duplicates + 8);
  ExpectCountyExact();

  // Hello with the old epoch: the township still has its watermark; a replay
  // below it is acknowledged and ignored, identical records above it are
  // duplicates, different content under a known record id is a conflict.
  {
    SyncCall call(town_a_.get());
    ASSERT_EQ(call.Send(Hello(kRealA, *old_epoch)), *old_acked);
    std::vector<Record> replay;
    for (const Visit& v : visits) replay.push_back(ToRecord(v));
    EXPECT_EQ(call.Send(Batch(*old_acked - 7, replay)), *old_acked);
    EXPECT_EQ(TownField("records_duplicate"), duplicates + 8);
    EXPECT_EQ(call.Send(Batch(*old_acked + 1, {replay[0], replay[1]})),
              *old_acked + 2);
    Visit changed = visits[2];
    changed.cost_fen += 100000;
    EXPECT_EQ(call.Send(Batch(*old_acked + 3, {ToRecord(changed)})),
              *old_acked + 3);
    EXPECT_TRUE(call.Finish().ok());
  }
  EXPECT_EQ(TownField("records_applied"), applied);
  EXPECT_EQ(TownField("records_duplicate"), duplicates + 10);
  EXPECT_EQ(TownField("records_conflicting"), conflicting + 1);

  // The same with a village played by hand: epoch 61 sends five records;
  // epoch 62 (a recreated disk) resends them; a conflicting copy and a new
  // record follow under the old epoch 61.
  const std::string village = "640522100286";
  std::vector<Record> r = Visits("epoch", 6);
  {
    SyncCall call(town_a_.get());
    ASSERT_EQ(call.Send(Hello(village, 61)), 0u);
    EXPECT_EQ(call.Send(Batch(1, {r[0], r[1], r[2], r[3], r[4]})), 5u);
    EXPECT_TRUE(call.Finish().ok());
  }
  {
    SyncCall call(town_a_.get());
    ASSERT_EQ(call.Send(Hello(village, 62)), 0u);
    EXPECT_EQ(call.Send(Batch(1, {r[0], r[1], r[2], r[3], r[4]})), 5u);
    EXPECT_TRUE(call.Finish().ok());
  }
  {
    SyncCall call(town_a_.get());
    ASSERT_EQ(call.Send(Hello(village, 61)), 5u);
    Record conflicting_copy = r[1];
    conflicting_copy.set_cost_fen(99999);
    EXPECT_EQ(call.Send(Batch(6, {conflicting_copy, r[5]})), 7u);
    EXPECT_TRUE(call.Finish().ok());
  }
  EXPECT_EQ(TownField("records_applied"), applied + 6);
  EXPECT_EQ(TownField("records_duplicate"), duplicates + 15);
  EXPECT_EQ(TownField("records_conflicting"), conflicting + 2);
  CountRecords(village, r);
  ExpectOthersUnaffected();
}

// Invalid content: a record that fails validation is refused and counted as
// such while the watermark advances; a hello without a village, a first
// message that is not a hello, epoch 0 and a second hello are
// INVALID_ARGUMENT; so is a Push that does not start with a hello, and a Push
// hello of another county's township is PERMISSION_DENIED.
TEST_F(HostilePeersTest, InvalidContentIsRefused) {
  const std::string village = "640522100288";
  std::vector<Record> r = Visits("invalid", 3);
  Record future = r[1];
  int64_t at = 0;
  ASSERT_TRUE(ParseLocalSeconds("2099-01-01T10:00", &at));
  future.set_occurred_at(at);
  Record no_patient = r[2];
  no_patient.clear_patient_id();
  int64_t applied = TownField("records_applied");
  int64_t refused = TownField("records_refused");
  {
    SyncCall call(town_a_.get());
    ASSERT_EQ(call.Send(Hello(village, 1)), 0u);
    EXPECT_EQ(call.Send(Batch(1, {r[0], future, no_patient, r[1], r[2]})), 5u);
    EXPECT_TRUE(call.Finish().ok());
  }
  EXPECT_EQ(TownField("records_applied"), applied + 3);
  EXPECT_EQ(TownField("records_refused"), refused + 2);
  CountRecords(village, r);

  grpc::Status s = SyncRefusal(town_a_.get(), {Hello("", 1)});
  ExpectCode(s, grpc::StatusCode::INVALID_ARGUMENT,
             "township Sync: hello without a village");
  s = SyncRefusal(town_a_.get(), {VillageMessage()});
  ExpectCode(s, grpc::StatusCode::INVALID_ARGUMENT,
             "township Sync: empty first message");
  s = SyncRefusal(town_a_.get(), {Batch(1, {r[0]})});
  ExpectCode(s, grpc::StatusCode::INVALID_ARGUMENT,
             "township Sync: batch before hello");
  s = SyncRefusal(town_a_.get(), {Hello(village, 0)});
  ExpectCode(s, grpc::StatusCode::INVALID_ARGUMENT, "township Sync: epoch 0");
  s = SyncRefusal(town_a_.get(), {Hello(village, 1), Hello(village, 1)});
  ExpectCode(s, grpc::StatusCode::INVALID_ARGUMENT,
             "township Sync: second hello");

  RollupUp batch_first;
  batch_first.mutable_batch()->set_batch_id(1);
  *batch_first.mutable_batch()->add_cells() =
      OutpatientCell(absl::StrCat(kFakeTown, "201"), 1);
  s = PushRefusal({batch_first});
  ExpectCode(s, grpc::StatusCode::INVALID_ARGUMENT,
             "hub Push: batch before hello");
  s = PushRefusal({RollupHelloMsg("640523100")});
  ExpectCode(s, grpc::StatusCode::PERMISSION_DENIED,
             "hub Push: hello of another county's township");
  s = PushRefusal({RollupHelloMsg(kFakeTown), RollupHelloMsg(kFakeTown)});
  ExpectCode(s, grpc::StatusCode::INVALID_ARGUMENT, "hub Push: second hello");

  EXPECT_EQ(TownField("records_applied"), applied + 3);
  ExpectNodesAlive();
  ExpectOthersUnaffected();
}

// 7. A client that opens a Sync stream and never sends anything. The township
// keeps serving everyone else, and ends the silent stream once it has waited
// kHelloTimeout (common/net.h) for a hello; the hub does the same with a
// silent Push. (Without that, nothing would end them: the server's keepalive
// pings are answered by the live client, and these streams have no deadline.)
TEST_F(HostilePeersTest, SilentStreamIsEndedAndOthersSync) {
  const std::string village = "640522100287";
  absl::Time opened = absl::Now();
  SyncCall silent(town_a_.get(), /*deadline=*/absl::Minutes(2));
  PushCall silent_push(hub_.get(), /*deadline=*/absl::Minutes(2));
  // A village that said hello and then idles is a normal village: it must
  // outlive the hello timeout.
  SyncCall idle_after_hello(town_a_.get(), absl::Minutes(2));
  ASSERT_EQ(idle_after_hello.Send(Hello(village, 1)), 0u);

  ExpectOthersUnaffected();
  EXPECT_EQ(Watermark(village, 2), 0u);

  TownshipMessage reply;
  EXPECT_FALSE(silent.stream().Read(&reply));
  absl::Duration lasted = absl::Now() - opened;
  ExpectCode(silent.Finish(), grpc::StatusCode::CANCELLED,
             "township Sync: silent stream");
  EXPECT_GE(lasted, kHelloTimeout - absl::Seconds(1));
  EXPECT_LT(lasted, kHelloTimeout + absl::Seconds(20))
      << "the silent stream was not ended by the township";
  RollupDown down;
  EXPECT_FALSE(silent_push.stream().Read(&down));
  lasted = absl::Now() - opened;
  ExpectCode(silent_push.Finish(), grpc::StatusCode::CANCELLED,
             "hub Push: silent stream");
  EXPECT_LT(lasted, kHelloTimeout + absl::Seconds(20))
      << "the silent stream was not ended by the hub";

  std::vector<Record> r = Visits("idle", 2);
  EXPECT_EQ(idle_after_hello.Send(Batch(1, r)), 2u);
  EXPECT_TRUE(idle_after_hello.Finish().ok());
  CountRecords(village, r);
  ExpectOthersUnaffected();
}

// 8. Thousands of idle connections (2000 bare TCP connections and 300 gRPC
// channels, 100 of them holding an idle Sync stream) while the real villages
// sync, one of them reconnecting: they still sync, nothing crashes, and the
// township still takes new connections afterwards.
TEST_F(HostilePeersTest, ConnectionFloodDoesNotStopSyncs) {
  constexpr int kChannels = 300;
  constexpr int kStreams = 100;
  // The flood must fit under the hard open-file limit (the township's and the
  // test's own): 2000 connections unless the machine allows fewer.
  rlimit limit;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  const int tcp = static_cast<int>(std::min<rlim_t>(
      2000, limit.rlim_max > 1500 ? (limit.rlim_max - 1000) / 2 : 0));
  ASSERT_GE(tcp, 1000) << "raise the hard open-file limit (ulimit -Hn) to run "
                          "this test: it is "
                       << limit.rlim_max;
  limit.rlim_cur = limit.rlim_max;  // the test's own end of each connection
  setrlimit(RLIMIT_NOFILE, &limit);
  std::printf("  flood: %d TCP connections, %d gRPC channels, %d streams\n",
              tcp, kChannels, kStreams);

  const int port = [] {
    std::string addr = county_->township_addr(kTownA);
    int p = 0;
    EXPECT_TRUE(absl::SimpleAtoi(addr.substr(addr.rfind(':') + 1), &p));
    return p;
  }();
  // A township that stops accepting must fail the test, not hang it: every
  // step below shares one deadline.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  std::vector<int> sockets;
  sockets.reserve(tcp);
  for (int i = 0; i < tcp && absl::Now() < deadline; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0) << "socket " << i;
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd);
      continue;
    }
    sockets.push_back(fd);
  }
  EXPECT_EQ(sockets.size(), static_cast<size_t>(tcp));

  std::vector<std::shared_ptr<grpc::Channel>> channels;
  int connected = 0;
  for (int i = 0; i < kChannels; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one TCP each
    channels.push_back(
        grpc::CreateCustomChannel(county_->township_addr(kTownA),
                                  grpc::InsecureChannelCredentials(), args));
    if (channels.back()->WaitForConnected(absl::ToChronoTime(deadline))) {
      ++connected;
    }
  }
  EXPECT_EQ(connected, kChannels);
  std::vector<std::unique_ptr<TownshipSync::Stub>> stubs;
  std::vector<std::unique_ptr<SyncCall>> streams;
  for (int i = 0; i < kStreams && connected == kChannels; ++i) {
    stubs.push_back(TownshipSync::NewStub(channels[i]));
    streams.push_back(std::make_unique<SyncCall>(stubs.back().get()));
    EXPECT_EQ(streams.back()->Send(Hello("640522100283", 1 + i)), 0u) << i;
  }

  // Village A's link drops: its agent must connect again through the flood.
  county_->village_link(kRealA).ResetAll();
  ExpectNodesAlive();
  ExpectOthersUnaffected();

  for (auto& stream : streams) {
    stream->context().TryCancel();
    stream->Finish();
  }
  streams.clear();
  stubs.clear();
  channels.clear();
  for (int fd : sockets) close(fd);
  ExpectNodesAlive();
  ExpectOthersUnaffected();
}

// 9. A peer that disconnects mid-batch: through a proxy that cuts the stream
// in the middle of a batch's bytes, and by cancelling right after writing a
// batch. Nothing partial is applied; a later proper sync applies everything
// exactly once.
TEST_F(HostilePeersTest, DisconnectMidBatchAppliesNothingPartial) {
  const std::string village = "640522100289";
  std::vector<Record> r = Visits("cut", 300);
  std::vector<Record> first(r.begin(), r.begin() + 200);
  std::vector<Record> second(r.begin() + 200, r.end());
  int64_t applied = TownField("records_applied");
  {
    const std::string addr = county_->township_addr(kTownA);
    int port = 0;
    ASSERT_TRUE(absl::SimpleAtoi(addr.substr(addr.rfind(':') + 1), &port));
    absl::StatusOr<std::unique_ptr<TcpProxy>> proxy = TcpProxy::Start(port);
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    auto stub = TownshipSync::NewStub(
        PlainChannel(absl::StrCat("127.0.0.1:", (*proxy)->port())));
    SyncCall call(stub.get());
    ASSERT_EQ(call.Send(Hello(village, 9)), 0u);
    VillageMessage batch = Batch(1, first);
    ASSERT_GT(batch.ByteSizeLong(), 8000u);
    (*proxy)->TruncateAfter(batch.ByteSizeLong() / 2);
    EXPECT_EQ(call.Send(batch), std::nullopt);
    grpc::Status s = call.Finish();
    ExpectCode(s, grpc::StatusCode::UNAVAILABLE,
               "township Sync: stream cut mid-batch");
  }
  EXPECT_EQ(Watermark(village, 9), 0u);
  EXPECT_EQ(TownField("records_applied"), applied);
  {
    SyncCall call(town_a_.get());
    ASSERT_EQ(call.Send(Hello(village, 9)), 0u);
    EXPECT_EQ(call.Send(Batch(1, first)), 200u);
    EXPECT_TRUE(call.Finish().ok());
  }
  {
    // Cancelled right after the batch is written: the batch is either
    // applied whole or not at all.
    SyncCall call(town_a_.get());
    ASSERT_EQ(call.Send(Hello(village, 9)), 200u);
    EXPECT_TRUE(call.stream().Write(Batch(201, second)));
    call.context().TryCancel();
    grpc::Status s = call.stream().Finish();
    ExpectCode(s, grpc::StatusCode::CANCELLED,
               "township Sync: cancelled after writing a batch");
  }
  // The township may still be applying the cancelled batch when the client
  // sees CANCELLED (seen on a loaded machine), so the watermark may move from
  // 200 to 300 between two reads; never to anything in between.
  std::optional<uint64_t> w = Watermark(village, 9);
  EXPECT_TRUE(w == 200u || w == 300u) << w.value_or(0);
  {
    SyncCall call(town_a_.get());
    std::optional<uint64_t> hello = call.Send(Hello(village, 9));
    EXPECT_TRUE(hello == 200u || hello == 300u) << hello.value_or(0);
    EXPECT_GE(hello.value_or(0), w.value_or(0));
    EXPECT_EQ(call.Send(Batch(1, r)), 300u);  // a full resend
    EXPECT_TRUE(call.Finish().ok());
  }
  EXPECT_EQ(TownField("records_applied"), applied + 300);
  CountRecords(village, r);
  ExpectNodesAlive();
  ExpectOthersUnaffected();
}

}  // namespace
}  // namespace sanji::test_support

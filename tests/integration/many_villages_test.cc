// A township serving many villages at once (issue 13, "bounded threads"): 100
// Sync streams to one real township_node over loopback, each a village of
// the township sending its batches, with every stream's batch in flight at
// the same time. The township's thread count (/proc/PID/status) must not
// grow with the streams, and every batch must count exactly once: each
// stream's acks, the township's watermarks and records applied, and the
// county's cells per village after the township forwarded them. Then the
// township is told to stop with every stream open, and exits cleanly.
#include <csignal>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/period.h"
#include "common/record_parse.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/village_sync.grpc.pb.h"
#include "tests/support/local_county.h"
#include "tests/support/process.h"

namespace sanji {
namespace {

using test_support::LocalCounty;
using test_support::ReportCsv;
using test_support::StatusField;
using test_support::TempDir;

constexpr char kTownship[] = "640522100";
constexpr int kVillages = 100;
constexpr int kRounds = 4;
constexpr int kBatch = 25;
constexpr uint64_t kEpoch = 7;
// Threads the township may add for 100 streams over what it has with one:
// its worker pool is fixed and gRPC's own pools do not grow per stream (a
// thread per stream, as the synchronous API takes, would add 99).
constexpr int kSlackThreads = 10;
constexpr absl::Duration kDeadline = absl::Seconds(120);

std::string Village(int i) { return absl::StrCat(kTownship, 201 + i); }

// The Threads line of /proc/PID/status; -1 if unreadable.
int ThreadsOf(pid_t pid) {
  return static_cast<int>(test_support::ProcStatusField(pid, "Threads"));
}

Record Visit(const std::string& village, int n) {
  RawRow row;
  auto& f = *row.mutable_fields();
  f["record_id"] = absl::StrCat(village, "-", n);
  f["kind"] = "outpatient_visit";
  f["occurred_at"] =
      absl::StrFormat("2025-%02d-%02dT10:00", 1 + n % 12, 1 + n % 28);
  f["patient_id"] = absl::StrCat("P-", village, "-", n % 7);
  f["sex"] = n % 2 == 0 ? "F" : "M";
  f["birth_date"] = "1970-05-06";
  f["cost_yuan"] = "10.00";
  std::string bad_column;
  absl::StatusOr<Record> record = ParseRow(row, NowLocal(), &bad_column);
  EXPECT_TRUE(record.ok()) << record.status() << " column " << bad_column;
  return record.ok() ? *record : Record();
}

// Round `round`'s batch of `village`: seqs round * kBatch + 1 ... .
VillageMessage Batch(const std::string& village, int round) {
  VillageMessage m;
  for (int i = 0; i < kBatch; ++i) {
    const int n = round * kBatch + i;
    SeqRecord* s = m.mutable_batch()->add_records();
    s->set_seq(n + 1);
    *s->mutable_record() = Visit(village, n);
  }
  return m;
}

// One village's stream, played by hand: Write and Read are separate so
// that one thread can keep every stream's batch in flight at once.
class VillageStream {
 public:
  VillageStream(TownshipSync::Stub* stub, std::string village)
      : village_(std::move(village)) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + kDeadline));
    stream_ = stub->Sync(&context_);
  }
  const std::string& village() const { return village_; }
  bool Write(const VillageMessage& m) { return stream_->Write(m); }
  // The next ack's watermark; nullopt when the stream ended.
  std::optional<uint64_t> Read() {
    TownshipMessage reply;
    if (!stream_->Read(&reply)) return std::nullopt;
    return reply.watermark();
  }
  grpc::Status Finish() {
    stream_->WritesDone();
    return stream_->Finish();
  }

 private:
  const std::string village_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<VillageMessage, TownshipMessage>>
      stream_;
};

// A Sync stream whose one message is `bytes` as they are, on gRPC's generic
// API (the stubs would only send what parses): the status it ends with.
grpc::Status SyncWithRawBytes(const std::string& address,
                              const std::string& bytes) {
  grpc::GenericStub stub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kDeadline));
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, "/sanji.TownshipSync/Sync", &cq);
  // Each step waits for its own tag; a write may fail (ok false) once the
  // township has ended the call, which is what the status then says.
  auto step = [&cq](intptr_t tag) {
    void* got = nullptr;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&got, &ok));
    EXPECT_EQ(got, reinterpret_cast<void*>(tag));
  };
  call->StartCall(reinterpret_cast<void*>(1));
  step(1);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer buffer(&slice, 1);
  call->Write(buffer, reinterpret_cast<void*>(2));
  step(2);
  call->WritesDone(reinterpret_cast<void*>(3));
  step(3);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  step(4);
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

VillageMessage Hello(const std::string& village) {
  VillageMessage m;
  m.mutable_hello()->set_village_id(village);
  m.mutable_hello()->set_epoch(kEpoch);
  return m;
}

TEST(ManyVillagesTest, ThreadsStayBoundedAndEveryBatchCountsOnce) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  // The county's one village is only where LocalCounty takes the township
  // from; the streams below name 100 villages of it themselves.
  LocalCounty county(dir.path(), {Village(0)});
  ASSERT_TRUE(county.Init().ok());
  ASSERT_TRUE(county.StartHub().ok());
  absl::Status started = county.StartTownship(kTownship);
  ASSERT_TRUE(started.ok()) << started;
  const pid_t township = county.township(kTownship).pid();

  // Several channels, as villages have, multiplexing the streams.
  std::vector<std::unique_ptr<TownshipSync::Stub>> stubs;
  for (int i = 0; i < 4; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("sanji.channel", i);  // distinct channels, not one shared
    stubs.push_back(TownshipSync::NewStub(
        grpc::CreateCustomChannel(county.township_addr(kTownship),
                                  grpc::InsecureChannelCredentials(), args)));
  }
  std::vector<std::unique_ptr<VillageStream>> streams;
  int base_threads = -1;
  for (int i = 0; i < kVillages; ++i) {
    streams.push_back(std::make_unique<VillageStream>(
        stubs[i % stubs.size()].get(), Village(i)));
    ASSERT_TRUE(streams.back()->Write(Hello(Village(i))));
    ASSERT_EQ(streams.back()->Read(), std::optional<uint64_t>(0)) << i;
    if (i == 0) base_threads = ThreadsOf(township);
  }
  ASSERT_GT(base_threads, 0);
  int peak_threads = ThreadsOf(township);

  // Each round: every stream's batch in flight, then every ack; the last
  // round resends the round before (a replay: acknowledged, not counted).
  for (int round = 0; round <= kRounds; ++round) {
    const int sent = round < kRounds ? round : kRounds - 1;
    for (auto& s : streams) ASSERT_TRUE(s->Write(Batch(s->village(), sent)));
    peak_threads = std::max(peak_threads, ThreadsOf(township));
    for (auto& s : streams) {
      EXPECT_EQ(s->Read(), std::optional<uint64_t>((sent + 1) * kBatch))
          << s->village() << " round " << round;
    }
    peak_threads = std::max(peak_threads, ThreadsOf(township));
  }
  std::printf("township threads: %d with one stream, peak %d with %d\n",
              base_threads, peak_threads, kVillages);
  EXPECT_LE(peak_threads, base_threads + kSlackThreads);
  for (auto& s : streams) {
    grpc::Status end = s->Finish();
    EXPECT_TRUE(end.ok()) << s->village() << ": " << end.error_message();
  }

  const std::string status = county.TownshipStatus(kTownship);
  EXPECT_EQ(StatusField(status, "records_applied"),
            int64_t{kVillages} * kRounds * kBatch)
      << status;
  ASSERT_TRUE(county.WaitTownshipsSynced(kDeadline).ok());
  absl::StatusOr<ReportCsv> report = county.Report("2025", "village");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->Value("county", county.county_id(), "outpatient_visits"),
            absl::StrCat(kVillages * kRounds * kBatch));
  for (int i = 0; i < kVillages; ++i) {
    EXPECT_EQ(report->Value("village", Village(i), "outpatient_visits"),
              absl::StrCat(kRounds * kBatch))
        << Village(i);
  }
  // A fresh hello gets each village's watermark back.
  for (int i = 0; i < kVillages; i += 9) {
    VillageStream s(stubs[0].get(), Village(i));
    ASSERT_TRUE(s.Write(Hello(Village(i))));
    EXPECT_EQ(s.Read(), std::optional<uint64_t>(kRounds * kBatch));
    EXPECT_TRUE(s.Finish().ok());
  }

  // Bytes that are no VillageMessage (field 1 says 5 bytes, 1 follows): the
  // pool's parse refuses them with INVALID_ARGUMENT and the type's name;
  // every stream opened after it still syncs (below).
  grpc::Status garbage = SyncWithRawBytes(county.township_addr(kTownship),
                                          std::string("\x0a\x05\x01", 3));
  EXPECT_EQ(garbage.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(garbage.error_message().find("sanji.VillageMessage"),
            std::string::npos)
      << garbage.error_message();

  // Shutdown with every village connected, and one stream that never said
  // hello: the township ends them all (5 s grace, then cancelled) and exits
  // cleanly, waiting for no hello deadline.
  std::vector<std::unique_ptr<VillageStream>> open;
  for (int i = 0; i < kVillages; ++i) {
    open.push_back(std::make_unique<VillageStream>(
        stubs[i % stubs.size()].get(), Village(i)));
    ASSERT_TRUE(open.back()->Write(Hello(Village(i))));
    ASSERT_EQ(open.back()->Read(), std::optional<uint64_t>(kRounds * kBatch));
  }
  VillageStream silent(stubs[0].get(), Village(0));
  const absl::Time stop = absl::Now();
  ASSERT_TRUE(county.township(kTownship).Signal(SIGTERM));
  EXPECT_EQ(county.township(kTownship).Wait(absl::Seconds(60)),
            std::optional<int>(0));
  std::printf("township exited %.1f s after SIGTERM\n",
              absl::ToDoubleSeconds(absl::Now() - stop));
  for (auto& s : open) {
    EXPECT_EQ(s->Read(), std::nullopt) << s->village();
    EXPECT_FALSE(s->Finish().ok()) << s->village();
  }
  EXPECT_FALSE(silent.Finish().ok());
}

}  // namespace
}  // namespace sanji

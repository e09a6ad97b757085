// Tests of village_agent/uploader.h against a real township (aggregator and
// TownshipSync service) on loopback: the outbox drains, and a township's
// refusal keeps its status code, so that the agent waits as the protocol says
// (proto/village_sync.proto) instead of taking it for a broken link.
#include "village_agent/uploader.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/loopback_server.h"
#include "tests/support/process.h"
#include "township_node/aggregator.h"
#include "township_node/forwarder.h"
#include "township_node/sync_service.h"
#include "village_agent/record_intake.h"

namespace sanji {
namespace {

using test_support::LoopbackServer;
using test_support::TempDir;
using test_support::WaitFor;

constexpr char kTownship[] = "640522100";
constexpr char kVillage[] = "640522100201";

std::vector<RawRow> Visits(int n) {
  std::vector<RawRow> rows;
  for (int i = 0; i < n; ++i) {
    RawRow row;
    row.set_source("clinic.csv");
    row.set_line(i + 2);
    auto& f = *row.mutable_fields();
    f["record_id"] = absl::StrCat("op", i);
    f["kind"] = "outpatient_visit";
    f["occurred_at"] = "2025-06-01T09:15";
    f["patient_id"] = absl::StrCat("HR-", i);
    f["sex"] = "F";
    f["birth_date"] = "1960-02-03";
    f["cost_yuan"] = "12.50";
    rows.push_back(std::move(row));
  }
  return rows;
}

// A township node in this process: its aggregator behind its service.
class Township {
 public:
  Township(const std::string& dir, uint64_t max_buffer_bytes) {
    AggregatorOptions options;
    options.township_id = kTownship;
    options.max_buffer_bytes = max_buffer_bytes;
    options.min_free_disk_bytes = 0;
    auto opened = TownshipAggregator::Open(dir, options);
    EXPECT_TRUE(opened.ok()) << opened.status();
    if (!opened.ok()) return;
    aggregator_ = std::move(*opened);
    // Never started: only Status reads it.
    forwarder_ = std::make_unique<Forwarder>(kTownship, "127.0.0.1:1",
                                             aggregator_.get());
    service_ = std::make_unique<SyncService>(kTownship, aggregator_.get(),
                                             forwarder_.get());
    server_ = std::make_unique<LoopbackServer>(
        std::vector<grpc::Service*>{service_.get()});
  }
  bool ok() const { return server_ != nullptr && server_->ok(); }
  std::string address() const { return server_->address(); }
  TownshipAggregator* aggregator() { return aggregator_.get(); }

 private:
  std::unique_ptr<TownshipAggregator> aggregator_;
  std::unique_ptr<Forwarder> forwarder_;
  std::unique_ptr<SyncService> service_;
  std::unique_ptr<LoopbackServer> server_;
};

class UploaderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()); }
  std::unique_ptr<RecordIntake> Intake(const std::string& village) {
    IntakeOptions options;
    options.village_id = village;
    options.min_free_disk_bytes = 0;
    auto opened = RecordIntake::Open(dir_.Sub("agent-" + village), options);
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? std::move(*opened) : nullptr;
  }
  // Waits until the uploader's last failure has `code`.
  static bool FailsWith(const Uploader& uploader, absl::StatusCode code) {
    return WaitFor([&] { return uploader.last_error().code() == code; },
                   absl::Seconds(20), absl::Milliseconds(10));
  }

  TempDir dir_;
};

TEST_F(UploaderTest, TheOutboxDrainsIntoTheTownship) {
  Township township(dir_.Sub("township"), uint64_t{1} << 30);
  ASSERT_TRUE(township.ok());
  std::unique_ptr<RecordIntake> intake = Intake(kVillage);
  ASSERT_NE(intake, nullptr);
  ASSERT_TRUE(intake->Submit(Visits(1200)).ok());
  Uploader uploader(intake.get(), {township.address(), 100, 400, {}});
  uploader.Start();
  ASSERT_TRUE(WaitFor([&] { return intake->acked_seq() == 1200; },
                      absl::Seconds(30), absl::Milliseconds(10)));
  EXPECT_EQ(township.aggregator()->Watermark(kVillage, intake->epoch()), 1200u);
  EXPECT_EQ(intake->pending_bytes(), 0u);
  // Records accepted while connected go at once.
  ASSERT_TRUE(intake->Submit(Visits(1201)).ok());  // 1200 duplicates, 1 new
  EXPECT_TRUE(WaitFor([&] { return intake->acked_seq() == 1201; },
                      absl::Seconds(30), absl::Milliseconds(10)));
  AgentStatus status;
  uploader.FillStatus(&status);
  EXPECT_EQ(status.link_state(), "connected");
  EXPECT_GT(status.last_sync_unix_ms(), 0);
  EXPECT_EQ(status.last_error(), "");
  uploader.Stop();
}

TEST_F(UploaderTest, AFullTownshipsResourceExhaustedIsKept) {
  Township township(dir_.Sub("township"), /*max_buffer_bytes=*/1);
  ASSERT_TRUE(township.ok());
  std::unique_ptr<RecordIntake> intake = Intake(kVillage);
  ASSERT_NE(intake, nullptr);
  ASSERT_TRUE(intake->Submit(Visits(10)).ok());
  Uploader uploader(intake.get(), {township.address(), 100, 400, {}});
  uploader.Start();
  ASSERT_TRUE(FailsWith(uploader, absl::StatusCode::kResourceExhausted))
      << uploader.last_error();
  EXPECT_TRUE(
      absl::StrContains(uploader.last_error().message(), "--max_buffer_mb"))
      << uploader.last_error();
  EXPECT_EQ(intake->acked_seq(), 0u);
  uploader.Stop();
}

TEST_F(UploaderTest, AVillageOfAnotherTownshipIsPermissionDenied) {
  Township township(dir_.Sub("township"), uint64_t{1} << 30);
  ASSERT_TRUE(township.ok());
  std::unique_ptr<RecordIntake> intake = Intake("640522101201");
  ASSERT_NE(intake, nullptr);
  ASSERT_TRUE(intake->Submit(Visits(3)).ok());
  Uploader uploader(intake.get(), {township.address(), 100, 400, {}});
  uploader.Start();
  ASSERT_TRUE(FailsWith(uploader, absl::StatusCode::kPermissionDenied))
      << uploader.last_error();
  EXPECT_TRUE(absl::StrContains(uploader.last_error().message(),
                                "does not belong to township 640522100"))
      << uploader.last_error();
  EXPECT_EQ(intake->acked_seq(), 0u);
  uploader.Stop();
}

}  // namespace
}  // namespace sanji

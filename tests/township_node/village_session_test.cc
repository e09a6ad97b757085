// Tests of township_node/village_session.h: the township's side of the Sync
// protocol (proto/village_sync.proto), driven message by message on a real
// township store.
#include "township_node/village_session.h"

#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

namespace sanji {
namespace {

using test_support::TempDir;

constexpr char kTownship[] = "640522100";
constexpr char kVillage[] = "640522100201";

VillageMessage Hello(const std::string& village, uint64_t epoch) {
  VillageMessage m;
  m.mutable_hello()->set_village_id(village);
  m.mutable_hello()->set_epoch(epoch);
  return m;
}

// Outpatient visits with seqs first..last.
VillageMessage Batch(uint64_t first, uint64_t last) {
  VillageMessage m;
  for (uint64_t seq = first; seq <= last; ++seq) {
    SeqRecord* r = m.mutable_batch()->add_records();
    r->set_seq(seq);
    Record* record = r->mutable_record();
    record->set_record_id("op" + std::to_string(seq));
    record->set_kind("outpatient_visit");
    record->set_occurred_at(absl::CivilSecond(2025, 3, 14, 9, 0, 0) -
                            absl::CivilSecond(1970, 1, 1, 0, 0, 0));
    record->set_patient_id("p" + std::to_string(seq));
    record->set_sex("F");
    record->set_birth_date(0);
    record->set_cost_fen(100);
  }
  return m;
}

class VillageSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    AggregatorOptions options;
    options.township_id = kTownship;
    options.min_free_disk_bytes = 0;
    auto opened = TownshipAggregator::Open(dir_.Sub("township"), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    aggregator_ = std::move(*opened);
  }
  uint64_t Expect(VillageSession& session, const VillageMessage& message) {
    absl::StatusOr<TownshipMessage> reply = session.OnMessage(message);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? reply->watermark() : 0;
  }

  TempDir dir_;
  std::unique_ptr<TownshipAggregator> aggregator_;
};

TEST_F(VillageSessionTest, WelcomeThenOneAckPerBatchWithTheWatermark) {
  VillageSession session(kTownship, aggregator_.get());
  EXPECT_EQ(Expect(session, Hello(kVillage, 7)), 0u);
  EXPECT_TRUE(session.open());
  EXPECT_EQ(session.village_id(), kVillage);
  EXPECT_EQ(session.epoch(), 7u);
  EXPECT_EQ(Expect(session, Batch(1, 3)), 3u);
  EXPECT_EQ(Expect(session, Batch(2, 5)), 5u);  // 2..3 again are skipped
  // A reconnect is welcomed with the watermark; another epoch starts at 0.
  VillageSession again(kTownship, aggregator_.get());
  EXPECT_EQ(Expect(again, Hello(kVillage, 7)), 5u);
  VillageSession other_epoch(kTownship, aggregator_.get());
  EXPECT_EQ(Expect(other_epoch, Hello(kVillage, 8)), 0u);
}

TEST_F(VillageSessionTest, EachRefusalHasTheCodeTheProtocolSays) {
  struct Case {
    std::vector<VillageMessage> messages;  // the last is refused
    absl::StatusCode code;
  } cases[] = {
      {{Batch(1, 1)}, absl::StatusCode::kInvalidArgument},
      {{Hello("", 1)}, absl::StatusCode::kInvalidArgument},
      {{Hello(kVillage, 0)}, absl::StatusCode::kInvalidArgument},
      {{Hello("640522101201", 1)}, absl::StatusCode::kPermissionDenied},
      {{Hello("64052210020", 1)}, absl::StatusCode::kPermissionDenied},
      {{Hello(kVillage, 1), Hello(kVillage, 1)},
       absl::StatusCode::kInvalidArgument},
      {{Hello(kVillage, 2), Batch(2, 3)}, absl::StatusCode::kAborted},
  };
  for (const Case& c : cases) {
    VillageSession session(kTownship, aggregator_.get());
    for (size_t i = 0; i + 1 < c.messages.size(); ++i) {
      Expect(session, c.messages[i]);
    }
    absl::StatusOr<TownshipMessage> reply =
        session.OnMessage(c.messages.back());
    EXPECT_EQ(reply.status().code(), c.code)
        << c.messages.back().ShortDebugString() << ": " << reply.status();
    EXPECT_FALSE(session.open());
    EXPECT_FALSE(session.OnMessage(Batch(1, 1)).ok()) << "ended";
  }
  EXPECT_EQ(aggregator_->Watermark(kVillage, 2), 0u);  // nothing of the gap
}

TEST_F(VillageSessionTest, UrgentReportsAreCheckedForTheVillageToo) {
  UrgentReports request;
  request.set_village_id("640522101201");
  absl::StatusOr<UrgentAck> refused =
      VillageSession::HandleUrgent(kTownship, aggregator_.get(), request);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(refused.status().message(),
                                "does not belong to township 640522100"));
  request.set_village_id(kVillage);
  *request.mutable_records() = Batch(4, 5).batch();
  absl::StatusOr<UrgentAck> ack =
      VillageSession::HandleUrgent(kTownship, aggregator_.get(), request);
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->seqs_size(), 2);  // handled (not urgent: no alert)
}

}  // namespace
}  // namespace sanji

// Tests of county_hub/push_session.h: the county's side of the Push protocol
// (proto/rollup_sync.proto), driven message by message on a real hub store.
#include "county_hub/push_session.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

namespace sanji {
namespace {

using test_support::TempDir;

constexpr char kCounty[] = "640522";
constexpr char kTownship[] = "640522100";

RollupUp Hello(const std::string& township) {
  RollupUp up;
  up.mutable_hello()->set_township_id(township);
  return up;
}

RollupUp CellUp(uint64_t batch_id, const std::string& village,
                uint64_t version = 1) {
  RollupUp up;
  CellBatch* batch = up.mutable_batch();
  batch->set_batch_id(batch_id);
  Cell* cell = batch->add_cells();
  cell->set_village_id(village);
  cell->set_indicator("outpatient_visits");
  cell->set_period("2025-03-14");
  cell->set_value(3);
  cell->set_version(version);
  return up;
}

Alert Cholera(const std::string& village, const std::string& record_id) {
  Alert a;
  a.set_village_id(village);
  a.set_record_id(record_id);
  a.set_disease("cholera");
  a.set_disease_class("A");
  a.set_urgent(true);
  a.set_sex("F");
  a.set_age_years(30);
  a.set_version(1);
  return a;
}

class PushSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    auto cells = CountyCellStore::Open(dir_.Sub("hub"), kCounty);
    ASSERT_TRUE(cells.ok()) << cells.status();
    cells_ = std::move(*cells);
    auto alerts = CountyAlertBook::Open(cells_->mutable_store());
    ASSERT_TRUE(alerts.ok()) << alerts.status();
    alerts_ = std::move(*alerts);
  }
  PushSession NewSession() {
    return PushSession(kCounty, cells_.get(), alerts_.get());
  }
  uint64_t Cells() {
    HubStatus status;
    cells_->FillStatus(&status);
    return status.cells();
  }

  TempDir dir_;
  std::unique_ptr<CountyCellStore> cells_;
  std::unique_ptr<CountyAlertBook> alerts_;
};

TEST_F(PushSessionTest, HelloThenBatchesEachAcknowledgedByItsId) {
  PushSession session = NewSession();
  EXPECT_FALSE(session.open());
  absl::StatusOr<RollupDown> welcome = session.OnMessage(Hello(kTownship));
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  EXPECT_EQ(welcome->acked_batch_id(), 0u);
  EXPECT_TRUE(session.open());
  EXPECT_EQ(session.township_id(), kTownship);
  for (uint64_t id : {1, 2}) {
    absl::StatusOr<RollupDown> ack =
        session.OnMessage(CellUp(id, "640522100201", id));
    ASSERT_TRUE(ack.ok()) << ack.status();
    EXPECT_EQ(ack->acked_batch_id(), id);
  }
  EXPECT_EQ(Cells(), 1u);
}

TEST_F(PushSessionTest, TheStreamMustOpenWithAHelloFromATownshipOfTheCounty) {
  struct Case {
    RollupUp first;
    absl::StatusCode code;
  } cases[] = {
      {CellUp(1, "640522100201"), absl::StatusCode::kInvalidArgument},
      {Hello("640523100"), absl::StatusCode::kPermissionDenied},
      {Hello("640522100201"), absl::StatusCode::kPermissionDenied},
      {Hello(""), absl::StatusCode::kPermissionDenied},
      {RollupUp(), absl::StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    PushSession session = NewSession();
    absl::StatusOr<RollupDown> reply = session.OnMessage(c.first);
    EXPECT_EQ(reply.status().code(), c.code) << c.first.ShortDebugString();
    EXPECT_FALSE(session.open());
    // Ended: nothing more is taken, not even a good hello.
    EXPECT_FALSE(session.OnMessage(Hello(kTownship)).ok());
  }
  EXPECT_EQ(Cells(), 0u);
}

TEST_F(PushSessionTest, ARefusedBatchStoresNothingAndEndsTheStream) {
  PushSession session = NewSession();
  ASSERT_TRUE(session.OnMessage(Hello(kTownship)).ok());
  // A good alert and a cell of another township's village: the alert must not
  // be stored either (every cell is checked before any alert is stored).
  RollupUp up = CellUp(1, "640522101201");
  *up.mutable_batch()->add_alerts() = Cholera("640522100201", "r1");
  absl::StatusOr<RollupDown> reply = session.OnMessage(up);
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(reply.status().message(), "640522101201"));
  EXPECT_EQ(alerts_->size(), 0u);
  EXPECT_EQ(Cells(), 0u);
  EXPECT_FALSE(session.open());
  EXPECT_FALSE(session.OnMessage(CellUp(2, "640522100201")).ok());

  PushSession again = NewSession();
  ASSERT_TRUE(again.OnMessage(Hello(kTownship)).ok());
  EXPECT_EQ(again.OnMessage(Hello(kTownship)).status().code(),
            absl::StatusCode::kInvalidArgument);  // a second hello
}

}  // namespace
}  // namespace sanji

// Tests of township_node/forwarder.h against a real county hub (its stores and
// CountyHub service) on loopback: every changed cell and alert reaches the
// county with its value and version, and a county's refusal keeps its code.
#include "township_node/forwarder.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "common/rollup_layout.h"
#include "county_hub/alert_book.h"
#include "county_hub/cell_store.h"
#include "county_hub/hub_service.h"
#include "county_hub/org_directory.h"
#include "county_hub/report_engine.h"
#include "gtest/gtest.h"
#include "tests/support/loopback_server.h"
#include "tests/support/process.h"

namespace sanji {
namespace {

using test_support::LoopbackServer;
using test_support::TempDir;
using test_support::WaitFor;

constexpr char kTownship[] = "640522100";
constexpr char kVillage[] = "640522100201";

int64_t At(int y, int mo, int d) {
  return absl::CivilSecond(y, mo, d, 9, 0, 0) -
         absl::CivilSecond(1970, 1, 1, 0, 0, 0);
}

RecordBatch Records() {
  RecordBatch batch;
  for (int i = 0; i < 30; ++i) {
    SeqRecord* r = batch.add_records();
    r->set_seq(i + 1);
    Record* record = r->mutable_record();
    record->set_record_id("r" + std::to_string(i));
    record->set_occurred_at(At(2025, 1 + i % 12, 1 + i % 28));
    record->set_patient_id("p" + std::to_string(i % 7));
    record->set_sex("M");
    record->set_birth_date(0);
    if (i == 29) {
      record->set_kind("infectious_disease_report");
      record->set_disease("cholera");
      record->set_icd10("A00.9");
    } else if (i % 3 == 0) {
      record->set_kind("hypertension_followup");
      record->set_systolic(130);
      record->set_diastolic(80);
    } else {
      record->set_kind("outpatient_visit");
      record->set_cost_fen(1000 + i);
    }
  }
  return batch;
}

// A county hub in this process: its stores behind its service.
class Hub {
 public:
  Hub(const std::string& dir, const std::string& county) {
    auto cells = CountyCellStore::Open(dir, county);
    EXPECT_TRUE(cells.ok()) << cells.status();
    if (!cells.ok()) return;
    cells_ = std::move(*cells);
    auto alerts = CountyAlertBook::Open(cells_->mutable_store());
    EXPECT_TRUE(alerts.ok()) << alerts.status();
    if (!alerts.ok()) return;
    alerts_ = std::move(*alerts);
    reports_ = std::make_unique<ReportEngine>(county, cells_->store(),
                                              cells_->cells(), &orgs_);
    service_ = std::make_unique<HubService>(county, cells_.get(), alerts_.get(),
                                            reports_.get(), &orgs_);
    server_ = std::make_unique<LoopbackServer>(
        std::vector<grpc::Service*>{service_.get()});
  }
  ~Hub() {
    if (alerts_ != nullptr) alerts_->Close();
  }
  bool ok() const { return server_ != nullptr && server_->ok(); }
  std::string address() const { return server_->address(); }
  CountyCellStore* cells() { return cells_.get(); }
  CountyAlertBook* alerts() { return alerts_.get(); }

 private:
  OrgDirectory orgs_;
  std::unique_ptr<CountyCellStore> cells_;
  std::unique_ptr<CountyAlertBook> alerts_;
  std::unique_ptr<ReportEngine> reports_;
  std::unique_ptr<HubService> service_;
  std::unique_ptr<LoopbackServer> server_;
};

class ForwarderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    AggregatorOptions options;
    options.township_id = kTownship;
    options.min_free_disk_bytes = 0;
    auto opened = TownshipAggregator::Open(dir_.Sub("township"), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    aggregator_ = std::move(*opened);
    ASSERT_TRUE(aggregator_->ApplyBatch(kVillage, 1, Records()).ok());
  }
  TownshipStatus Status() {
    TownshipStatus status;
    aggregator_->FillStatus(&status);
    return status;
  }

  TempDir dir_;
  std::unique_ptr<TownshipAggregator> aggregator_;
};

TEST_F(ForwarderTest, EveryCellAndAlertReachesTheCountyExactly) {
  std::vector<Cell> cells;  // everything the county lacks, before forwarding
  ASSERT_TRUE(aggregator_->ReadChangedCells(1 << 20, &cells).ok());
  ASSERT_GT(cells.size(), 50u);
  ASSERT_EQ(Status().alerts_pending(), 1u);
  Hub hub(dir_.Sub("hub"), "640522");
  ASSERT_TRUE(hub.ok());
  Forwarder forwarder(kTownship, hub.address(), aggregator_.get());
  forwarder.Start();
  ASSERT_TRUE(WaitFor(
      [&] {
        TownshipStatus s = Status();
        return s.cells_pending() == 0 && s.alerts_pending() == 0;
      },
      absl::Seconds(30), absl::Milliseconds(10)));
  forwarder.Stop();
  for (const Cell& cell : cells) {
    auto stored = hub.cells()->store()->Get(
        hub.cells()->cells(),
        EncodeCellKey(cell.village_id(), cell.indicator(), cell.period()));
    ASSERT_TRUE(stored.ok() && stored->has_value()) << cell.ShortDebugString();
    CellValue value;
    ASSERT_TRUE(DecodeCellValue(**stored, &value));
    EXPECT_EQ(value.value, cell.value()) << cell.ShortDebugString();
    EXPECT_EQ(value.version, cell.version()) << cell.ShortDebugString();
  }
  HubStatus hub_status;
  hub.cells()->FillStatus(&hub_status);
  EXPECT_EQ(hub_status.cells(), cells.size());
  ASSERT_EQ(hub.alerts()->size(), 1u);
  EXPECT_EQ(hub.alerts()->ChangedAfter(0, 0)[0].alert().disease(), "cholera");
  TownshipStatus status;
  forwarder.FillStatus(&status);
  EXPECT_GT(status.last_forward_unix_ms(), 0);
  EXPECT_EQ(status.last_error(), "");
}

TEST_F(ForwarderTest, ACountyThatRefusesTheTownshipKeepsItsCode) {
  Hub hub(dir_.Sub("hub"), "640523");  // another county
  ASSERT_TRUE(hub.ok());
  const uint64_t pending = Status().cells_pending();
  Forwarder forwarder(kTownship, hub.address(), aggregator_.get());
  forwarder.Start();
  ASSERT_TRUE(WaitFor(
      [&] {
        return forwarder.last_error().code() ==
               absl::StatusCode::kPermissionDenied;
      },
      absl::Seconds(20), absl::Milliseconds(10)))
      << forwarder.last_error();
  EXPECT_TRUE(absl::StrContains(forwarder.last_error().message(),
                                "does not belong to county 640523"))
      << forwarder.last_error();
  forwarder.Stop();
  EXPECT_EQ(Status().cells_pending(), pending);
  EXPECT_EQ(hub.alerts()->size(), 0u);
}

}  // namespace
}  // namespace sanji

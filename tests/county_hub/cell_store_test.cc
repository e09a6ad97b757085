// Tests of county_hub/cell_store.h: the county keeps each cell's highest
// version, refuses a batch with one bad cell whole, and counts what it holds.
#include "county_hub/cell_store.h"

#include <string>

#include "absl/strings/match.h"
#include "common/rollup_layout.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

namespace sanji {
namespace {

using test_support::TempDir;

constexpr char kCounty[] = "640522";
constexpr char kTownship[] = "640522100";
constexpr char kVillage[] = "640522100201";

Cell MakeCell(const std::string& indicator, const std::string& period,
              int64_t value, uint64_t version,
              const std::string& village = kVillage) {
  Cell c;
  c.set_village_id(village);
  c.set_indicator(indicator);
  c.set_period(period);
  c.set_value(value);
  c.set_version(version);
  return c;
}

CellBatch Batch(std::vector<Cell> cells) {
  CellBatch b;
  b.set_batch_id(1);
  for (Cell& c : cells) *b.add_cells() = std::move(c);
  return b;
}

class CellStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    Reopen();
  }
  void Reopen() {
    store_.reset();
    auto opened = CountyCellStore::Open(dir_.Sub("hub"), kCounty);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }
  // (value, version) of a stored cell; (-1, 0) when absent.
  std::pair<int64_t, uint64_t> Stored(const Cell& cell) {
    auto v = store_->store()->Get(
        store_->cells(),
        EncodeCellKey(cell.village_id(), cell.indicator(), cell.period()));
    EXPECT_TRUE(v.ok()) << v.status();
    CellValue value;
    if (!v.ok() || !v->has_value() || !DecodeCellValue(**v, &value)) {
      return {-1, 0};
    }
    return {value.value, value.version};
  }
  uint64_t CellCount() {
    HubStatus status;
    store_->FillStatus(&status);
    return status.cells();
  }

  TempDir dir_;
  std::unique_ptr<CountyCellStore> store_;
};

TEST_F(CellStoreTest, TheHighestVersionWinsInAnyOrder) {
  Cell v3 = MakeCell("outpatient_visits", "2025-03-14", 30, 3);
  Cell v5 = MakeCell("outpatient_visits", "2025-03-14", 50, 5);
  ASSERT_TRUE(store_->ApplyBatch(kTownship, Batch({v5})).ok());
  ASSERT_TRUE(store_->ApplyBatch(kTownship, Batch({v3})).ok());  // late
  EXPECT_EQ(Stored(v5), std::make_pair(int64_t{50}, uint64_t{5}));
  // One batch holding a cell twice keeps the higher version, whatever the
  // order, and counts one cell.
  Cell a7 = MakeCell("referrals.county", "2025-03-14", 7, 7);
  Cell a6 = MakeCell("referrals.county", "2025-03-14", 6, 6);
  ASSERT_TRUE(store_->ApplyBatch(kTownship, Batch({a7, a6})).ok());
  EXPECT_EQ(Stored(a7), std::make_pair(int64_t{7}, uint64_t{7}));
  EXPECT_EQ(CellCount(), 2u);
  // A replay changes nothing, and the count survives a restart.
  ASSERT_TRUE(store_->ApplyBatch(kTownship, Batch({v5, a7})).ok());
  Reopen();
  EXPECT_EQ(CellCount(), 2u);
  EXPECT_EQ(Stored(v5), std::make_pair(int64_t{50}, uint64_t{5}));
}

TEST_F(CellStoreTest, ABatchWithOneBadCellIsRefusedWhole) {
  Cell good = MakeCell("outpatient_visits", "2025-03-14", 1, 1);
  struct Bad {
    Cell cell;
    absl::StatusCode code;
    const char* says;
  } bad[] = {
      {MakeCell("outpatient_visits", "2025-03-14", 1, 1, "640522101201"),
       absl::StatusCode::kPermissionDenied, "does not belong to township"},
      {MakeCell("outpatient_visits", "2025-03-14", 1, 1, "64052210020"),
       absl::StatusCode::kPermissionDenied, "does not belong to township"},
      {MakeCell("no_such_indicator", "2025-03-14", 1, 1),
       absl::StatusCode::kInvalidArgument, "not a stored indicator"},
      {MakeCell("outpatient_cost_avg_yuan", "2025-03-14", 1, 1),
       absl::StatusCode::kInvalidArgument, "not a stored indicator"},
      {MakeCell("outpatient_visits", "2025-03", 1, 1),
       absl::StatusCode::kInvalidArgument, "per day"},
      {MakeCell("outpatient_visits", "2025-03-01..2025-03-14", 1, 1),
       absl::StatusCode::kInvalidArgument, "not a calendar period key"},
      {MakeCell("outpatient_visits", "2025-03-14", 1, 0),
       absl::StatusCode::kInvalidArgument, "version 0"},
  };
  for (const Bad& b : bad) {
    absl::Status s = store_->ApplyBatch(kTownship, Batch({good, b.cell}));
    EXPECT_EQ(s.code(), b.code) << b.cell.ShortDebugString() << ": " << s;
    EXPECT_TRUE(absl::StrContains(s.message(), b.says)) << s;
    EXPECT_EQ(CellCount(), 0u) << b.cell.ShortDebugString();
    EXPECT_EQ(Stored(good).second, 0u) << b.cell.ShortDebugString();
  }
  // Distinct indicators keep calendar periods.
  EXPECT_TRUE(
      store_
          ->ApplyBatch(kTownship, Batch({MakeCell("hypertension_managed",
                                                  "2025-Q1", 4, 2)}))
          .ok());
}

TEST_F(CellStoreTest, StatusShowsEachTownshipsProgress) {
  ASSERT_TRUE(
      store_
          ->ApplyBatch(
              kTownship,
              Batch({MakeCell("outpatient_visits", "2025-03-14", 1, 4),
                     MakeCell("outpatient_visits", "2025-03-15", 1, 9)}))
          .ok());
  HubStatus status;
  store_->FillStatus(&status);
  EXPECT_EQ(status.county_id(), kCounty);
  ASSERT_EQ(status.townships_size(), 1);
  EXPECT_EQ(status.townships(0).township_id(), kTownship);
  EXPECT_EQ(status.townships(0).cells(), 2u);
  EXPECT_EQ(status.townships(0).max_version(), 9u);
  EXPECT_GT(status.townships(0).last_batch_unix_ms(), 0);
}

TEST_F(CellStoreTest, AnotherCountysDataDirectoryIsRefused) {
  store_.reset();
  auto other = CountyCellStore::Open(dir_.Sub("hub"), "640523");
  ASSERT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(other.status().message(),
                                "belongs to county 640522, not 640523"))
      << other.status();
}

}  // namespace
}  // namespace sanji

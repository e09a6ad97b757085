// Tests of county_hub/period_totals.h: the period index always equals what
// summing the stored cells gives, however batches arrive (reordered,
// duplicated, a cell twice in one batch), and a store from before the index
// gets it built at open, also after a build that was cut short.
#include "county_hub/period_totals.h"

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/catalogue.h"
#include "common/period.h"
#include "common/rollup_layout.h"
#include "county_hub/cell_store.h"
#include "county_hub/hub_layout.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

namespace sanji {
namespace {

using test_support::TempDir;

constexpr char kCounty[] = "640522";
constexpr char kTownship[] = "640522100";
const char* const kVillages[] = {"640522100201", "640522100202"};

struct Cellish {
  std::string village, indicator, period;
};

// The index's entries (not "built"); a total of 0 counts as absent.
using Index = std::map<std::string, int64_t>;

Index ReadIndex(const Store& store) {
  Index index;
  std::unique_ptr<rocksdb::Iterator> it =
      store.NewIterator(store.Family(hub_layout::kTotals));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string key = it->key().ToString();
    if (key == period_totals::kBuiltKey) continue;
    __int128 total = 0;
    if (!it->value().empty()) {
      EXPECT_TRUE(period_totals::DecodeTotal(it->value().ToString(), &total))
          << key;
    }
    if (total != 0 || it->value().empty()) {
      index[key] = static_cast<int64_t>(total);
    }
  }
  EXPECT_TRUE(it->status().ok());
  return index;
}

// What the index must hold for `cells` (key -> final value), computed here
// from the cells alone.
Index Expected(const std::map<std::string, Cellish>& parts,
               const std::map<std::string, int64_t>& values) {
  Index index;
  for (const auto& [key, value] : values) {
    const Cellish& c = parts.at(key);
    index[absl::StrCat(period_totals::kVillagePrefix, c.village)] = 0;
    IndicatorDef def;
    std::string name;
    if (LookupIndicator(c.indicator, &def, &name) &&
        def.type == IndicatorType::kDistinct) {
      index[period_totals::Key(c.period, c.village, c.indicator)] = value;
      continue;
    }
    absl::StatusOr<Period> day = ParsePeriod(c.period);
    EXPECT_TRUE(day.ok());
    for (const Period& p : CalendarPeriodsOf(day->first)) {
      if (p.kind == PeriodKind::kDay) continue;
      index[period_totals::Key(p.Key(), c.village, c.indicator)] += value;
    }
  }
  for (auto it = index.begin(); it != index.end();) {
    const bool village = it->first.rfind(period_totals::kVillagePrefix, 0) == 0;
    it = it->second == 0 && !village ? index.erase(it) : std::next(it);
  }
  return index;
}

class PeriodTotalsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()); }
  std::string Dir() { return dir_.Sub("hub"); }
  TempDir dir_;
};

TEST_F(PeriodTotalsTest, TheIndexIsTheSumOfTheStoredCellsInAnyOrder) {
  std::mt19937 rng(7);
  const std::vector<std::string> indicators = {
      "outpatient_visits", "outpatient_cost_yuan", "hypertension_managed",
      "infectious_disease_reports.measles"};
  const std::vector<std::string> days = {
      "2024-12-31", "2025-01-01", "2025-03-31", "2025-04-01",
      "2025-06-30", "2025-07-01", "2025-12-31"};
  const std::vector<std::string> calendar = {"2025", "2025-H1", "2025-Q3",
                                             "2025-07", "2025-07-01"};
  // Every version of every cell, each sent once or twice, in a random order.
  std::vector<Cell> sent;
  std::map<std::string, Cellish> parts;
  std::map<std::string, std::pair<uint64_t, int64_t>> newest;
  for (const char* village : kVillages) {
    for (const std::string& indicator : indicators) {
      const bool distinct = indicator == "hypertension_managed";
      for (const std::string& period : distinct ? calendar : days) {
        const std::string key = EncodeCellKey(village, indicator, period);
        parts[key] = {village, indicator, period};
        for (uint64_t version = 1; version <= 4; ++version) {
          Cell cell;
          cell.set_village_id(village);
          cell.set_indicator(indicator);
          cell.set_period(period);
          cell.set_value(static_cast<int64_t>(rng() % 7) - 1);  // voids too
          cell.set_version(version);
          if (version == 4) newest[key] = {version, cell.value()};
          for (unsigned n = 1 + rng() % 2; n > 0; --n) sent.push_back(cell);
        }
      }
    }
  }
  std::shuffle(sent.begin(), sent.end(), rng);
  auto hub = CountyCellStore::Open(Dir(), kCounty);
  ASSERT_TRUE(hub.ok()) << hub.status();
  for (size_t i = 0; i < sent.size();) {
    CellBatch batch;
    for (size_t n = 1 + rng() % 9; n > 0 && i < sent.size(); --n) {
      *batch.add_cells() = sent[i++];
    }
    ASSERT_TRUE((*hub)->ApplyBatch(kTownship, batch).ok());
  }
  std::map<std::string, int64_t> values;
  for (const auto& [key, newest_cell] : newest)
    values[key] = newest_cell.second;
  const Index expected = Expected(parts, values);
  EXPECT_EQ(ReadIndex(*(*hub)->store()), expected);

  // A whole resend, as a township repairs with, changes nothing.
  CellBatch resend;
  for (const Cell& cell : sent) *resend.add_cells() = cell;
  ASSERT_TRUE((*hub)->ApplyBatch(kTownship, resend).ok());
  EXPECT_EQ(ReadIndex(*(*hub)->store()), expected);
}

// Writes `cells` the way a hub before the index did: no totals family.
void WriteOldStore(const std::string& dir,
                   const std::vector<std::pair<Cellish, int64_t>>& cells) {
  StoreOptions old = hub_layout::Options(kCounty);
  old.column_families = {hub_layout::kCells, hub_layout::kAlerts,
                         hub_layout::kActivity, hub_layout::kArrivals};
  auto store = Store::Open(dir, old);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_EQ((*store)->Family(hub_layout::kTotals), nullptr);
  rocksdb::WriteBatch batch;
  for (const auto& [c, value] : cells) {
    batch.Put((*store)->Family(hub_layout::kCells),
              EncodeCellKey(c.village, c.indicator, c.period),
              EncodeCellValue(CellValue{value, 1}));
  }
  ASSERT_TRUE((*store)->Write(&batch).ok());
}

const std::vector<std::pair<Cellish, int64_t>>& OldCells() {
  static const auto* cells = new std::vector<std::pair<Cellish, int64_t>>{
      {{kVillages[0], "outpatient_visits", "2025-01-31"}, 2},
      {{kVillages[0], "outpatient_visits", "2025-02-01"}, 3},
      {{kVillages[0], "elderly_managed", "2025"}, 9},
      {{kVillages[1], "referrals.county", "2025-11-30"}, 4}};
  return *cells;
}

std::pair<std::map<std::string, Cellish>, std::map<std::string, int64_t>>
OldCellMaps() {
  std::map<std::string, Cellish> parts;
  std::map<std::string, int64_t> values;
  for (const auto& [c, value] : OldCells()) {
    const std::string key = EncodeCellKey(c.village, c.indicator, c.period);
    parts[key] = c;
    values[key] = value;
  }
  return {parts, values};
}

TEST_F(PeriodTotalsTest, AStoreFromBeforeTheIndexGetsItAtOpen) {
  WriteOldStore(Dir(), OldCells());
  auto hub = CountyCellStore::Open(Dir(), kCounty);
  ASSERT_TRUE(hub.ok()) << hub.status();
  const auto [parts, values] = OldCellMaps();
  EXPECT_EQ(ReadIndex(*(*hub)->store()), Expected(parts, values));
  EXPECT_EQ(ReadIndex(*(*hub)->store())[period_totals::Key(
                "2025-Q1", kVillages[0], "outpatient_visits")],
            5);
  HubStatus status;
  (*hub)->FillStatus(&status);
  EXPECT_EQ(status.cells(), OldCells().size());
}

TEST_F(PeriodTotalsTest, ABuildCutShortIsDoneAgainWhole) {
  WriteOldStore(Dir(), OldCells());
  {
    // What a build that stopped half way leaves: some totals, no "built".
    auto store = Store::Open(Dir(), hub_layout::Options(kCounty));
    ASSERT_TRUE(store.ok()) << store.status();
    rocksdb::WriteBatch partial;
    partial.Put((*store)->Family(hub_layout::kTotals),
                period_totals::Key("2025", kVillages[0], "outpatient_visits"),
                period_totals::EncodeTotal(5));
    ASSERT_TRUE((*store)->Write(&partial).ok());
  }
  auto hub = CountyCellStore::Open(Dir(), kCounty);
  ASSERT_TRUE(hub.ok()) << hub.status();
  const auto [parts, values] = OldCellMaps();
  EXPECT_EQ(ReadIndex(*(*hub)->store()), Expected(parts, values));
}

}  // namespace
}  // namespace sanji

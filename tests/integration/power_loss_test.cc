// Simulated power loss under the village agent's and the township's storage:
// RocksDB runs on tests/support/power_loss_fs.h, and a "power cut" keeps only
// what was synced. After each cut the store is reopened from what survived,
// and everything it had acknowledged must be there, with no holes: the
// agent's accepted records with contiguous seqs, the township's watermark with
// exactly the effects of the records up to it.
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/period.h"
#include "common/record_parse.h"
#include "gtest/gtest.h"
#include "tests/support/power_loss_fs.h"
#include "tests/support/process.h"
#include "township_node/aggregator.h"
#include "village_agent/record_intake.h"

namespace sanji::test_support {
namespace {

constexpr char kVillage[] = "640522100201";
constexpr char kTownship[] = "640522100";
constexpr int kCycles = 6;

// A valid row: outpatient visits and hypertension follow-ups of a few
// patients, spread over 2025.
RawRow Row(std::mt19937& rng, int n) {
  auto uni = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  RawRow row;
  row.set_source("power_loss");
  row.set_line(n + 2);
  auto& f = *row.mutable_fields();
  f["record_id"] = absl::StrCat("r", n);
  f["occurred_at"] = absl::StrFormat("2025-%02d-%02dT%02d:00", uni(1, 12),
                                     uni(1, 28), uni(8, 17));
  int p = uni(1, 20);
  f["patient_id"] = absl::StrCat("P", p);
  f["sex"] = p % 2 ? "M" : "F";
  f["birth_date"] = p % 2 ? "1950-03-01" : "1972-07-09";
  if (n % 2 == 0) {
    f["kind"] = "outpatient_visit";
    f["cost_yuan"] = absl::StrCat(uni(1, 300), ".", uni(10, 99));
  } else {
    f["kind"] = "hypertension_followup";
    f["systolic"] = absl::StrCat(uni(110, 165));
    f["diastolic"] = absl::StrCat(uni(70, 98));
  }
  return row;
}

using CellValues =
    std::map<std::tuple<std::string, std::string, std::string>, int64_t>;

CellValues AllCells(TownshipAggregator* township) {
  std::vector<Cell> cells;
  absl::Status s = township->ReadChangedCells(1 << 30, &cells);
  EXPECT_TRUE(s.ok()) << s;
  CellValues out;
  for (const Cell& c : cells) {
    out[{c.village_id(), c.indicator(), c.period()}] = c.value();
  }
  return out;
}

class PowerLossTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    fs_ = std::make_shared<PowerLossFileSystem>();
    env_ = PowerLossFileSystem::NewEnv(fs_);
  }
  // Copies the durable state of `dir` to a fresh directory: the power cut.
  std::string PowerCut(const std::string& dir) {
    std::string next = dir_.Sub(absl::StrCat("after-cut-", cuts_++));
    absl::Status s = fs_->CopyDurableState(dir, next);
    EXPECT_TRUE(s.ok()) << s;
    return next;
  }

  TempDir dir_;
  std::shared_ptr<PowerLossFileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  int cuts_ = 0;
};

TEST_F(PowerLossTest, AgentKeepsEveryAcceptedRecordWithoutHoles) {
  std::mt19937 rng(7);
  std::string dir = dir_.Sub("agent");
  std::vector<std::string> accepted;  // record_ids in seq order
  uint64_t epoch = 0;
  int next_row = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    IntakeOptions options;
    options.village_id = kVillage;
    options.env = env_.get();
    auto intake = RecordIntake::Open(dir, options);
    ASSERT_TRUE(intake.ok()) << intake.status();
    RecordIntake& agent = **intake;
    if (cycle == 0) epoch = agent.epoch();
    EXPECT_EQ(agent.epoch(), epoch) << "the epoch is durable";

    // Everything accepted before the cut is there, seqs 1..n, no gap, in
    // order, and nothing else (every Submit returned before the cut).
    ASSERT_EQ(agent.last_seq(), accepted.size()) << "cycle " << cycle;
    std::vector<SeqRecord> pending;
    ASSERT_TRUE(agent.ReadPending(agent.acked_seq(), 1 << 30, &pending).ok());
    uint64_t expect = agent.acked_seq() + 1;
    for (const SeqRecord& r : pending) {
      ASSERT_EQ(r.seq(), expect) << "hole in the outbox";
      EXPECT_EQ(r.record().record_id(), accepted[r.seq() - 1]);
      ++expect;
    }
    EXPECT_EQ(expect - 1, accepted.size());

    // More work: batches of rows, some re-sent (duplicates), an
    // acknowledgement (unsynced by design) halfway.
    for (int batch = 0; batch < 5; ++batch) {
      std::vector<RawRow> rows;
      for (int i = 0; i < 40; ++i) rows.push_back(Row(rng, next_row++));
      if (batch == 2 && next_row > 80) rows.push_back(Row(rng, 0));  // dup id
      auto outcomes = agent.Submit(rows);
      ASSERT_TRUE(outcomes.ok()) << outcomes.status();
      for (size_t i = 0; i < rows.size(); ++i) {
        if ((*outcomes)[i].result() == RowOutcome::ACCEPTED) {
          accepted.push_back(rows[i].fields().at("record_id"));
        }
      }
      if (batch == 3) {
        ASSERT_TRUE(agent.Acknowledge(accepted.size() / 2).ok());
      }
    }
    dir = PowerCut(dir);
    intake->reset();
  }
  EXPECT_GT(fs_->tracked_files(), 0u) << "RocksDB did not write through the "
                                         "power-loss file system";
  EXPECT_EQ(accepted.size(), size_t{kCycles} * 200);
}

TEST_F(PowerLossTest, TownshipKeepsItsWatermarkAndExactlyItsEffects) {
  std::mt19937 rng(11);
  // The records the village would send, in seq order.
  std::vector<Record> records;
  absl::CivilSecond now = NowLocal();
  for (int n = 0; n < kCycles * 300; ++n) {
    std::string column;
    auto record = ParseRow(Row(rng, n), now, &column);
    ASSERT_TRUE(record.ok()) << record.status();
    records.push_back(*record);
  }
  auto batch_of = [&](uint64_t first_seq, size_t count) {
    RecordBatch batch;
    for (uint64_t s = first_seq; s < first_seq + count && s <= records.size();
         ++s) {
      SeqRecord* r = batch.add_records();
      r->set_seq(s);
      *r->mutable_record() = records[s - 1];
    }
    return batch;
  };
  constexpr uint64_t kEpoch = 42;
  std::string dir = dir_.Sub("township");
  uint64_t acknowledged = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    AggregatorOptions options;
    options.township_id = kTownship;
    options.env = env_.get();
    auto township = TownshipAggregator::Open(dir, options);
    ASSERT_TRUE(township.ok()) << township.status();
    uint64_t watermark = (*township)->Watermark(kVillage, kEpoch);
    ASSERT_EQ(watermark, acknowledged) << "cycle " << cycle;

    // Exactly the effects of records 1..watermark: compare with a township
    // that never lost power, fed the same records.
    AggregatorOptions clean_options;
    clean_options.township_id = kTownship;
    auto clean = TownshipAggregator::Open(
        dir_.Sub(absl::StrCat("clean-", cycle)), clean_options);
    ASSERT_TRUE(clean.ok()) << clean.status();
    for (uint64_t s = 1; s <= watermark; s += 100) {
      ASSERT_TRUE(
          (*clean)->ApplyBatch(kVillage, kEpoch, batch_of(s, 100)).ok());
    }
    EXPECT_EQ(AllCells(township->get()), AllCells(clean->get()))
        << "cycle " << cycle;

    // More batches, one of them a resend below the watermark.
    for (int b = 0; b < 3; ++b) {
      auto w = (*township)->ApplyBatch(kVillage, kEpoch,
                                       batch_of(acknowledged + 1, 100));
      ASSERT_TRUE(w.ok()) << w.status();
      acknowledged = *w;
    }
    ASSERT_TRUE(
        (*township)->ApplyBatch(kVillage, kEpoch, batch_of(1, 50)).ok());
    dir = PowerCut(dir);
    township->reset();
  }
  EXPECT_EQ(acknowledged, records.size());
}

}  // namespace
}  // namespace sanji::test_support

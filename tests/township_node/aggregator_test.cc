// Tests of township_node/aggregator.h: the township's exactly-once application
// of village records and the rollup cells it computes, checked against
// spec/indicators.md and spec/records.md on real RocksDB directories.
//
// Cells are read back through ReadChangedCells (nothing is marked forwarded
// unless a test says so, so every cell ever written is visible). Count and sum
// indicators live in day cells ("2025-03-14"); distinct-people indicators in
// one cell per calendar period ("2025-03-14", "2025-03", "2025-Q1", "2025-H1",
// "2025"). A cell that was never written reads as 0.
#include "township_node/aggregator.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/period.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/records.pb.h"
#include "proto/rollup_sync.pb.h"
#include "proto/village_sync.pb.h"
#include "tests/support/process.h"
#include "township_node/township_layout.h"

namespace sanji {
namespace {

using test_support::TempDir;
using ::testing::ElementsAre;

// ---------------------------------------------------------------------------
// Records.

// Local civil seconds since 1970-01-01T00:00 (Record.occurred_at).
int64_t At(int y, int mo, int d, int h = 9, int mi = 0, int s = 0) {
  return absl::CivilSecond(y, mo, d, h, mi, s) -
         absl::CivilSecond(1970, 1, 1, 0, 0, 0);
}

// Days since 1970-01-01 (Record.birth_date).
int32_t Born(int y, int m, int d) {
  return DaysSinceEpoch(absl::CivilDay(y, m, d));
}

const int32_t kAdult = Born(1970, 6, 1);  // 54-55 in 2025: under 65

Record Person(const std::string& id, const std::string& kind, int64_t at,
              const std::string& patient, int32_t birth = kAdult) {
  Record r;
  r.set_record_id(id);
  r.set_kind(kind);
  r.set_occurred_at(at);
  r.set_patient_id(patient);
  r.set_sex("F");
  r.set_birth_date(birth);
  return r;
}

Record Outpatient(const std::string& id, int64_t at, const std::string& patient,
                  int64_t cost_fen) {
  Record r = Person(id, "outpatient_visit", at, patient);
  r.set_cost_fen(cost_fen);
  return r;
}

Record Hypertension(const std::string& id, int64_t at,
                    const std::string& patient, int systolic, int diastolic,
                    int32_t birth = kAdult) {
  Record r = Person(id, "hypertension_followup", at, patient, birth);
  r.set_systolic(systolic);
  r.set_diastolic(diastolic);
  return r;
}

// An on-target / off-target hypertension follow-up of a patient under 65.
Record HtOn(const std::string& id, int64_t at, const std::string& patient) {
  return Hypertension(id, at, patient, 120, 80);
}
Record HtOff(const std::string& id, int64_t at, const std::string& patient) {
  return Hypertension(id, at, patient, 160, 95);
}

Record Diabetes(const std::string& id, int64_t at, const std::string& patient,
                int glucose_centi) {
  Record r = Person(id, "diabetes_followup", at, patient);
  r.set_fasting_glucose_centi(glucose_centi);
  return r;
}

Record Void(const std::string& id, const std::string& kind) {
  Record r;
  r.set_record_id(id);
  r.set_kind(kind);
  r.set_is_void(true);
  return r;
}

RecordBatch MakeBatch(uint64_t first_seq, const std::vector<Record>& records) {
  RecordBatch batch;
  uint64_t seq = first_seq;
  for (const Record& r : records) {
    SeqRecord* s = batch.add_records();
    s->set_seq(seq++);
    *s->mutable_record() = r;
  }
  return batch;
}

// ---------------------------------------------------------------------------
// Cells.

// (village, indicator, period)
using CellId = std::tuple<std::string, std::string, std::string>;

struct CellState {
  int64_t value;
  uint64_t version;
  bool operator==(const CellState& o) const {
    return value == o.value && version == o.version;
  }
};
void PrintTo(const CellState& c, std::ostream* os) {
  *os << "{value " << c.value << ", version " << c.version << "}";
}

using CellMap = std::map<CellId, CellState>;

std::map<CellId, int64_t> ValuesOf(const CellMap& cells) {
  std::map<CellId, int64_t> out;
  for (const auto& [id, state] : cells) out[id] = state.value;
  return out;
}

// The five calendar periods of a day, as cells name them.
std::vector<std::string> PeriodsOf(int y, int m, int d) {
  std::vector<std::string> keys;
  for (const Period& p : CalendarPeriodsOf(absl::CivilDay(y, m, d))) {
    keys.push_back(p.Key());
  }
  return keys;
}

// ---------------------------------------------------------------------------
// Fixture: one township store in a scratch directory.

class AggregatorTest : public ::testing::Test {
 protected:
  static AggregatorOptions Options() {
    AggregatorOptions options;
    options.township_id = "t1";
    options.min_free_disk_bytes = 0;  // do not depend on the machine's disk
    return options;
  }

  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    Open();
  }

  // (Re)opens the aggregator on the same directory.
  void Open(const AggregatorOptions& options = Options()) {
    aggregator_.reset();
    absl::StatusOr<std::unique_ptr<TownshipAggregator>> opened =
        TownshipAggregator::Open(dir_.Sub("township"), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    aggregator_ = std::move(*opened);
  }

  absl::StatusOr<uint64_t> Apply(const std::string& village, uint64_t epoch,
                                 uint64_t first_seq,
                                 const std::vector<Record>& records) {
    return aggregator_->ApplyBatch(village, epoch,
                                   MakeBatch(first_seq, records));
  }

  // Sends `records` as the next seqs of (village, epoch), as an agent would;
  // expects them applied and the watermark moved past them.
  void Send(const std::string& village, const std::vector<Record>& records,
            uint64_t epoch = 1) {
    uint64_t& last = last_seq_[{village, epoch}];
    absl::StatusOr<uint64_t> watermark =
        Apply(village, epoch, last + 1, records);
    ASSERT_TRUE(watermark.ok()) << watermark.status();
    last += records.size();
    EXPECT_EQ(*watermark, last);
    EXPECT_EQ(aggregator_->Watermark(village, epoch), last);
  }

  // Every cell that has a changed mark, with its current value and version.
  CellMap Changed(size_t max_cells = 1000000) {
    std::vector<Cell> cells;
    absl::Status s = aggregator_->ReadChangedCells(max_cells, &cells);
    EXPECT_TRUE(s.ok()) << s;
    CellMap out;
    for (const Cell& c : cells) {
      bool inserted =
          out.emplace(CellId{c.village_id(), c.indicator(), c.period()},
                      CellState{c.value(), c.version()})
              .second;
      EXPECT_TRUE(inserted) << "cell returned twice: " << c.ShortDebugString();
    }
    return out;
  }

  std::vector<Cell> ReadCells(size_t max_cells) {
    std::vector<Cell> cells;
    absl::Status s = aggregator_->ReadChangedCells(max_cells, &cells);
    EXPECT_TRUE(s.ok()) << s;
    return cells;
  }

  // A cell's current value; 0 if it was never written.
  int64_t Value(const std::string& village, const std::string& indicator,
                const std::string& period) {
    CellMap cells = Changed();
    auto it = cells.find(CellId{village, indicator, period});
    return it == cells.end() ? 0 : it->second.value;
  }

  // The values of `indicator` for each of `periods`, in order.
  std::vector<int64_t> Values(const std::string& village,
                              const std::string& indicator,
                              const std::vector<std::string>& periods) {
    std::vector<int64_t> out;
    for (const std::string& p : periods)
      out.push_back(Value(village, indicator, p));
    return out;
  }

  TownshipStatus Status() const {
    TownshipStatus status;
    aggregator_->FillStatus(&status);
    return status;
  }

  TempDir dir_;
  std::unique_ptr<TownshipAggregator> aggregator_;
  std::map<std::pair<std::string, uint64_t>, uint64_t> last_seq_;
};

// The periods of 2025-03-14: day, month, quarter, half, year.
const std::vector<std::string> kMar14 = {"2025-03-14", "2025-03", "2025-Q1",
                                         "2025-H1", "2025"};

TEST_F(AggregatorTest, CellPeriodNamesFollowTheSpec) {
  // indicators.md "Periods": YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY-Hn, YYYY.
  EXPECT_EQ(PeriodsOf(2025, 3, 14), kMar14);
  EXPECT_THAT(PeriodsOf(2025, 7, 1), ElementsAre("2025-07-01", "2025-07",
                                                 "2025-Q3", "2025-H2", "2025"));
}

// ---------------------------------------------------------------------------
// Counts and sums (indicators.md "Counts and sums"): per-day cells only.

TEST_F(AggregatorTest, CountsAndSumsAreDayCellsOfTheLocalDate) {
  Record admission =
      Person("ip1", "inpatient_admission", At(2025, 3, 14), "p3");
  admission.set_cost_fen(1234567);
  Record measles =
      Person("id1", "infectious_disease_report", At(2025, 3, 14), "p4");
  measles.set_disease("measles");
  Record referral = Person("rf1", "referral", At(2025, 3, 14), "p5");
  referral.set_referred_to("county");
  Record vaccination = Person("vc1", "vaccination", At(2025, 3, 14), "p6");
  vaccination.set_vaccine("HepB");
  vaccination.set_dose(1);
  Record education1, education2, patrol;  // not person kinds
  education1.set_record_id("he1");
  education1.set_kind("health_education");
  education1.set_occurred_at(At(2025, 3, 14, 15));
  education1.set_participants(25);
  education2 = education1;
  education2.set_record_id("he2");
  education2.set_participants(10);
  patrol.set_record_id("sp1");
  patrol.set_kind("supervision_patrol");
  patrol.set_occurred_at(At(2025, 3, 14));

  Send("v1", {
                 Outpatient("op1", At(2025, 3, 14, 0, 0, 0), "p1", 1250),
                 // The last second of the day is still that day...
                 Outpatient("op2", At(2025, 3, 14, 23, 59, 59), "p2", 3000),
                 // ...and midnight is the next one.
                 Outpatient("op3", At(2025, 3, 15, 0, 0, 0), "p1", 5),
                 admission,
                 measles,
                 referral,
                 vaccination,
                 education1,
                 education2,
                 patrol,
                 Person("dr1", "death_report", At(2025, 3, 14), "p7"),
                 Person("pp1", "postpartum_visit", At(2025, 3, 14), "p8"),
                 Person("hr1", "health_record_created", At(2025, 3, 14), "p9"),
             });
  Send("v2", {Outpatient("op1", At(2025, 3, 14), "p1", 99)});

  // Exactly these cells: no month/quarter/... cells for counts and sums,
  // money as integer fen, villages kept apart (same record_id in v2 is
  // another record).
  std::map<CellId, int64_t> expected = {
      {{"v1", "outpatient_visits", "2025-03-14"}, 2},
      {{"v1", "outpatient_cost_yuan", "2025-03-14"}, 4250},
      {{"v1", "outpatient_visits", "2025-03-15"}, 1},
      {{"v1", "outpatient_cost_yuan", "2025-03-15"}, 5},
      {{"v1", "inpatient_admissions", "2025-03-14"}, 1},
      {{"v1", "inpatient_cost_yuan", "2025-03-14"}, 1234567},
      {{"v1", "infectious_disease_reports", "2025-03-14"}, 1},
      {{"v1", "infectious_disease_reports.measles", "2025-03-14"}, 1},
      {{"v1", "referrals", "2025-03-14"}, 1},
      {{"v1", "referrals.county", "2025-03-14"}, 1},
      {{"v1", "vaccination_doses", "2025-03-14"}, 1},
      {{"v1", "health_education_sessions", "2025-03-14"}, 2},
      {{"v1", "health_education_participants", "2025-03-14"}, 35},
      {{"v1", "supervision_patrols", "2025-03-14"}, 1},
      {{"v1", "death_reports", "2025-03-14"}, 1},
      {{"v1", "postpartum_visits", "2025-03-14"}, 1},
      {{"v1", "health_records_created", "2025-03-14"}, 1},
      {{"v2", "outpatient_visits", "2025-03-14"}, 1},
      {{"v2", "outpatient_cost_yuan", "2025-03-14"}, 99},
  };
  EXPECT_EQ(ValuesOf(Changed()), expected);
  EXPECT_EQ(Status().records_applied(), 14u);
}

TEST_F(AggregatorTest, InvalidRecordsAreRefusedAndCountNowhere) {
  // records.md / indicators.md validation, re-checked at the township.
  Record no_cost = Person("op1", "outpatient_visit", At(2025, 3, 14), "p1");
  Record future = Outpatient("op2", At(2099, 1, 1), "p1", 100);
  Record child_of_seven = Person("ch1", "child_health_check", At(2025, 1, 1),
                                 "c1", Born(2018, 1, 1));
  Record elderly_of_64 = Person("el1", "elderly_health_check", At(2025, 3, 15),
                                "e1", Born(1960, 3, 16));
  Send("v1", {no_cost, future, child_of_seven, elderly_of_64});

  EXPECT_TRUE(Changed().empty());
  TownshipStatus status = Status();
  EXPECT_EQ(status.records_refused(), 4u);
  EXPECT_EQ(status.records_applied(), 0u);
  // Refused records are still consumed: the agent must not resend them.
  EXPECT_EQ(aggregator_->Watermark("v1", 1), 4u);
}

// ---------------------------------------------------------------------------
// Distinct people (indicators.md "Distinct people").

TEST_F(AggregatorTest, HypertensionStandardizedNeedsCeil4MonthsOver12) {
  // R = ceil(4 x months / 12): year 4, half-year 2, quarter 1, month 1, day 1.
  // p1: Jan 10, Feb 10, Apr 10 -> 3 in 2025 and in H1.
  Send("v1",
       {HtOn("a1", At(2025, 1, 10), "p1"), HtOn("a2", At(2025, 2, 10), "p1"),
        HtOn("a3", At(2025, 4, 10), "p1")});
  EXPECT_EQ(Value("v1", "hypertension_managed", "2025"), 1);
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025"), 0);     // 3 < 4
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025-H1"), 1);  // 3 >= 2
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025-Q1"), 1);
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025-Q2"), 1);  // 1 >= 1
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025-01"), 1);
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025-04"), 1);
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025-04-10"), 1);
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025-03"), 0);

  // A period ends at 24:00 of its last day: p3's off-target follow-up at the
  // midnight that starts April 1 is in Q2 only, so p3's late on-target one on
  // March 31 is the latest of March and of Q1.
  Send("v1", {HtOff("c2", At(2025, 4, 1, 0, 0, 0), "p3")});
  Send("v1", {HtOn("c1", At(2025, 3, 31, 23, 0, 0), "p3")});
  const std::vector<std::string> around = {"2025-03-31", "2025-03", "2025-Q1",
                                           "2025-04-01", "2025-Q2", "2025-H1"};
  EXPECT_EQ(Values("v1", "hypertension_managed", around),
            (std::vector<int64_t>{1, 1, 2, 1, 2, 2}));
  EXPECT_EQ(Values("v1", "hypertension_controlled", around),
            (std::vector<int64_t>{1, 1, 2, 0, 1, 1}));

  // The fourth follow-up of p1's year; H2 holds only one of p1's (1 < 2).
  // p2: exactly two in H2 (Aug, Sep), none in H1.
  Send("v1",
       {HtOn("a4", At(2025, 7, 10), "p1"), HtOn("b1", At(2025, 8, 1), "p2"),
        HtOn("b2", At(2025, 9, 1), "p2")});
  EXPECT_EQ(Value("v1", "hypertension_managed", "2025"), 3);
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025"), 1);  // p1 only
  EXPECT_EQ(Value("v1", "hypertension_managed", "2025-H2"), 2);
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025-H2"), 1);  // p2
  EXPECT_EQ(Value("v1", "hypertension_managed", "2025-Q3"), 2);
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025-Q3"), 2);
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025-H1"), 2);  // p1, p3
  EXPECT_EQ(Value("v1", "hypertension_followups", "2025-08-01"), 1);
  // A diabetes indicator is untouched by hypertension follow-ups.
  EXPECT_EQ(Value("v1", "diabetes_managed", "2025"), 0);
}

TEST_F(AggregatorTest, DiabetesStandardizedUsesTheSameThresholds) {
  // "as for hypertension, with diabetes_followup".
  // p1: Jan 5, Mar 5, Jun 5, Dec 5 (4 in the year, 3 in H1, 1 in H2).
  // p2: Jan 6, Feb 6, Mar 6 (3 in the year).
  Send("v1", {Diabetes("a1", At(2025, 1, 5), "p1", 650),
              Diabetes("a2", At(2025, 3, 5), "p1", 650),
              Diabetes("a3", At(2025, 6, 5), "p1", 650),
              Diabetes("a4", At(2025, 12, 5), "p1", 650),
              Diabetes("b1", At(2025, 1, 6), "p2", 650),
              Diabetes("b2", At(2025, 2, 6), "p2", 650),
              Diabetes("b3", At(2025, 3, 6), "p2", 650)});
  EXPECT_EQ(Values("v1", "diabetes_managed",
                   {"2025", "2025-H1", "2025-H2", "2025-Q1", "2025-01"}),
            (std::vector<int64_t>{2, 2, 1, 2, 2}));
  EXPECT_EQ(Values("v1", "diabetes_standardized",
                   {"2025", "2025-H1", "2025-H2", "2025-Q1", "2025-Q4",
                    "2025-12", "2025-12-05"}),
            (std::vector<int64_t>{1, 2, 0, 2, 1, 1, 1}));
  EXPECT_EQ(Value("v1", "diabetes_followups", "2025-12-05"), 1);
  EXPECT_EQ(Value("v1", "hypertension_managed", "2025"), 0);
}

TEST_F(AggregatorTest, HypertensionTargetDependsOnAgeAtTheFollowup) {
  // On target: systolic < 140 and diastolic < 90; aged 65 or more at that
  // follow-up: systolic < 150 and diastolic < 90. Born 1960-03-15: 64 on
  // 2025-03-14, 65 on 2025-03-15. One village per case.
  const int32_t born = Born(1960, 3, 15);
  struct Case {
    const char* village;
    int day;
    int systolic;
    int diastolic;
    int64_t controlled;
  };
  const Case cases[] = {
      {"young-139-89", 14, 139, 89, 1},    {"young-140-80", 14, 140, 80, 0},
      {"young-120-90", 14, 120, 90, 0},    {"young-145-80", 14, 145, 80, 0},
      {"birthday-145-80", 15, 145, 80, 1}, {"old-149-89", 15, 149, 89, 1},
      {"old-150-80", 15, 150, 80, 0},      {"old-140-90", 15, 140, 90, 0},
  };
  for (const Case& c : cases) {
    Send(c.village, {Hypertension("h1", At(2025, 3, c.day), "p1", c.systolic,
                                  c.diastolic, born)});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.village);
    for (const std::string& period : PeriodsOf(2025, 3, c.day)) {
      EXPECT_EQ(Value(c.village, "hypertension_managed", period), 1) << period;
      EXPECT_EQ(Value(c.village, "hypertension_controlled", period),
                c.controlled)
          << period;
    }
  }
}

TEST_F(AggregatorTest, HypertensionControlFollowsTheLatestFollowupPerPeriod) {
  // "the latest hypertension_followup in the period is on target".
  Send("v1",
       {HtOn("a1", At(2025, 1, 10), "p1"), HtOff("a2", At(2025, 2, 10), "p1")});
  EXPECT_EQ(Value("v1", "hypertension_controlled", "2025-01"), 1);
  EXPECT_EQ(Value("v1", "hypertension_controlled", "2025-02"), 0);
  EXPECT_EQ(Value("v1", "hypertension_controlled", "2025-Q1"), 0);
  EXPECT_EQ(Value("v1", "hypertension_controlled", "2025"), 0);
  EXPECT_EQ(Value("v1", "hypertension_managed", "2025-Q1"), 1);

  Send("v1", {HtOn("a3", At(2025, 3, 10), "p1")});
  EXPECT_EQ(
      Values("v1", "hypertension_controlled",
             {"2025-01", "2025-02", "2025-03", "2025-Q1", "2025-H1", "2025"}),
      (std::vector<int64_t>{1, 0, 1, 1, 1, 1}));

  // Latest is by time of day, not by day: p2 off at 08:00 then on at 17:00;
  // p3 on at 08:00 then off at 17:00.
  Send("v1", {HtOff("b1", At(2025, 4, 1, 8), "p2"),
              HtOn("b2", At(2025, 4, 1, 17), "p2"),
              HtOn("c1", At(2025, 4, 2, 8), "p3"),
              HtOff("c2", At(2025, 4, 2, 17), "p3")});
  EXPECT_EQ(Value("v1", "hypertension_controlled", "2025-04-01"), 1);
  EXPECT_EQ(Value("v1", "hypertension_controlled", "2025-04-02"), 0);
  EXPECT_EQ(Value("v1", "hypertension_managed", "2025-Q2"), 2);
  EXPECT_EQ(Value("v1", "hypertension_controlled", "2025-Q2"), 1);
  EXPECT_EQ(Value("v1", "hypertension_managed", "2025"), 3);
  EXPECT_EQ(Value("v1", "hypertension_controlled", "2025"), 2);  // p1, p2
}

TEST_F(AggregatorTest, TiedLatestFollowupsMustAllBeOnTarget) {
  // "where several share the latest occurred_at, all of them must be".
  // v1: on and off at the same second, one batch.
  Send("v1",
       {HtOn("a", At(2025, 3, 10), "p1"), HtOff("b", At(2025, 3, 10), "p1")});
  // v2: the same, arriving in the other order and in two batches.
  Send("v2", {HtOff("b", At(2025, 3, 10), "p1")});
  Send("v2", {HtOn("a", At(2025, 3, 10), "p1")});
  // v3: an earlier off-target follow-up, then two tied on-target ones.
  Send("v3",
       {HtOff("a", At(2025, 3, 1), "p1"), HtOn("b", At(2025, 3, 10), "p1"),
        HtOn("c", At(2025, 3, 10), "p1")});
  const std::vector<std::string> periods = PeriodsOf(2025, 3, 10);
  for (const char* v : {"v1", "v2"}) {
    SCOPED_TRACE(v);
    EXPECT_EQ(Values(v, "hypertension_managed", periods),
              (std::vector<int64_t>{1, 1, 1, 1, 1}));
    EXPECT_EQ(Values(v, "hypertension_controlled", periods),
              (std::vector<int64_t>{0, 0, 0, 0, 0}));
    // Both tied records count as follow-ups: 2 >= 2 for the half-year.
    EXPECT_EQ(Value(v, "hypertension_standardized", "2025-H1"), 1);
    EXPECT_EQ(Value(v, "hypertension_followups", "2025-03-10"), 2);
  }
  EXPECT_EQ(Values("v3", "hypertension_controlled", periods),
            (std::vector<int64_t>{1, 1, 1, 1, 1}));
  EXPECT_EQ(Value("v3", "hypertension_controlled", "2025-03-01"), 0);

  // Voiding the off-target one of the tie leaves one latest, on target.
  Send("v1", {Void("b", "hypertension_followup")});
  EXPECT_EQ(Values("v1", "hypertension_controlled", periods),
            (std::vector<int64_t>{1, 1, 1, 1, 1}));
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025-H1"), 0);  // 1 < 2
  EXPECT_EQ(Value("v1", "hypertension_managed", "2025"), 1);
}

TEST_F(AggregatorTest, DiabetesControlNeedsLatestGlucoseBelowSeven) {
  // "latest diabetes_followup has fasting_glucose < 7.0 mmol/L (same tie
  // rule)"; glucose is in hundredths.
  Send("v1", {Diabetes("a", At(2025, 3, 10), "p1", 699),
              Diabetes("b", At(2025, 3, 10), "p2", 700),
              Diabetes("c1", At(2025, 3, 1), "p3", 650),
              Diabetes("c2", At(2025, 3, 20), "p3", 720),
              Diabetes("d1", At(2025, 3, 15), "p4", 600),
              Diabetes("d2", At(2025, 3, 15), "p4", 710)});
  EXPECT_EQ(Value("v1", "diabetes_managed", "2025-03"), 4);
  EXPECT_EQ(Value("v1", "diabetes_controlled", "2025-03"), 1);  // p1 only
  EXPECT_EQ(Value("v1", "diabetes_controlled", "2025-03-10"), 1);
  EXPECT_EQ(Value("v1", "diabetes_managed", "2025-03-10"), 2);
  EXPECT_EQ(Value("v1", "diabetes_controlled", "2025-03-01"), 1);  // p3 then
  EXPECT_EQ(Value("v1", "diabetes_controlled", "2025-03-15"), 0);  // tie
  EXPECT_EQ(Value("v1", "diabetes_controlled", "2025"), 1);
  EXPECT_EQ(Value("v1", "hypertension_controlled", "2025"), 0);
}

TEST_F(AggregatorTest, OtherDistinctIndicatorsCountEachPersonOncePerPeriod) {
  // children_managed, pregnant_women_managed, elderly_managed,
  // family_doctor_signed, smi_managed, tb_managed: distinct patient_id with a
  // qualifying record in the period; no standardized/controlled cells.
  Send("v1", {
                 Person("c1a", "child_health_check", At(2025, 1, 10), "c1",
                        Born(2020, 5, 1)),
                 Person("c1b", "child_health_check", At(2025, 2, 10), "c1",
                        Born(2020, 5, 1)),
                 Person("c2", "child_health_check", At(2025, 2, 20), "c2",
                        Born(2019, 3, 1)),
                 // 6 years and 364 days: still 0-6.
                 Person("c4", "child_health_check", At(2025, 1, 1), "c4",
                        Born(2018, 1, 2)),
                 // 65 today.
                 Person("e1", "elderly_health_check", At(2025, 3, 15), "e1",
                        Born(1960, 3, 15)),
                 Person("w1a", "prenatal_visit", At(2025, 3, 1), "w1"),
                 Person("w1b", "prenatal_visit", At(2025, 3, 29), "w1"),
                 Person("f1", "family_doctor_signing", At(2025, 3, 2), "f1"),
                 Person("s1a", "smi_followup", At(2025, 3, 3), "s1"),
                 Person("s1b", "smi_followup", At(2025, 3, 4), "s1"),
                 Person("t1", "tb_followup", At(2025, 3, 5), "t1"),
             });
  EXPECT_EQ(Values("v1", "children_managed",
                   {"2025-01", "2025-02", "2025-Q1", "2025-H1", "2025",
                    "2025-01-01", "2025-03"}),
            (std::vector<int64_t>{2, 2, 3, 3, 3, 1, 0}));
  EXPECT_EQ(Value("v1", "child_health_checks", "2025-02-10"), 1);
  EXPECT_EQ(Values("v1", "elderly_managed", {"2025-03-15", "2025-03", "2025"}),
            (std::vector<int64_t>{1, 1, 1}));
  EXPECT_EQ(Values("v1", "pregnant_women_managed",
                   {"2025-03-01", "2025-03-29", "2025-03", "2025"}),
            (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(Value("v1", "prenatal_visits", "2025-03-29"), 1);
  EXPECT_EQ(Value("v1", "family_doctor_signed", "2025-Q1"), 1);
  EXPECT_EQ(Value("v1", "family_doctor_signings", "2025-03-02"), 1);
  EXPECT_EQ(Value("v1", "smi_managed", "2025-03"), 1);
  EXPECT_EQ(Value("v1", "smi_followups", "2025-03-04"), 1);
  EXPECT_EQ(Value("v1", "tb_managed", "2025-H1"), 1);

  std::set<std::string> codes;
  for (const auto& [id, state] : Changed()) codes.insert(std::get<1>(id));
  EXPECT_EQ(
      codes,
      (std::set<std::string>{
          "children_managed", "child_health_checks", "elderly_managed",
          "elderly_health_checks", "pregnant_women_managed", "prenatal_visits",
          "family_doctor_signed", "family_doctor_signings", "smi_managed",
          "smi_followups", "tb_managed", "tb_followups"}));

  // "the same patient seen in two villages counts in each".
  Send("v2", {Person("x", "child_health_check", At(2025, 2, 11), "c1",
                     Born(2020, 5, 1))});
  EXPECT_EQ(Value("v2", "children_managed", "2025"), 1);
  EXPECT_EQ(Value("v1", "children_managed", "2025"), 3);
  EXPECT_EQ(Value("v2", "children_managed", "2025-02"), 1);
}

// ---------------------------------------------------------------------------
// Voids (records.md "Identity, duplicates and corrections").

TEST_F(AggregatorTest, VoidRemovesTheRecordsEffectExactlyOnce) {
  Send("v1",
       {Outpatient("op1", At(2025, 3, 14), "p1", 1000),
        Outpatient("op2", At(2025, 3, 14), "p2", 2000),
        HtOn("h1", At(2025, 1, 10), "p3"), HtOn("h2", At(2025, 4, 10), "p3"),
        HtOn("h3", At(2025, 7, 10), "p3"), HtOn("h4", At(2025, 10, 10), "p3")});
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025"), 1);

  // A void in a later batch.
  Send("v1", {Void("op1", "outpatient_visit")});
  EXPECT_EQ(Value("v1", "outpatient_visits", "2025-03-14"), 1);
  EXPECT_EQ(Value("v1", "outpatient_cost_yuan", "2025-03-14"), 2000);
  EXPECT_EQ(Status().records_applied(), 7u);

  // Voiding it again, or voiding an unknown id, changes no cell at all.
  CellMap before = Changed();
  Send("v1", {Void("op1", "outpatient_visit")});
  EXPECT_EQ(Status().records_duplicate(), 1u);
  Send("v1", {Void("nope", "outpatient_visit")});
  EXPECT_EQ(Status().records_refused(), 1u);
  // A voided record sent again as new is not revived.
  Send("v1", {Outpatient("op1", At(2025, 3, 14), "p1", 1000)});
  EXPECT_EQ(Status().records_duplicate(), 2u);
  EXPECT_EQ(Changed(), before);
  EXPECT_EQ(Status().records_applied(), 7u);

  // Voiding a follow-up recomputes the distinct indicators of its periods.
  Send("v1", {Void("h2", "hypertension_followup")});
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025"), 0);     // 3 < 4
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025-H1"), 0);  // 1 < 2
  EXPECT_EQ(Value("v1", "hypertension_managed", "2025"), 1);
  EXPECT_EQ(Values("v1", "hypertension_managed",
                   {"2025-04-10", "2025-04", "2025-Q2"}),
            (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(Value("v1", "hypertension_controlled", "2025-Q2"), 0);
  EXPECT_EQ(Value("v1", "hypertension_followups", "2025-04-10"), 0);

  // A record and its void in the same batch cancel out.
  Send("v1", {Outpatient("op3", At(2025, 3, 14), "p4", 500),
              Void("op3", "outpatient_visit")});
  EXPECT_EQ(Value("v1", "outpatient_visits", "2025-03-14"), 1);
  EXPECT_EQ(Value("v1", "outpatient_cost_yuan", "2025-03-14"), 2000);

  // A cell that drops to zero is still reported, with value 0, so the county
  // replaces its old value.
  Send("v1", {Void("op2", "outpatient_visit")});
  CellMap cells = Changed();
  ASSERT_EQ(cells.count({"v1", "outpatient_visits", "2025-03-14"}), 1u);
  EXPECT_EQ(cells.at({"v1", "outpatient_visits", "2025-03-14"}).value, 0);
  EXPECT_EQ(cells.at({"v1", "outpatient_cost_yuan", "2025-03-14"}).value, 0);
  ASSERT_EQ(cells.count({"v1", "hypertension_managed", "2025-Q2"}), 1u);
}

// ---------------------------------------------------------------------------
// Late records (indicators.md "Periods": late records change the periods they
// fall in, including closed ones).

TEST_F(AggregatorTest, LateRecordsChangeTheEarlierPeriodsTheyFallIn) {
  Send("v1", {HtOn("h-mar", At(2025, 3, 10), "p1"),
              Outpatient("op-mar", At(2025, 3, 10), "p2", 300)});
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025-H1"), 0);  // 1 < 2

  // Dated January and February, arriving after March.
  Send("v1", {Outpatient("op-jan", At(2025, 1, 20), "p2", 700),
              HtOff("h-feb", At(2025, 2, 5), "p1")});
  EXPECT_EQ(Value("v1", "outpatient_visits", "2025-01-20"), 1);
  EXPECT_EQ(Value("v1", "outpatient_cost_yuan", "2025-01-20"), 700);
  EXPECT_EQ(Value("v1", "outpatient_visits", "2025-03-10"), 1);
  EXPECT_EQ(Values("v1", "hypertension_managed",
                   {"2025-02-05", "2025-02", "2025-Q1", "2025"}),
            (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(Value("v1", "hypertension_controlled", "2025-02"), 0);
  // The late one is not the latest of Q1: March (on target) still decides.
  EXPECT_EQ(Value("v1", "hypertension_controlled", "2025-Q1"), 1);
  EXPECT_EQ(Value("v1", "hypertension_controlled", "2025"), 1);
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025-H1"), 1);  // 2 >= 2
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025"), 0);     // 2 < 4

  // The last second of the previous year, arriving now: only 2024 changes.
  CellMap before = Changed();
  Send("v1", {HtOff("h-dec", At(2024, 12, 31, 23, 59, 59), "p1")});
  EXPECT_EQ(Values("v1", "hypertension_managed",
                   {"2024-12-31", "2024-12", "2024-Q4", "2024-H2", "2024"}),
            (std::vector<int64_t>{1, 1, 1, 1, 1}));
  EXPECT_EQ(Value("v1", "hypertension_controlled", "2024"), 0);
  CellMap after = Changed();
  for (const auto& [id, state] : after) {
    if (std::get<2>(id).substr(0, 4) != "2025") continue;
    auto was = before.find(id);
    ASSERT_NE(was, before.end()) << std::get<1>(id) << " " << std::get<2>(id);
    EXPECT_EQ(was->second, state) << std::get<1>(id) << " " << std::get<2>(id);
  }

  // Two more late follow-ups complete the year's four.
  Send("v1", {HtOn("h-jan", At(2025, 1, 2), "p1"),
              HtOff("h-feb2", At(2025, 2, 28), "p1")});
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025"), 1);
  EXPECT_EQ(Value("v1", "hypertension_controlled", "2025-Q1"), 1);
  EXPECT_EQ(Value("v1", "hypertension_controlled", "2025-01"), 1);
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2024"), 0);
}

// ---------------------------------------------------------------------------
// Exactly once (aggregator.h; records.md "Identity, duplicates and
// corrections").

TEST_F(AggregatorTest, BatchResentBelowTheWatermarkChangesNothing) {
  std::vector<Record> first = {Outpatient("op1", At(2025, 3, 14), "p1", 100),
                               Outpatient("op2", At(2025, 3, 14), "p2", 200),
                               HtOn("h1", At(2025, 3, 14), "p3")};
  Send("v1", first);
  CellMap before = Changed();
  TownshipStatus status_before = Status();

  absl::StatusOr<uint64_t> resent = Apply("v1", 1, 1, first);
  ASSERT_TRUE(resent.ok()) << resent.status();
  EXPECT_EQ(*resent, 3u);
  // Below the watermark even different content is ignored: seq decides.
  std::vector<Record> changed = first;
  changed[0].set_cost_fen(999);
  resent = Apply("v1", 1, 1, changed);
  ASSERT_TRUE(resent.ok()) << resent.status();
  EXPECT_EQ(*resent, 3u);
  EXPECT_EQ(Changed(), before);  // values and versions
  EXPECT_EQ(Status().records_applied(), status_before.records_applied());
  EXPECT_EQ(Status().records_duplicate(), 0u);

  // Overlapping: seqs 2-3 again, 4-5 new; only 4 and 5 are applied.
  absl::StatusOr<uint64_t> overlap =
      Apply("v1", 1, 2,
            {first[1], first[2], Outpatient("op4", At(2025, 3, 14), "p4", 40),
             Outpatient("op5", At(2025, 3, 14), "p5", 50)});
  ASSERT_TRUE(overlap.ok()) << overlap.status();
  EXPECT_EQ(*overlap, 5u);
  EXPECT_EQ(Value("v1", "outpatient_visits", "2025-03-14"), 4);
  EXPECT_EQ(Value("v1", "outpatient_cost_yuan", "2025-03-14"), 390);
  EXPECT_EQ(Value("v1", "hypertension_followups", "2025-03-14"), 1);
  EXPECT_EQ(Status().records_applied(), 5u);
  EXPECT_EQ(Status().records_duplicate(), 0u);
}

TEST_F(AggregatorTest, SeqGapIsAbortedAndAppliesNothing) {
  Send("v1", {Outpatient("op1", At(2025, 3, 14), "p1", 100),
              Outpatient("op2", At(2025, 3, 14), "p2", 200)});
  CellMap before = Changed();

  absl::StatusOr<uint64_t> gap =
      Apply("v1", 1, 4, {Outpatient("op4", At(2025, 3, 14), "p4", 400)});
  EXPECT_EQ(gap.status().code(), absl::StatusCode::kAborted) << gap.status();
  // A gap inside the batch: seq 3 is valid but must not be applied alone.
  RecordBatch holed =
      MakeBatch(3, {Outpatient("op3", At(2025, 3, 14), "p3", 300)});
  *holed.add_records() =
      MakeBatch(5, {Outpatient("op5", At(2025, 3, 14), "p5", 500)}).records(0);
  absl::StatusOr<uint64_t> holed_result =
      aggregator_->ApplyBatch("v1", 1, holed);
  EXPECT_EQ(holed_result.status().code(), absl::StatusCode::kAborted)
      << holed_result.status();
  // A new epoch starts at seq 1.
  gap = Apply("v1", 2, 2, {Outpatient("op9", At(2025, 3, 14), "p9", 900)});
  EXPECT_EQ(gap.status().code(), absl::StatusCode::kAborted) << gap.status();

  EXPECT_EQ(aggregator_->Watermark("v1", 1), 2u);
  EXPECT_EQ(aggregator_->Watermark("v1", 2), 0u);
  EXPECT_EQ(Changed(), before);
  EXPECT_EQ(Status().records_applied(), 2u);

  absl::StatusOr<uint64_t> next =
      Apply("v1", 1, 3,
            {Outpatient("op3", At(2025, 3, 14), "p3", 300),
             Outpatient("op4", At(2025, 3, 14), "p4", 400)});
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(*next, 4u);
  EXPECT_EQ(Value("v1", "outpatient_visits", "2025-03-14"), 4);
  EXPECT_EQ(Value("v1", "outpatient_cost_yuan", "2025-03-14"), 1000);
}

TEST_F(AggregatorTest, RecordResentUnderANewEpochIsCountedOnce) {
  // An agent whose data directory was recreated resends under a new epoch.
  Send("v1",
       {Outpatient("r1", At(2025, 3, 14), "p1", 1000),
        Outpatient("r2", At(2025, 3, 14), "p2", 2000),
        HtOn("h1", At(2025, 3, 14), "p3")},
       /*epoch=*/1);
  Record r2_changed = Outpatient("r2", At(2025, 3, 14), "p2", 2500);
  Send("v1",
       {Outpatient("r1", At(2025, 3, 14), "p1", 1000),  // identical
        r2_changed,                                     // conflicting
        HtOn("h1", At(2025, 3, 14), "p3"),              // identical
        Outpatient("r3", At(2025, 3, 14), "p4", 400)},  // new
       /*epoch=*/2);

  EXPECT_EQ(Value("v1", "outpatient_visits", "2025-03-14"), 3);
  EXPECT_EQ(Value("v1", "outpatient_cost_yuan", "2025-03-14"), 3400);
  EXPECT_EQ(Value("v1", "hypertension_followups", "2025-03-14"), 1);
  EXPECT_EQ(Value("v1", "hypertension_managed", "2025"), 1);
  TownshipStatus status = Status();
  EXPECT_EQ(status.records_applied(), 4u);
  EXPECT_EQ(status.records_duplicate(), 2u);
  EXPECT_EQ(status.records_conflicting(), 1u);
  EXPECT_EQ(status.records_refused(), 0u);
  EXPECT_EQ(aggregator_->Watermark("v1", 1), 3u);
  EXPECT_EQ(aggregator_->Watermark("v1", 2), 4u);
  ASSERT_EQ(status.villages_size(), 2);
  EXPECT_EQ(status.villages(0).village_id(), "v1");
  EXPECT_EQ(status.villages(0).epoch(), 1u);
  EXPECT_EQ(status.villages(0).watermark(), 3u);
  EXPECT_EQ(status.villages(1).epoch(), 2u);
  EXPECT_EQ(status.villages(1).watermark(), 4u);

  // A void under the new epoch reaches the record applied under the old one.
  Send("v1", {Void("r1", "outpatient_visit")}, /*epoch=*/2);
  EXPECT_EQ(Value("v1", "outpatient_visits", "2025-03-14"), 2);
  EXPECT_EQ(Value("v1", "outpatient_cost_yuan", "2025-03-14"), 2400);
}

// ---------------------------------------------------------------------------
// Durability.

TEST_F(AggregatorTest, StateSurvivesCloseAndReopen) {
  Send("v1",
       {HtOn("h1", At(2025, 1, 10), "p1"), HtOn("h2", At(2025, 4, 10), "p1"),
        HtOn("h3", At(2025, 7, 10), "p1"),
        Outpatient("op1", At(2025, 3, 14), "p2", 1000),
        Outpatient("op2", At(2025, 3, 14), "p3", 234)});
  Send("v1",
       {Void("op1", "outpatient_visit"), Void("unknown", "outpatient_visit")});
  Send("v2", {Outpatient("op1", At(2025, 3, 14), "p1", 50)}, /*epoch=*/7);

  CellMap cells = Changed();
  TownshipStatus status = Status();
  uint64_t pending = aggregator_->cells_pending();
  ASSERT_GT(pending, 0u);
  EXPECT_EQ(pending, cells.size());
  uint64_t max_version = 0;
  for (const auto& [id, state] : cells)
    max_version = std::max(max_version, state.version);

  Open();
  EXPECT_EQ(Changed(), cells);
  EXPECT_EQ(aggregator_->Watermark("v1", 1), 7u);
  EXPECT_EQ(aggregator_->Watermark("v2", 7), 1u);
  EXPECT_EQ(aggregator_->cells_pending(), pending);
  TownshipStatus reopened = Status();
  status.clear_db_bytes();
  reopened.clear_db_bytes();
  EXPECT_EQ(reopened.SerializeAsString(), status.SerializeAsString())
      << reopened.ShortDebugString() << "\nvs\n"
      << status.ShortDebugString();

  // A resend below the watermark is still ignored after the restart.
  absl::StatusOr<uint64_t> resent =
      Apply("v1", 1, 6, {Void("op1", "outpatient_visit"), Void("x", "y")});
  ASSERT_TRUE(resent.ok()) << resent.status();
  EXPECT_EQ(*resent, 7u);
  EXPECT_EQ(Changed(), cells);

  // Per-patient follow-up state survived: the fourth follow-up makes p1
  // standardized for the year; the versions keep growing.
  Send("v1", {HtOn("h4", At(2025, 10, 10), "p1")});
  CellMap now = Changed();
  EXPECT_EQ(now.at({"v1", "hypertension_standardized", "2025"}).value, 1);
  EXPECT_GT(now.at({"v1", "hypertension_standardized", "2025"}).version,
            max_version);
  // Stored records survived: voids still find them, duplicates are detected.
  Send("v1", {Void("h1", "hypertension_followup")});
  EXPECT_EQ(Value("v1", "hypertension_standardized", "2025"), 0);
  EXPECT_EQ(Value("v1", "hypertension_managed", "2025-Q1"), 0);
  Send("v1", {Outpatient("op2", At(2025, 3, 14), "p3", 234)}, /*epoch=*/2);
  EXPECT_EQ(Status().records_duplicate(), 1u);
  EXPECT_EQ(Value("v1", "outpatient_visits", "2025-03-14"), 1);
  EXPECT_EQ(Value("v1", "outpatient_cost_yuan", "2025-03-14"), 234);
}

TEST_F(AggregatorTest, OpenRefusesAnotherTownshipsDirectory) {
  Send("v1", {Outpatient("op1", At(2025, 3, 14), "p1", 100)});
  aggregator_.reset();
  AggregatorOptions other = Options();
  other.township_id = "t2";
  absl::StatusOr<std::unique_ptr<TownshipAggregator>> opened =
      TownshipAggregator::Open(dir_.Sub("township"), other);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition)
      << opened.status();
}

// ---------------------------------------------------------------------------
// Forwarding marks.

TEST_F(AggregatorTest, MarkForwardedClearsOnlyCellsThatDidNotChangeSince) {
  Send("v1", {Outpatient("op1", At(2025, 3, 14), "p1", 100),
              Outpatient("op2", At(2025, 3, 15), "p2", 200)});
  std::vector<Cell> first = ReadCells(100);
  ASSERT_EQ(first.size(), 4u);
  EXPECT_EQ(aggregator_->cells_pending(), 4u);
  // Every cell changed by one batch carries that batch's version.
  const uint64_t v1 = first[0].version();
  for (const Cell& c : first) EXPECT_EQ(c.version(), v1) << c.indicator();

  // Mar 14 changes again before the county acknowledges `first`.
  Send("v1", {Outpatient("op3", At(2025, 3, 14), "p3", 1000)});
  EXPECT_EQ(aggregator_->cells_pending(), 4u);  // marks already set
  ASSERT_TRUE(aggregator_->MarkForwarded(first).ok());
  EXPECT_EQ(aggregator_->cells_pending(), 2u);
  CellMap left = Changed();
  ASSERT_EQ(left.size(), 2u);
  const CellState visits = left.at({"v1", "outpatient_visits", "2025-03-14"});
  const CellState cost = left.at({"v1", "outpatient_cost_yuan", "2025-03-14"});
  EXPECT_EQ(visits.value, 2);
  EXPECT_EQ(cost.value, 1100);
  EXPECT_GT(visits.version, v1);
  EXPECT_EQ(cost.version, visits.version);

  std::vector<Cell> second = ReadCells(100);
  ASSERT_EQ(second.size(), 2u);
  ASSERT_TRUE(aggregator_->MarkForwarded(second).ok());
  EXPECT_EQ(aggregator_->cells_pending(), 0u);
  EXPECT_TRUE(ReadCells(100).empty());
  // A stale or repeated acknowledgement changes nothing.
  ASSERT_TRUE(aggregator_->MarkForwarded(first).ok());
  ASSERT_TRUE(aggregator_->MarkForwarded(second).ok());
  EXPECT_EQ(aggregator_->cells_pending(), 0u);

  // A new change marks only its own cells, with the current totals.
  Send("v1", {Outpatient("op4", At(2025, 3, 15), "p4", 5)});
  EXPECT_EQ(aggregator_->cells_pending(), 2u);
  EXPECT_EQ(ValuesOf(Changed()),
            (std::map<CellId, int64_t>{
                {{"v1", "outpatient_visits", "2025-03-15"}, 2},
                {{"v1", "outpatient_cost_yuan", "2025-03-15"}, 205}}));

  // Acknowledging one cell twice clears it once; the other stays pending.
  std::vector<Cell> third = ReadCells(100);
  ASSERT_EQ(third.size(), 2u);
  ASSERT_TRUE(aggregator_->MarkForwarded({third[0], third[0]}).ok());
  EXPECT_EQ(aggregator_->cells_pending(), 1u);
  ASSERT_TRUE(aggregator_->MarkForwarded({third[0]}).ok());
  EXPECT_EQ(aggregator_->cells_pending(), 1u);
  EXPECT_EQ(ReadCells(100).size(), 1u);
  TownshipStatus status = Status();
  EXPECT_EQ(status.cells_pending(), 1u);

  // The marks (and the count) survive a restart.
  Open();
  EXPECT_EQ(aggregator_->cells_pending(), 1u);
  std::vector<Cell> after = ReadCells(100);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].indicator(), third[1].indicator());
  EXPECT_EQ(after[0].version(), third[1].version());
}

TEST_F(AggregatorTest, ReadChangedCellsPagesThroughAllCells) {
  // Five day cells of outpatient_visits (plus five of cost): ten pending.
  std::vector<Record> records;
  for (int d = 1; d <= 5; ++d) {
    records.push_back(
        Outpatient("op" + std::to_string(d), At(2025, 3, d), "p1", 100 * d));
  }
  Send("v1", records);
  ASSERT_EQ(aggregator_->cells_pending(), 10u);

  std::set<CellId> seen;
  std::vector<Cell> page = ReadCells(4);
  ASSERT_EQ(page.size(), 4u);
  for (const Cell& c : page)
    seen.insert({c.village_id(), c.indicator(), c.period()});
  page = ReadCells(4);
  ASSERT_EQ(page.size(), 4u);
  for (const Cell& c : page)
    seen.insert({c.village_id(), c.indicator(), c.period()});
  page = ReadCells(4);
  ASSERT_EQ(page.size(), 4u);  // the last 2, then it wraps around
  for (const Cell& c : page)
    seen.insert({c.village_id(), c.indicator(), c.period()});
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(Changed().size(), 10u);
}

// ---------------------------------------------------------------------------
// Activity: what the county's completeness report needs.

// Every activity entry with a changed mark: (village, code, period) -> value.
std::map<CellId, int64_t> ChangedActivity(TownshipAggregator* aggregator) {
  std::vector<Cell> activity;
  absl::Status s = aggregator->ReadChangedActivity(1000, &activity);
  EXPECT_TRUE(s.ok()) << s;
  std::map<CellId, int64_t> out;
  for (const Cell& c : activity) {
    out[CellId{c.village_id(), c.indicator(), c.period()}] = c.value();
  }
  return out;
}

AggregatorOptions ClockedOptions() {
  AggregatorOptions options;
  options.township_id = "t1";
  options.min_free_disk_bytes = 0;
  options.clock = [] { return absl::CivilSecond(2025, 3, 20, 8, 0, 0); };
  return options;
}

TEST_F(AggregatorTest, ActivityHasEachDaysLatestCountedRecordAndTheLastSync) {
  Open(ClockedOptions());
  // v0 sorts before v1, and v1 has a record the day before: neither is a
  // record of v1's 14th once that day has none.
  Send("v0", {Outpatient("x1", At(2025, 3, 14, 23), "p9", 100)});
  Send("v1", {Outpatient("op0", At(2025, 3, 13, 23, 59, 59), "p1", 100),
              Outpatient("op1", At(2025, 3, 14, 9), "p1", 100),
              Outpatient("op2", At(2025, 3, 14, 15, 30), "p2", 100),
              HtOn("h1", At(2025, 3, 15, 10), "p1")});
  EXPECT_EQ(
      ChangedActivity(aggregator_.get()),
      (std::map<CellId, int64_t>{
          {{"v0", "last_record_at", "2025-03-14"}, At(2025, 3, 14, 23)},
          {{"v0", "last_sync_at", ""}, At(2025, 3, 20, 8)},
          {{"v1", "last_record_at", "2025-03-13"}, At(2025, 3, 13, 23, 59, 59)},
          {{"v1", "last_record_at", "2025-03-14"}, At(2025, 3, 14, 15, 30)},
          {{"v1", "last_record_at", "2025-03-15"}, At(2025, 3, 15, 10)},
          {{"v1", "last_sync_at", ""}, At(2025, 3, 20, 8)}}));
  EXPECT_EQ(Status().activity_pending(), 6u);
  std::vector<Cell> sent;
  ASSERT_TRUE(aggregator_->ReadChangedActivity(1000, &sent).ok());
  ASSERT_TRUE(aggregator_->MarkActivityForwarded(sent).ok());
  EXPECT_EQ(Status().activity_pending(), 0u);

  // Voiding the latest record moves the day's latest back; voiding the last
  // one leaves 0 (none); the other day is unchanged and not sent again.
  Send("v1", {Void("op2", "outpatient_visit")});
  std::map<CellId, int64_t> after = ChangedActivity(aggregator_.get());
  EXPECT_EQ(after.at({"v1", "last_record_at", "2025-03-14"}),
            At(2025, 3, 14, 9));
  EXPECT_EQ(after.count({"v1", "last_record_at", "2025-03-15"}), 0u);
  Send("v1", {Void("op1", "outpatient_visit")});
  EXPECT_EQ(ChangedActivity(aggregator_.get())
                .at({"v1", "last_record_at", "2025-03-14"}),
            0);
  // A record refused (a void of nothing) counts nowhere and moves no day.
  Send("v1", {Void("nothing", "outpatient_visit")});
  EXPECT_EQ(ChangedActivity(aggregator_.get())
                .count({"v1", "last_record_at", "2025-03-15"}),
            0u);
  // Versions come from the cells' counter: the newest batch's.
  std::vector<Cell> activity;
  ASSERT_TRUE(aggregator_->ReadChangedActivity(1000, &activity).ok());
  uint64_t max_cell_version = 0;
  for (const auto& [id, state] : Changed())
    max_cell_version = std::max(max_cell_version, state.version);
  for (const Cell& a : activity) EXPECT_GE(a.version(), max_cell_version);
}

TEST_F(AggregatorTest, AStoreFromBeforeTheActivityIsIndexedAtOpen) {
  Send("v1", {Outpatient("op1", At(2025, 3, 14, 9), "p1", 100),
              Outpatient("op2", At(2025, 3, 14, 15, 30), "p2", 100),
              Outpatient("op3", At(2025, 3, 16, 11), "p2", 100)});
  Send("v1", {Void("op2", "outpatient_visit")});
  const uint64_t version = Changed().begin()->second.version;
  aggregator_.reset();
  {
    // What a township of protocol 1 left: no index, no activity.
    auto store = Store::Open(dir_.Sub("township"),
                             township_layout::Options(Options().township_id));
    ASSERT_TRUE(store.ok()) << store.status();
    rocksdb::WriteBatch batch;
    for (const char* family :
         {township_layout::kOccurred, township_layout::kActivity,
          township_layout::kActivityChanged}) {
      auto it = (*store)->NewIterator((*store)->Family(family));
      for (it->SeekToFirst(); it->Valid(); it->Next())
        batch.Delete((*store)->Family(family), it->key());
    }
    batch.Delete((*store)->Family("default"),
                 township_layout::kOccurredIndexKey);
    ASSERT_TRUE((*store)->Write(&batch).ok());
  }
  Open();
  EXPECT_EQ(
      ChangedActivity(aggregator_.get()),
      (std::map<CellId, int64_t>{
          {{"v1", "last_record_at", "2025-03-14"}, At(2025, 3, 14, 9)},
          {{"v1", "last_record_at", "2025-03-16"}, At(2025, 3, 16, 11)}}));
  EXPECT_EQ(Status().activity_pending(), 2u);
  std::vector<Cell> activity;
  ASSERT_TRUE(aggregator_->ReadChangedActivity(1000, &activity).ok());
  for (const Cell& a : activity) EXPECT_GT(a.version(), version);
  // The index is whole: a void after the upgrade finds its record.
  Send("v1", {Void("op1", "outpatient_visit")});
  EXPECT_EQ(ChangedActivity(aggregator_.get())
                .at({"v1", "last_record_at", "2025-03-14"}),
            0);
  // Indexed once: another open changes nothing.
  std::map<CellId, int64_t> before = ChangedActivity(aggregator_.get());
  Open();
  EXPECT_EQ(ChangedActivity(aggregator_.get()), before);
}

// ---------------------------------------------------------------------------
// Budget.

TEST_F(AggregatorTest, SpentBufferBudgetRefusesTheWholeBatch) {
  Send("v1", {Outpatient("op1", At(2025, 3, 14), "p1", 100)});
  CellMap before = Changed();

  AggregatorOptions tiny = Options();
  tiny.max_buffer_bytes = 1;
  Open(tiny);
  std::vector<Record> next = {Outpatient("op2", At(2025, 3, 14), "p2", 200),
                              HtOn("h1", At(2025, 3, 14), "p3")};
  absl::StatusOr<uint64_t> refused = Apply("v1", 1, 2, next);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted)
      << refused.status();
  refused = Apply("v2", 1, 1, next);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted)
      << refused.status();
  EXPECT_EQ(aggregator_->Watermark("v1", 1), 1u);
  EXPECT_EQ(aggregator_->Watermark("v2", 1), 0u);
  EXPECT_EQ(Changed(), before);
  EXPECT_EQ(Status().records_applied(), 1u);
  // Acknowledging what is already applied needs no budget.
  absl::StatusOr<uint64_t> resent =
      Apply("v1", 1, 1, {Outpatient("op1", At(2025, 3, 14), "p1", 100)});
  ASSERT_TRUE(resent.ok()) << resent.status();
  EXPECT_EQ(*resent, 1u);

  // With room again the refused batch applies in full.
  Open();
  absl::StatusOr<uint64_t> applied = Apply("v1", 1, 2, next);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(*applied, 3u);
  EXPECT_EQ(Value("v1", "outpatient_visits", "2025-03-14"), 2);
  EXPECT_EQ(Value("v1", "outpatient_cost_yuan", "2025-03-14"), 300);
  EXPECT_EQ(Value("v1", "hypertension_managed", "2025"), 1);
}

// ---------------------------------------------------------------------------
// A batch sees its own earlier records (BatchApplier keeps them in memory):
// one batch of many records gives exactly what one batch per record gives.

TEST_F(AggregatorTest, OneBatchGivesWhatOneBatchPerRecordGives) {
  Record measles =
      Person("id1", "infectious_disease_report", At(2025, 3, 14, 11), "p4");
  measles.set_disease("measles");
  Record kept = measles;
  kept.set_record_id("id2");
  const std::vector<Record> records = {
      HtOn("h1", At(2025, 1, 10), "p1"),
      HtOn("h2", At(2025, 4, 10), "p1"),
      HtOff("h3", At(2025, 4, 10), "p1"),  // a tie with h2: not controlled
      Void("h2", "hypertension_followup"),
      HtOn("h4", At(2025, 7, 10), "p1"),
      HtOn("h5", At(2026, 1, 5), "p1"),
      Outpatient("op1", At(2025, 3, 14, 9), "p2", 100),
      Outpatient("op2", At(2025, 3, 14, 18), "p3", 200),
      Void("op2", "outpatient_visit"),  // the day's latest is op1's again
      Void("op2", "outpatient_visit"),  // a duplicate void
      Outpatient("op1", At(2025, 3, 14, 9), "p2", 999),  // a conflict
      measles,
      Void("id1", "infectious_disease_report"),
      kept,
      Void("nope", "outpatient_visit")};  // refused

  Open(ClockedOptions());
  Send("v1", records);
  const std::map<CellId, int64_t> cells = ValuesOf(Changed());
  const std::map<CellId, int64_t> activity = ChangedActivity(aggregator_.get());
  const TownshipStatus status = Status();
  std::vector<Alert> alerts;
  ASSERT_TRUE(aggregator_->ReadChangedAlerts(100, &alerts).ok());

  aggregator_.reset();
  std::filesystem::remove_all(dir_.Sub("township"));
  Open(ClockedOptions());
  for (const Record& r : records) Send("v2", {r});
  // Cells that came and went are written as 0 one record at a time and not
  // at all by one batch: both tell the county the same.
  auto nonzero = [](const std::map<CellId, int64_t>& cells) {
    std::map<CellId, int64_t> out;
    for (const auto& [id, value] : cells) {
      if (value != 0)
        out[CellId{"v1", std::get<1>(id), std::get<2>(id)}] = value;
    }
    return out;
  };
  EXPECT_EQ(nonzero(cells), nonzero(ValuesOf(Changed())));
  EXPECT_EQ(nonzero(activity), nonzero(ChangedActivity(aggregator_.get())));
  EXPECT_EQ(cells.count({"v1", "hypertension_controlled", "2025-Q2"}), 0u);
  EXPECT_EQ(cells.at({"v1", "hypertension_managed", "2026"}), 1);
  EXPECT_EQ(cells.at({"v1", "outpatient_visits", "2025-03-14"}), 1);
  EXPECT_EQ(activity.at({"v1", "last_record_at", "2025-03-14"}),
            At(2025, 3, 14, 11));
  TownshipStatus one_by_one = Status();
  EXPECT_EQ(status.records_applied(), one_by_one.records_applied());
  EXPECT_EQ(status.records_duplicate(), 1u);
  EXPECT_EQ(status.records_duplicate(), one_by_one.records_duplicate());
  EXPECT_EQ(status.records_conflicting(), 1u);
  EXPECT_EQ(status.records_conflicting(), one_by_one.records_conflicting());
  EXPECT_EQ(status.records_refused(), 1u);
  EXPECT_EQ(status.records_refused(), one_by_one.records_refused());
  EXPECT_EQ(status.alerts_pending(), 2u);
  std::vector<Alert> alerts_one_by_one;
  ASSERT_TRUE(aggregator_->ReadChangedAlerts(100, &alerts_one_by_one).ok());
  ASSERT_EQ(alerts.size(), 2u);
  ASSERT_EQ(alerts_one_by_one.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(alerts[i].record_id(), alerts_one_by_one[i].record_id());
    EXPECT_EQ(alerts[i].withdrawn(), alerts_one_by_one[i].withdrawn());
  }
  EXPECT_TRUE(alerts[0].record_id() == "id1" && alerts[0].withdrawn());
  EXPECT_FALSE(alerts[1].withdrawn());
}

}  // namespace
}  // namespace sanji

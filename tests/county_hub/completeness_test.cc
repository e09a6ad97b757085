// Tests of county_hub/completeness.h: the rules of spec/interfaces.md
// "Completeness" alone, and the report the hub makes from what its cell store
// received (cells, activity and receipt times from an injected clock), before
// and after a reopen.
#include "county_hub/completeness.h"

#include <memory>
#include <string>
#include <vector>

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
constexpr char kOnTime[] = "640522100201";
constexpr char kNeverSynced[] = "640522100202";
constexpr char kLate[] = "640522100203";
constexpr char kUnlisted[] = "640522100204";
constexpr char kOrgs[] =
    "org_id,name\n"
    "640522,海原县\n"
    "640522100,海城镇\n"
    "640522100201,山门村\n"
    "640522100202,南坪村\n"
    "640522100203,武塬村\n";
constexpr char kHeader[] =
    "period,level,org_id,org_name,expected,reported,on_time,reporting_rate,"
    "timely_rate,last_record_at,last_sync_at\n";

int64_t At(const char* text) {
  int64_t s = 0;
  EXPECT_TRUE(ParseLocalSeconds(text, &s)) << text;
  return s;
}

Period MustPeriod(const char* text) {
  absl::StatusOr<Period> p = ParsePeriod(text);
  EXPECT_TRUE(p.ok()) << p.status();
  return *p;
}

Cell MakeCell(const std::string& village, const std::string& indicator,
              const std::string& period, int64_t value, uint64_t version) {
  Cell c;
  c.set_village_id(village);
  c.set_indicator(indicator);
  c.set_period(period);
  c.set_value(value);
  c.set_version(version);
  return c;
}

TEST(JudgeVillageTest, BeforeTheFirstRecordNothingIsExpected) {
  VillageFacts facts;
  facts.first_record_day = absl::CivilDay(2025, 7, 20);
  Judgement j = JudgeVillage(facts, MustPeriod("2025-06"));
  EXPECT_EQ(j.expected, 0);
  EXPECT_EQ(j.reported, 0);
  EXPECT_EQ(j.on_time, 0);
  // From the month of the first record on: all of July, and the year.
  EXPECT_EQ(JudgeVillage(facts, MustPeriod("2025-07-01")).expected, 1);
  EXPECT_EQ(JudgeVillage(facts, MustPeriod("2025")).expected, 1);
}

TEST(JudgeVillageTest, AListedVillageIsAlwaysExpected) {
  VillageFacts facts;
  facts.listed = true;
  Judgement j = JudgeVillage(facts, MustPeriod("2025-Q1"));
  EXPECT_EQ(j.expected, 1);
  EXPECT_EQ(j.reported, 0);
  EXPECT_EQ(j.on_time, 0);
}

TEST(JudgeVillageTest, ExpectedWithoutRecordsIsMissing) {
  VillageFacts facts;
  facts.first_record_day = absl::CivilDay(2025, 1, 3);
  facts.latest_arrival = At("2025-01-04T00:00:00");  // of other days
  Judgement j = JudgeVillage(facts, MustPeriod("2025-03"));
  EXPECT_EQ(j.expected, 1);
  EXPECT_EQ(j.reported, 0);
  EXPECT_EQ(j.on_time, 0);
}

TEST(JudgeVillageTest, OnTimeUntilTheEndOfTheTenthDayAfter) {
  VillageFacts facts;
  facts.first_record_day = absl::CivilDay(2025, 6, 2);
  facts.has_records = true;
  const Period june = MustPeriod("2025-06");
  facts.latest_arrival = At("2025-07-10T23:59:59");
  EXPECT_EQ(JudgeVillage(facts, june).on_time, 1);
  facts.latest_arrival = At("2025-07-11T00:00:00");
  Judgement late = JudgeVillage(facts, june);
  EXPECT_EQ(late.reported, 1);
  EXPECT_EQ(late.on_time, 0);
  facts.latest_arrival.reset();  // stored before receipt times were kept
  EXPECT_EQ(JudgeVillage(facts, june).on_time, 0);
}

TEST(FormatRateTest, TwoDecimalsRoundedHalfUpEmptyForNothingExpected) {
  EXPECT_EQ(FormatRate(2, 3), "66.67");
  EXPECT_EQ(FormatRate(1, 3), "33.33");
  EXPECT_EQ(FormatRate(3, 3), "100.00");
  EXPECT_EQ(FormatRate(0, 5), "0.00");
  EXPECT_EQ(FormatRate(1, 800), "0.13");  // 0.125 rounds up
  EXPECT_EQ(FormatRate(0, 0), "");
}

class CompletenessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    ASSERT_TRUE(orgs_.ParseNames("orgs.csv", kOrgs).ok());
    Reopen();
  }
  void Reopen() {
    completeness_.reset();
    cells_.reset();
    auto opened = CountyCellStore::Open(dir_.Sub("hub"), kCounty);
    ASSERT_TRUE(opened.ok()) << opened.status();
    cells_ = std::move(*opened);
    cells_->SetClockForTests([this] { return now_; });
    completeness_ = std::make_unique<Completeness>(
        kCounty, cells_->store(), cells_->cells(), cells_->activity(),
        cells_->arrivals(), &orgs_);
  }
  // Applies `cells` and `activity` as one batch arriving at `now`.
  void Receive(const char* now, std::vector<Cell> cells,
               std::vector<Cell> activity = {}) {
    now_ = At(now);
    CellBatch batch;
    batch.set_batch_id(1);
    for (Cell& c : cells) *batch.add_cells() = std::move(c);
    for (Cell& a : activity) *batch.add_activity() = std::move(a);
    absl::Status s = cells_->ApplyBatch(kTownship, batch);
    ASSERT_TRUE(s.ok()) << s;
  }
  std::string Csv(const std::string& period, const std::string& org = "") {
    absl::StatusOr<std::string> csv = completeness_->Render(period, org, "csv");
    EXPECT_TRUE(csv.ok()) << csv.status();
    return csv.ok() ? *csv : "";
  }
  // One on time, one listed that never synced, one late, one unlisted whose
  // first record is in July.
  void ReceiveCounty() {
    Receive("2025-06-05T12:00:00",
            {MakeCell(kOnTime, "outpatient_visits", "2025-06-03", 2, 1),
             MakeCell(kOnTime, "hypertension_managed", "2025-06", 1, 1)},
            {MakeCell(kOnTime, kLastRecordAt, "2025-06-03",
                      At("2025-06-03T10:00:00"), 1),
             MakeCell(kOnTime, kLastSyncAt, "", At("2025-06-04T08:00:00"), 1)});
    Receive("2025-07-11T00:00:00",
            {MakeCell(kLate, "referrals", "2025-06-20", 1, 2)},
            {MakeCell(kLate, kLastRecordAt, "2025-06-20",
                      At("2025-06-20T16:30:00"), 2),
             MakeCell(kLate, kLastSyncAt, "", At("2025-07-10T09:00:00"), 2)});
    Receive("2025-07-03T00:00:00",
            {MakeCell(kUnlisted, "outpatient_visits", "2025-07-02", 1, 3)});
  }

  TempDir dir_;
  OrgDirectory orgs_;
  int64_t now_ = 0;
  std::unique_ptr<CountyCellStore> cells_;
  std::unique_ptr<Completeness> completeness_;
};

TEST_F(CompletenessTest, OnTimeMissingLateAndNotYetExpected) {
  ReceiveCounty();
  const std::string want =
      std::string(kHeader) +
      "2025-06,county,640522,海原县,3,2,1,66.67,33.33,2025-06-20T16:30:00,"
      "2025-07-10T09:00:00\n"
      "2025-06,township,640522100,海城镇,3,2,1,66.67,33.33,"
      "2025-06-20T16:30:00,2025-07-10T09:00:00\n"
      "2025-06,village,640522100201,山门村,1,1,1,100.00,100.00,"
      "2025-06-03T10:00:00,2025-06-04T08:00:00\n"
      "2025-06,village,640522100202,南坪村,1,0,0,0.00,0.00,,\n"
      "2025-06,village,640522100203,武塬村,1,1,0,100.00,0.00,"
      "2025-06-20T16:30:00,2025-07-10T09:00:00\n"
      "2025-06,village,640522100204,,0,0,0,,,,\n";
  EXPECT_EQ(Csv("2025-06"), want);
  Reopen();  // everything above is in the store
  EXPECT_EQ(Csv("2025-06"), want);
}

TEST_F(CompletenessTest, AfterTheFirstRecordAVillageWithoutRecordsIsMissing) {
  ReceiveCounty();
  EXPECT_EQ(Csv("2025-08", kUnlisted),
            std::string(kHeader) +
                "2025-08,village,640522100204,,1,0,0,0.00,"
                "0.00,,\n");
}

TEST_F(CompletenessTest, ATownshipScopeListsItsVillagesOnly) {
  ReceiveCounty();
  EXPECT_EQ(Csv("2025-Q3", kTownship),
            std::string(kHeader) +
                "2025-Q3,township,640522100,海城镇,4,1,1,25.00,25.00,,"
                "2025-07-10T09:00:00\n"
                "2025-Q3,village,640522100201,山门村,1,0,0,0.00,0.00,,"
                "2025-06-04T08:00:00\n"
                "2025-Q3,village,640522100202,南坪村,1,0,0,0.00,0.00,,\n"
                "2025-Q3,village,640522100203,武塬村,1,0,0,0.00,0.00,,"
                "2025-07-10T09:00:00\n"
                "2025-Q3,village,640522100204,,1,1,1,100.00,100.00,,\n");
}

TEST_F(CompletenessTest, ANewerActivityMovesLastRecordAtBackAnOlderIsIgnored) {
  ReceiveCounty();
  // The 10:00 record was voided: the day's latest is now 08:15.
  Receive("2025-06-06T00:00:00", {},
          {MakeCell(kOnTime, kLastRecordAt, "2025-06-03",
                    At("2025-06-03T08:15:00"), 4)});
  // A stale resend of the first value changes nothing.
  Receive("2025-06-07T00:00:00", {},
          {MakeCell(kOnTime, kLastRecordAt, "2025-06-03",
                    At("2025-06-03T10:00:00"), 1)});
  EXPECT_EQ(Csv("2025-06", kOnTime),
            std::string(kHeader) +
                "2025-06,village,640522100201,山门村,1,1,1,100.00,100.00,"
                "2025-06-03T08:15:00,2025-06-04T08:00:00\n");
}

TEST_F(CompletenessTest, AResentCellIsNoNewArrival) {
  ReceiveCounty();
  // The township sends the on-time village's cell again, long after: the
  // county already has that version, so the data did not arrive late.
  Receive("2025-09-01T00:00:00",
          {MakeCell(kOnTime, "outpatient_visits", "2025-06-03", 2, 1)});
  // A changed value that late is late data.
  Receive("2025-09-02T00:00:00",
          {MakeCell(kOnTime, "outpatient_visits", "2025-06-03", 2, 1),
           MakeCell(kLate, "referrals", "2025-06-20", 1, 2)});
  const std::string csv = Csv("2025-06", kOnTime);
  EXPECT_NE(csv.find(",1,1,1,100.00,100.00,"), std::string::npos) << csv;
  Receive("2025-09-03T00:00:00",
          {MakeCell(kOnTime, "outpatient_visits", "2025-06-03", 3, 5)});
  const std::string late = Csv("2025-06", kOnTime);
  EXPECT_NE(late.find(",1,1,0,100.00,0.00,"), std::string::npos) << late;
}

TEST_F(CompletenessTest, BadInputSaysWhatToDo) {
  EXPECT_EQ(completeness_->Render("2025-13", "", "csv").status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status org = completeness_->Render("2025", "640523100", "csv").status();
  EXPECT_EQ(org.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(org.message().find("not an organisation of county 640522"),
            std::string::npos);
  EXPECT_EQ(completeness_->Render("2025", "", "xml").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CompletenessTest, JsonHasTheCsvKeys) {
  ReceiveCounty();
  absl::StatusOr<std::string> json =
      completeness_->Render("2025-06", kNeverSynced, "json");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json,
            "[\n  {\"period\":\"2025-06\",\"level\":\"village\",\"org_id\":"
            "\"640522100202\",\"org_name\":\"南坪村\",\"expected\":1,"
            "\"reported\":0,\"on_time\":0,\"reporting_rate\":\"0.00\","
            "\"timely_rate\":\"0.00\",\"last_record_at\":null,"
            "\"last_sync_at\":null}\n]\n");
}

TEST(CompletenessOldStoreTest, AStoreFromBeforeReceiptTimesOpensItsCellsLate) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  {
    // What a hub of protocol 1 left: cells and alerts only.
    StoreOptions old = hub_layout::Options(kCounty);
    old.column_families = {hub_layout::kCells, hub_layout::kAlerts};
    auto store = Store::Open(dir.Sub("hub"), old);
    ASSERT_TRUE(store.ok()) << store.status();
    rocksdb::WriteBatch batch;
    batch.Put((*store)->Family(hub_layout::kCells),
              EncodeCellKey(kOnTime, "outpatient_visits", "2025-06-03"),
              EncodeCellValue(CellValue{2, 1}));
    ASSERT_TRUE((*store)->Write(&batch).ok());
  }
  auto cells = CountyCellStore::Open(dir.Sub("hub"), kCounty);
  ASSERT_TRUE(cells.ok()) << cells.status();
  Completeness completeness(kCounty, (*cells)->store(), (*cells)->cells(),
                            (*cells)->activity(), (*cells)->arrivals(),
                            nullptr);
  absl::StatusOr<std::string> csv = completeness.Render("2025-06", "", "csv");
  ASSERT_TRUE(csv.ok()) << csv.status();
  // Reported, but when it arrived is unknown: not counted on time.
  EXPECT_EQ(*csv, std::string(kHeader) +
                      "2025-06,county,640522,,1,1,0,100.00,0.00,,\n"
                      "2025-06,township,640522100,,1,1,0,100.00,0.00,,\n"
                      "2025-06,village,640522100201,,1,1,0,100.00,0.00,,\n");
}

TEST_F(CompletenessTest, ActivityOfAnotherTownshipsVillageIsRefused) {
  CellBatch batch;
  *batch.add_activity() =
      MakeCell("640522101201", kLastSyncAt, "", At("2025-06-01T00:00:00"), 1);
  EXPECT_EQ(cells_->ApplyBatch(kTownship, batch).code(),
            absl::StatusCode::kPermissionDenied);
  CellBatch bad_period;
  *bad_period.add_activity() =
      MakeCell(kOnTime, kLastRecordAt, "2025-06", 1, 1);
  EXPECT_EQ(cells_->ApplyBatch(kTownship, bad_period).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sanji

#include "county_hub/report_engine.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/catalogue.h"
#include "common/rollup_layout.h"
#include "county_hub/hub_layout.h"
#include "county_hub/period_totals.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "rocksdb/write_batch.h"

namespace sanji {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kCounty[] = "640522";
constexpr char kTownA[] = "640522100";
constexpr char kTownB[] = "640522101";
constexpr char kTownNamed[] = "640522102";  // only in the orgs file
constexpr char kV1[] = "640522100201";
constexpr char kV2[] = "640522100202";
constexpr char kV3[] = "640522101201";
constexpr char kVNamed[] = "640522101299";  // only in the orgs file
constexpr char kOtherCounty[] = "640523100201";

// Every test runs twice: over a store whose period index
// (county_hub/period_totals.h) is built and kept as CountyCellStore keeps it
// (GetParam() true), and over one without it, where every period is summed
// from the day cells. Both must give the same rows.
class ReportEngineTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/report_engine_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open(dir_, hub_layout::Options(kCounty));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    cells_ = store_->Family(hub_layout::kCells);
    ASSERT_NE(cells_, nullptr);
    totals_ = store_->Family(hub_layout::kTotals);
    ASSERT_NE(totals_, nullptr);
    if (GetParam()) {
      rocksdb::WriteBatch built;
      built.Put(totals_, period_totals::kBuiltKey, "");
      ASSERT_TRUE(store_->Write(&built).ok());
    }
    engine_ =
        std::make_unique<ReportEngine>(kCounty, store_.get(), cells_, &orgs_);
  }

  void TearDown() override {
    engine_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Put(const std::string& village, const std::string& indicator,
           const std::string& period, int64_t value) {
    rocksdb::WriteBatch batch;
    const std::string key = EncodeCellKey(village, indicator, period);
    if (GetParam()) {
      // The index's change, as CountyCellStore::ApplyBatch stages it.
      absl::StatusOr<std::optional<std::string>> old = store_->Get(cells_, key);
      ASSERT_TRUE(old.ok()) << old.status();
      CellValue before;
      if (old->has_value()) {
        ASSERT_TRUE(DecodeCellValue(**old, &before));
      }
      period_totals::Changes changes;
      changes.Add(village, indicator, period, before.value, value);
      ASSERT_TRUE(changes
                      .Stage(*store_, totals_,
                             period_totals::Changes::Base::kStored, &batch)
                      .ok());
    }
    batch.Put(cells_, key, EncodeCellValue(CellValue{value, 1}));
    ASSERT_TRUE(store_->Write(&batch).ok());
  }

  void LoadNames() {
    ASSERT_TRUE(orgs_
                    .ParseNames("orgs.csv",
                                "org_id,name\n"
                                "640522,海原县\n"
                                "640522100,\"红星乡,东片\"\n"
                                "640522101,关桥乡\n"
                                "640522102,新乡\n"
                                "640522100201,\"说\"\"好\"\"村\"\n"
                                "640522101299,空村\n"
                                "640523100201,外县村\n")
                    .ok());
  }

  // Every row of the report: the scope's and each level's down to `level`.
  absl::StatusOr<std::vector<ReportRow>> QueryAll(
      const std::string& period, const std::string& level = "county",
      const std::string& org = "",
      const std::vector<std::string>& indicators = {}) {
    ReportQuery q;
    q.period = period;
    q.level = level;
    q.org = org;
    q.indicators = indicators;
    return engine_->Rows(q);
  }
  // The rows of the deepest level only.
  absl::StatusOr<std::vector<ReportRow>> Query(
      const std::string& period, const std::string& level = "county",
      const std::string& org = "",
      const std::vector<std::string>& indicators = {}) {
    absl::StatusOr<std::vector<ReportRow>> rows =
        QueryAll(period, level, org, indicators);
    if (!rows.ok()) return rows;
    std::vector<ReportRow> deepest;
    for (ReportRow& r : *rows) {
      if (r.level == (level.empty() ? "county" : level)) {
        deepest.push_back(std::move(r));
      }
    }
    return deepest;
  }

  // The value of one (org, indicator) row; "<none>" when there is no row.
  static std::string Value(const std::vector<ReportRow>& rows,
                           const std::string& org,
                           const std::string& indicator) {
    std::string found = "<none>";
    for (const ReportRow& r : rows) {
      if (r.org_id == org && r.indicator == indicator) {
        EXPECT_EQ(found, "<none>")
            << "duplicate row " << org << " " << indicator;
        found = r.value;
      }
    }
    return found;
  }

  // The one value of a one-village, one-indicator report.
  std::string VillageValue(const std::string& village,
                           const std::string& indicator,
                           const std::string& period) {
    absl::StatusOr<std::vector<ReportRow>> rows =
        Query(period, "village", village, {indicator});
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok()) return "<error>";
    EXPECT_EQ(rows->size(), 1u) << period;
    if (rows->size() != 1) return "<rows>";
    return (*rows)[0].value;
  }

  static std::vector<std::string> Orgs(const std::vector<ReportRow>& rows) {
    std::vector<std::string> out;
    for (const ReportRow& r : rows) {
      if (out.empty() || out.back() != r.org_id) out.push_back(r.org_id);
    }
    return out;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  rocksdb::ColumnFamilyHandle* cells_ = nullptr;
  rocksdb::ColumnFamilyHandle* totals_ = nullptr;
  OrgDirectory orgs_;
  std::unique_ptr<ReportEngine> engine_;
};

TEST_P(ReportEngineTest, CountsSumDayCellsOverAnyPeriod) {
  Put(kV1, "outpatient_visits", "2024-12-31", 100);
  Put(kV1, "outpatient_visits", "2025-01-31", 2);
  Put(kV1, "outpatient_visits", "2025-02-01", 3);
  Put(kV1, "outpatient_visits", "2025-03-31", 1);
  Put(kV1, "outpatient_visits", "2025-04-01", 10);
  Put(kV1, "outpatient_visits", "2025-12-31", 20);
  Put(kV1, "outpatient_visits", "2026-01-01", 1000);
  // Count indicators have only day cells; anything else is not read.
  Put(kV1, "outpatient_visits", "2025-02", 5000);
  // Neighbouring indicators and villages do not leak in.
  Put(kV1, "outpatient_cost_yuan", "2025-01-31", 777);
  Put(kV2, "outpatient_visits", "2025-01-31", 40000);

  EXPECT_EQ(VillageValue(kV1, "outpatient_visits", "2025-01"), "2");
  EXPECT_EQ(VillageValue(kV1, "outpatient_visits", "2025-02"), "3");
  EXPECT_EQ(VillageValue(kV1, "outpatient_visits", "2025-Q1"), "6");
  EXPECT_EQ(VillageValue(kV1, "outpatient_visits", "2025-Q2"), "10");
  EXPECT_EQ(VillageValue(kV1, "outpatient_visits", "2025-H1"), "16");
  EXPECT_EQ(VillageValue(kV1, "outpatient_visits", "2025-H2"), "20");
  EXPECT_EQ(VillageValue(kV1, "outpatient_visits", "2025"), "36");
  EXPECT_EQ(VillageValue(kV1, "outpatient_visits", "2025-01-31"), "2");
  EXPECT_EQ(VillageValue(kV1, "outpatient_visits", "2025-01-30"), "0");
  EXPECT_EQ(VillageValue(kV1, "outpatient_visits", "2025-01-31..2025-02-01"),
            "5");
  EXPECT_EQ(VillageValue(kV1, "outpatient_visits", "2025-02-01..2025-03-31"),
            "4");
  EXPECT_EQ(VillageValue(kV1, "outpatient_visits", "2024-12-31..2025-01-31"),
            "102");
  EXPECT_EQ(VillageValue(kV1, "outpatient_visits", "2025-12-31..2026-01-01"),
            "1020");
  EXPECT_EQ(VillageValue(kV1, "outpatient_visits", "2025-02-02..2025-03-30"),
            "0");

  // The township and county add up their villages.
  absl::StatusOr<std::vector<ReportRow>> rows =
      Query("2025-01", "township", "", {"outpatient_visits"});
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(Value(*rows, kTownA, "outpatient_visits"), "40002");
  rows = Query("2025", "county", "", {"outpatient_visits"});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(Value(*rows, kCounty, "outpatient_visits"), "40036");
}

TEST_P(ReportEngineTest, DistinctReadsTheExactPeriodCell) {
  Put(kV1, "hypertension_managed", "2025", 7);
  Put(kV1, "hypertension_managed", "2025-H1", 5);
  Put(kV1, "hypertension_managed", "2025-Q3", 4);
  Put(kV1, "hypertension_managed", "2025-07", 3);
  Put(kV1, "hypertension_managed", "2025-07-14", 1);
  Put(kV1, "hypertension_managed", "2025-07-15", 1);
  Put(kV2, "hypertension_managed", "2025-07", 2);

  EXPECT_EQ(VillageValue(kV1, "hypertension_managed", "2025"), "7");
  EXPECT_EQ(VillageValue(kV1, "hypertension_managed", "2025-H1"), "5");
  EXPECT_EQ(VillageValue(kV1, "hypertension_managed", "2025-H2"), "0");
  EXPECT_EQ(VillageValue(kV1, "hypertension_managed", "2025-Q3"), "4");
  EXPECT_EQ(VillageValue(kV1, "hypertension_managed", "2025-07"), "3");
  EXPECT_EQ(VillageValue(kV1, "hypertension_managed", "2025-07-14"), "1");
  EXPECT_EQ(VillageValue(kV1, "hypertension_managed", "2025-08"), "0");

  absl::StatusOr<std::vector<ReportRow>> rows =
      Query("2025-07", "township", kTownA, {"hypertension_managed"});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(Value(*rows, kTownA, "hypertension_managed"), "5");

  rows =
      Query("2025-07-01..2025-07-31", "village", kV1, {"hypertension_managed"});
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(rows.status().message(),
              HasSubstr("distinct indicators need a calendar period: "
                        "hypertension_managed"));
  rows = Query("2025-07-01..2025-07-31", "village", kV1,
               {"hypertension_control_rate"});
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(rows.status().message(),
              HasSubstr("rates need a calendar period"));
}

TEST_P(ReportEngineTest, ZeroRowsForQuietOrgsAndBreakdownsOnlyWhereNonZero) {
  LoadNames();
  Put(kV1, "infectious_disease_reports", "2025-07-03", 3);
  Put(kV1, "infectious_disease_reports.measles", "2025-07-03", 2);
  Put(kV1, "infectious_disease_reports.influenza", "2025-07-03", 1);
  Put(kV1, "referrals", "2025-07-04", 1);
  Put(kV1, "referrals.county", "2025-07-04", 1);
  Put(kV1, "referrals.township", "2025-07-05", 0);  // voided
  Put(kV1, "referrals.outside", "2025-06-30", 4);   // another month
  Put(kV2, "outpatient_visits", "2024-03-01", 9);   // seen, quiet in July

  absl::StatusOr<std::vector<ReportRow>> rows =
      Query("2025-07", "village", kTownA);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(Orgs(*rows), ElementsAre(kV1, kV2));

  // Every indicator, catalogue order, breakdowns right after their parent.
  std::vector<std::string> expected;
  for (const IndicatorDef& d : Indicators()) {
    expected.emplace_back(d.code);
    if (d.code == "infectious_disease_reports") {
      expected.push_back("infectious_disease_reports.influenza");
      expected.push_back("infectious_disease_reports.measles");
    }
    if (d.code == "referrals") expected.push_back("referrals.county");
  }
  std::vector<std::string> v1_codes, v2_codes;
  for (const ReportRow& r : *rows) {
    (r.org_id == kV1 ? v1_codes : v2_codes).push_back(r.indicator);
    EXPECT_EQ(r.period, "2025-07");
    EXPECT_EQ(r.level, "village");
  }
  EXPECT_EQ(v1_codes, expected);
  EXPECT_EQ(v2_codes.size(), Indicators().size());

  EXPECT_EQ(Value(*rows, kV1, "infectious_disease_reports.measles"), "2");
  EXPECT_EQ(Value(*rows, kV1, "referrals.county"), "1");
  EXPECT_EQ(Value(*rows, kV1, "referrals.township"), "<none>");
  EXPECT_EQ(Value(*rows, kV1, "referrals.outside"), "<none>");
  EXPECT_EQ(Value(*rows, kV2, "infectious_disease_reports"), "0");
  EXPECT_EQ(Value(*rows, kV2, "outpatient_visits"), "0");
  EXPECT_EQ(Value(*rows, kV2, "outpatient_cost_yuan"), "0.00");
  EXPECT_EQ(Value(*rows, kV2, "outpatient_cost_avg_yuan"), "");
  EXPECT_EQ(Value(*rows, kV2, "hypertension_managed"), "0");
  EXPECT_EQ(Value(*rows, kV2, "hypertension_control_rate"), "");
  EXPECT_EQ(Value(*rows, kV2, "family_doctor_sign_rate"), "");
  for (const ReportRow& r : *rows) {
    if (r.indicator == "infectious_disease_reports.measles") {
      EXPECT_EQ(r.name_zh, "麻疹报告例数");
      EXPECT_EQ(r.org_name, "说\"好\"村");
    }
  }

  // A village known only from the orgs file gets zero rows.
  rows = Query("2025-07", "village", kTownB);
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(Orgs(*rows), ElementsAre(kVNamed));
  EXPECT_EQ(Value(*rows, kVNamed, "outpatient_visits"), "0");

  // Naming a parent shows only it; naming a breakdown code shows it where
  // non-zero only.
  rows = Query("2025-07", "village", kTownA, {"referrals"});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(Value(*rows, kV1, "referrals"), "1");
  EXPECT_EQ(Value(*rows, kV2, "referrals"), "0");
  rows = Query("2025-07", "village", kTownA,
               {"referrals.county", "referrals.township"});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].org_id, kV1);
  EXPECT_EQ((*rows)[0].indicator, "referrals.county");
  EXPECT_EQ((*rows)[0].name_zh, "转往县级医院人次") << "from the vocabulary";
  rows = Query("2025-06-01..2025-07-31", "county", "", {"referrals.outside"});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(Value(*rows, kCounty, "referrals.outside"), "4");

  // A range of days: counts, sums and averages only.
  rows = Query("2025-07-01..2025-07-03", "county");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(Value(*rows, kCounty, "infectious_disease_reports"), "3");
  EXPECT_EQ(Value(*rows, kCounty, "infectious_disease_reports.measles"), "2");
  EXPECT_EQ(Value(*rows, kCounty, "outpatient_cost_avg_yuan"), "");
  EXPECT_EQ(Value(*rows, kCounty, "referrals"), "0");
  EXPECT_EQ(Value(*rows, kCounty, "hypertension_managed"), "<none>");
  EXPECT_EQ(Value(*rows, kCounty, "death_rate_permille"), "<none>");
  for (const ReportRow& r : *rows) {
    EXPECT_EQ(r.period, "2025-07-01..2025-07-03");
  }
}

TEST_P(ReportEngineTest, YuanAndAverages) {
  Put(kV1, "outpatient_cost_yuan", "2025-03-01", 123456);
  Put(kV2, "outpatient_cost_yuan", "2025-03-01", 5);
  Put(kV1, "inpatient_cost_yuan", "2025-03-02", 100);
  EXPECT_EQ(VillageValue(kV1, "outpatient_cost_yuan", "2025-03"), "1234.56");
  EXPECT_EQ(VillageValue(kV2, "outpatient_cost_yuan", "2025-03"), "0.05");
  EXPECT_EQ(VillageValue(kV1, "inpatient_cost_yuan", "2025-03"), "1.00");
  EXPECT_EQ(VillageValue(kV2, "inpatient_cost_yuan", "2025-03"), "0.00");

  // July: 1000 fen / 3 visits, 2000 / 3, 1 / 2 (0.005 rounds up).
  Put(kV1, "outpatient_cost_yuan", "2025-07-01", 600);
  Put(kV1, "outpatient_cost_yuan", "2025-07-31", 400);
  Put(kV1, "outpatient_visits", "2025-07-01", 1);
  Put(kV1, "outpatient_visits", "2025-07-02", 2);
  Put(kV2, "outpatient_cost_yuan", "2025-07-10", 2000);
  Put(kV2, "outpatient_visits", "2025-07-10", 3);
  Put(kV3, "outpatient_cost_yuan", "2025-07-10", 1);
  Put(kV3, "outpatient_visits", "2025-07-10", 2);
  EXPECT_EQ(VillageValue(kV1, "outpatient_cost_avg_yuan", "2025-07"), "3.33");
  EXPECT_EQ(VillageValue(kV2, "outpatient_cost_avg_yuan", "2025-07"), "6.67");
  EXPECT_EQ(VillageValue(kV3, "outpatient_cost_avg_yuan", "2025-07"), "0.01");
  EXPECT_EQ(
      VillageValue(kV1, "outpatient_cost_avg_yuan", "2025-07-01..2025-07-02"),
      "2.00");
  // No visits: empty, even with a cost.
  EXPECT_EQ(VillageValue(kV2, "outpatient_cost_avg_yuan", "2025-03"), "");

  absl::StatusOr<std::vector<ReportRow>> rows =
      Query("2025-07", "township", "", {"outpatient_cost_avg_yuan"});
  ASSERT_TRUE(rows.ok());
  // Sum over sum: 3000 / 6 (the average of 3.33 and 6.67 would be 5.00 too,
  // so the county checks the difference): 3001 / 8 = 375.125 fen.
  EXPECT_EQ(Value(*rows, kTownA, "outpatient_cost_avg_yuan"), "5.00");
  EXPECT_EQ(Value(*rows, kTownB, "outpatient_cost_avg_yuan"), "0.01");
  rows = Query("2025-07", "county", "", {"outpatient_cost_avg_yuan"});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(Value(*rows, kCounty, "outpatient_cost_avg_yuan"), "3.75");
  rows = Query("2025-07", "county", "", {"outpatient_cost_yuan"});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(Value(*rows, kCounty, "outpatient_cost_yuan"), "30.01");
}

TEST_P(ReportEngineTest, RatesAreSumOverSumAtEveryLevel) {
  ASSERT_TRUE(
      orgs_
          .ParsePopulation("pop.csv",
                           "org_id,year,residents,children_0_6,elderly_65plus,"
                           "health_records_on_file\n"
                           "640522100201,2025,1000,80,150,600\n"
                           "640522100202,2025,3000,0,400,2500\n"
                           "640522100201,2024,10,10,10,10\n")
          .ok());
  // Cell denominators.
  Put(kV1, "hypertension_managed", "2025-Q3", 3);
  Put(kV1, "hypertension_standardized", "2025-Q3", 1);
  Put(kV2, "hypertension_managed", "2025-Q3", 6);
  Put(kV2, "hypertension_standardized", "2025-Q3", 4);
  Put(kV3, "hypertension_standardized", "2025-Q3", 0);
  // Population denominators.
  Put(kV1, "family_doctor_signed", "2025", 123);
  Put(kV2, "family_doctor_signed", "2025", 1);
  Put(kV3, "family_doctor_signed", "2025", 50);  // no population row
  Put(kV1, "children_managed", "2025", 40);
  Put(kV2, "children_managed", "2025", 7);
  Put(kV1, "death_reports", "2025-02-01", 2);
  Put(kV1, "death_reports", "2025-11-30", 1);
  Put(kV2, "death_reports", "2025-05-05", 1);
  // health_record_rate: on file at Jan 1 plus created since.
  Put(kV1, "health_records_created", "2024-12-31", 1000);
  Put(kV1, "health_records_created", "2025-01-15", 10);
  Put(kV1, "health_records_created", "2025-06-30", 5);
  Put(kV1, "health_records_created", "2025-07-01", 7);
  Put(kV1, "health_records_created", "2025-08-01", 100);

  EXPECT_EQ(VillageValue(kV1, "hypertension_standardized_rate", "2025-Q3"),
            "33.33");
  EXPECT_EQ(VillageValue(kV2, "hypertension_standardized_rate", "2025-Q3"),
            "66.67");
  EXPECT_EQ(VillageValue(kV3, "hypertension_standardized_rate", "2025-Q3"), "");
  EXPECT_EQ(VillageValue(kV1, "family_doctor_sign_rate", "2025"), "12.30");
  EXPECT_EQ(VillageValue(kV2, "family_doctor_sign_rate", "2025"), "0.03");
  EXPECT_EQ(VillageValue(kV3, "family_doctor_sign_rate", "2025"), "");
  EXPECT_EQ(VillageValue(kV1, "child_management_rate", "2025"), "50.00");
  EXPECT_EQ(VillageValue(kV2, "child_management_rate", "2025"), "");
  EXPECT_EQ(VillageValue(kV1, "death_rate_permille", "2025"), "3.00");
  EXPECT_EQ(VillageValue(kV2, "death_rate_permille", "2025"), "0.33");
  EXPECT_EQ(VillageValue(kV1, "death_rate_permille", "2025-H1"), "2.00");
  // 2024's row: 0 deaths over 10 residents.
  EXPECT_EQ(VillageValue(kV1, "death_rate_permille", "2024"), "0.00");
  EXPECT_EQ(VillageValue(kV1, "health_record_rate", "2025-07"), "62.20");
  EXPECT_EQ(VillageValue(kV1, "health_record_rate", "2025-H1"), "61.50");
  EXPECT_EQ(VillageValue(kV1, "health_record_rate", "2025-06-30"), "61.50");
  EXPECT_EQ(VillageValue(kV1, "health_record_rate", "2025"), "72.20");
  EXPECT_EQ(VillageValue(kV1, "health_record_rate", "2024"), "10100.00");
  EXPECT_EQ(VillageValue(kV1, "health_records_created", "2025-07"), "7");

  absl::StatusOr<std::vector<ReportRow>> rows =
      Query("2025-Q3", "township", "",
            {"hypertension_standardized_rate", "health_record_rate"});
  ASSERT_TRUE(rows.ok()) << rows.status();
  // 5 / 9, not the average of 33.33 and 66.67.
  EXPECT_EQ(Value(*rows, kTownA, "hypertension_standardized_rate"), "55.56");
  EXPECT_EQ(Value(*rows, kTownB, "hypertension_standardized_rate"), "");
  // (600 + 122 + 2500) / 4000.
  EXPECT_EQ(Value(*rows, kTownA, "health_record_rate"), "80.55");
  EXPECT_EQ(Value(*rows, kTownB, "health_record_rate"), "");

  rows = Query("2025", "county", "",
               {"family_doctor_sign_rate", "child_management_rate",
                "death_rate_permille", "family_doctor_signed"});
  ASSERT_TRUE(rows.ok());
  // 124 / 4000: the village without a population row is in neither sum.
  EXPECT_EQ(Value(*rows, kCounty, "family_doctor_sign_rate"), "3.10");
  EXPECT_EQ(Value(*rows, kCounty, "family_doctor_signed"), "174");
  // 47 / 80.
  EXPECT_EQ(Value(*rows, kCounty, "child_management_rate"), "58.75");
  // 4 / 4000 x 1000.
  EXPECT_EQ(Value(*rows, kCounty, "death_rate_permille"), "1.00");
  // In catalogue order, whatever order they were asked in.
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[0].indicator, "family_doctor_signed");
  EXPECT_EQ((*rows)[1].indicator, "child_management_rate");
  EXPECT_EQ((*rows)[2].indicator, "family_doctor_sign_rate");
  EXPECT_EQ((*rows)[3].indicator, "death_rate_permille");
}

TEST_P(ReportEngineTest, LevelsOrgsAndOrder) {
  LoadNames();
  Put(kV3, "vaccination_doses", "2025-05-01", 4);
  Put(kV1, "vaccination_doses", "2025-05-02", 1);
  Put(kV2, "vaccination_doses", "2025-05-03", 2);
  Put(kOtherCounty, "vaccination_doses", "2025-05-01", 1000);
  Put("640522100301", "vaccination_doses", "2025-05-09", 8);

  absl::StatusOr<std::vector<ReportRow>> rows =
      Query("2025-05", "county", "", {"vaccination_doses"});
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].level, "county");
  EXPECT_EQ((*rows)[0].org_id, kCounty);
  EXPECT_EQ((*rows)[0].org_name, "海原县");
  EXPECT_EQ((*rows)[0].name_zh, "预防接种剂次");
  EXPECT_EQ((*rows)[0].value, "15");
  rows = Query("2025-05", "county", kCounty, {"vaccination_doses"});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(Value(*rows, kCounty, "vaccination_doses"), "15");

  rows = Query("2025-05", "township", "", {"vaccination_doses"});
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(Orgs(*rows), ElementsAre(kTownA, kTownB, kTownNamed));
  EXPECT_EQ(Value(*rows, kTownA, "vaccination_doses"), "11");
  EXPECT_EQ(Value(*rows, kTownB, "vaccination_doses"), "4");
  EXPECT_EQ(Value(*rows, kTownNamed, "vaccination_doses"), "0");
  EXPECT_EQ((*rows)[0].org_name, "红星乡,东片");
  EXPECT_EQ((*rows)[2].org_name, "新乡");
  for (const ReportRow& r : *rows) EXPECT_EQ(r.level, "township");

  rows = Query("2025-05", "township", kTownB, {"vaccination_doses"});
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(Orgs(*rows), ElementsAre(kTownB));

  rows = Query("2025-05", "village", "", {"vaccination_doses"});
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(Orgs(*rows), ElementsAre(kV1, kV2, "640522100301", kV3, kVNamed));
  EXPECT_EQ(Value(*rows, "640522100301", "vaccination_doses"), "8");

  rows = Query("2025-05", "village", kTownB, {"vaccination_doses"});
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(Orgs(*rows), ElementsAre(kV3, kVNamed));
  rows = Query("2025-05", "village", kV2, {"vaccination_doses"});
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(Orgs(*rows), ElementsAre(kV2));
  EXPECT_EQ((*rows)[0].value, "2");
  EXPECT_EQ((*rows)[0].org_name, "");
  // A well-formed village of the county with nothing anywhere: zeros.
  rows = Query("2025-05", "village", "640522101777", {"vaccination_doses"});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(Value(*rows, "640522101777", "vaccination_doses"), "0");

  // Bad combinations.
  rows = Query("2025-05", "township", kV1);
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(rows.status().message(), HasSubstr("is a village"));
  rows = Query("2025-05", "county", kTownA);
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  rows = Query("2025-05", "township", "640523100");
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(rows.status().message(), HasSubstr("640522"));
  rows = Query("2025-05", "village", "6405221002");
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  rows = Query("2025-05", "province");
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(rows.status().message(), HasSubstr("county, township, village"));
  rows = Query("2025-13");
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  rows = Query(
      "2025", "county", "",
      {"outpatient_visits", "bogus", "x.y", "infectious_disease_reports.nope"});
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(rows.status().message(),
              HasSubstr("unknown indicators: bogus, x.y, "
                        "infectious_disease_reports.nope"));
}

TEST_P(ReportEngineTest, RendersCsvAndJson) {
  LoadNames();
  Put(kV1, "outpatient_visits", "2025-07-01", 3);
  Put(kV1, "outpatient_cost_yuan", "2025-07-01", 1000);
  Put(kV2, "referrals.county", "2025-07-02", 1);

  ReportQuery q;
  q.period = "2025-07";
  q.level = "village";
  q.org = kTownA;
  q.indicators = {"outpatient_cost_avg_yuan", "outpatient_visits",
                  "referrals.county"};
  absl::StatusOr<std::string> csv = engine_->Render(q);
  ASSERT_TRUE(csv.ok()) << csv.status();
  EXPECT_EQ(*csv,
            "period,level,org_id,org_name,indicator,name_zh,value\n"
            "2025-07,township,640522100,\"红星乡,东片\",outpatient_visits,"
            "门急诊人次,3\n"
            "2025-07,township,640522100,\"红星乡,东片\","
            "outpatient_cost_avg_yuan,门诊次均费用(元),3.33\n"
            "2025-07,township,640522100,\"红星乡,东片\",referrals.county,"
            "转往县级医院人次,1\n"
            "2025-07,village,640522100201,\"说\"\"好\"\"村\",outpatient_visits,"
            "门急诊人次,3\n"
            "2025-07,village,640522100201,\"说\"\"好\"\"村\","
            "outpatient_cost_avg_yuan,门诊次均费用(元),3.33\n"
            "2025-07,village,640522100202,,outpatient_visits,门急诊人次,0\n"
            "2025-07,village,640522100202,,outpatient_cost_avg_yuan,"
            "门诊次均费用(元),\n"
            "2025-07,village,640522100202,,referrals.county,转往县级医院人次,"
            "1\n");

  q.level = "township";
  q.indicators = {"outpatient_visits"};
  csv = engine_->Render(q);
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(*csv,
            "period,level,org_id,org_name,indicator,name_zh,value\n"
            "2025-07,township,640522100,\"红星乡,东片\",outpatient_visits,"
            "门急诊人次,3\n");

  q.level = "village";
  q.format = "json";
  q.indicators = {"outpatient_cost_avg_yuan", "outpatient_visits"};
  absl::StatusOr<std::string> json = engine_->Render(q);
  ASSERT_TRUE(json.ok()) << json.status();
  nlohmann::json parsed = nlohmann::json::parse(*json, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << *json;
  ASSERT_TRUE(parsed.is_array());
  ASSERT_EQ(parsed.size(), 6u);  // the township's 2 rows, its villages' 4
  EXPECT_EQ(parsed[0]["level"], "township");
  EXPECT_EQ(parsed[2], nlohmann::json({{"period", "2025-07"},
                                       {"level", "village"},
                                       {"org_id", "640522100201"},
                                       {"org_name", "说\"好\"村"},
                                       {"indicator", "outpatient_visits"},
                                       {"name_zh", "门急诊人次"},
                                       {"value", "3"}}));
  EXPECT_EQ(parsed[3]["value"], "3.33");
  EXPECT_TRUE(parsed[5]["value"].is_null());
  EXPECT_EQ(parsed[5]["org_name"], "");
  // One object per line, keys in column order.
  EXPECT_EQ(json->substr(0, 2), "[\n");
  EXPECT_THAT(*json, HasSubstr("\n  {\"period\":\"2025-07\",\"level\":"));
  EXPECT_EQ(json->substr(json->size() - 4), "}\n]\n");

  q.org = kTownNamed;  // no villages at all, and a code shown only non-zero
  q.indicators = {"referrals.county"};
  json = engine_->Render(q);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, "[]\n");
  q.format = "csv";
  csv = engine_->Render(q);
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(*csv, "period,level,org_id,org_name,indicator,name_zh,value\n");

  q.format = "md";
  EXPECT_EQ(engine_->Render(q).value_or("<error>"), "");
  q.format = "pdf";
  EXPECT_EQ(engine_->Render(q).status(),
            absl::InvalidArgumentError("format 'pdf' is not one of csv, json, "
                                       "md, xlsx, dhis2, adx, fhir"));
}

// A rate's row carries the summed numerator and denominator it comes from
// (for FHIR's population counts); other rows carry none. Each row says its
// unit.
TEST_P(ReportEngineTest, RateRowsCarryTheirNumeratorAndDenominator) {
  ASSERT_TRUE(orgs_
                  .ParsePopulation("population.csv",
                                   "org_id,year,residents,children_0_6,"
                                   "elderly_65plus,health_records_on_file\n"
                                   "640522100201,2025,1000,50,100,700\n"
                                   "640522100202,2025,2000,0,0,0\n")
                  .ok());
  Put(kV1, "hypertension_managed", "2025", 3);
  Put(kV1, "hypertension_controlled", "2025", 2);
  Put(kV2, "hypertension_managed", "2025", 1);
  Put(kV1, "death_reports", "2025-03-01", 3);
  Put(kV1, "outpatient_cost_yuan", "2025-03-01", 1234);
  absl::StatusOr<std::vector<ReportRow>> rows = QueryAll(
      "2025", "village", kTownA,
      {"outpatient_cost_yuan", "hypertension_control_rate",
       "death_rate_permille", "child_management_rate", "outpatient_visits"});
  ASSERT_TRUE(rows.ok()) << rows.status();
  auto row = [&](const std::string& org,
                 const std::string& code) -> const ReportRow& {
    static const ReportRow none;
    for (const ReportRow& r : *rows) {
      if (r.org_id == org && r.indicator == code) return r;
    }
    ADD_FAILURE() << org << " " << code;
    return none;
  };
  const ReportRow& rate = row(kTownA, "hypertension_control_rate");
  EXPECT_EQ(rate.value, "50.00");
  EXPECT_EQ(rate.numerator, "2");
  EXPECT_EQ(rate.denominator, "4");
  EXPECT_EQ(rate.unit, ValueUnit::kPercent);
  const ReportRow& death = row(kTownA, "death_rate_permille");
  EXPECT_EQ(death.value, "1.00");
  EXPECT_EQ(death.numerator, "3");
  EXPECT_EQ(death.denominator, "3000");
  EXPECT_EQ(death.unit, ValueUnit::kPerMille);
  // A zero denominator: no value, yet the counts are known.
  const ReportRow& child = row(kV2, "child_management_rate");
  EXPECT_EQ(child.value, "");
  EXPECT_EQ(child.numerator, "0");
  EXPECT_EQ(child.denominator, "0");
  const ReportRow& cost = row(kV1, "outpatient_cost_yuan");
  EXPECT_EQ(cost.value, "12.34");
  EXPECT_EQ(cost.unit, ValueUnit::kYuan);
  EXPECT_EQ(cost.numerator, "");
  EXPECT_EQ(row(kV1, "outpatient_visits").unit, ValueUnit::kCount);
}

TEST_P(ReportEngineTest, ExchangeFormatsRefuseARangeOfDays) {
  Put(kV1, "outpatient_visits", "2025-07-01", 3);
  ReportQuery q;
  q.period = "2025-07-01..2025-07-31";
  for (const char* format : {"dhis2", "adx", "fhir"}) {
    q.format = format;
    absl::StatusOr<std::string> out = engine_->Render(q);
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument)
        << format;
    EXPECT_THAT(out.status().message(),
                HasSubstr("2025-07-01..2025-07-31 is a range of days"));
  }
  for (const char* format : {"csv", "json", "md", "xlsx"}) {
    q.format = format;
    EXPECT_TRUE(engine_->Render(q).ok()) << format;
  }
}

TEST_P(ReportEngineTest, RendersEveryExportFromTheRows) {
  LoadNames();
  Put(kV1, "outpatient_visits", "2025-07-01", 3);
  ReportQuery q;
  q.period = "2025-07";
  q.indicators = {"outpatient_visits"};
  q.format = "dhis2";
  EXPECT_EQ(
      engine_->Render(q).value_or("<error>"),
      "{\n  \"dataValues\": [\n    {\n      \"dataElement\": "
      "\"outpatient_visits\",\n      \"period\": \"202507\",\n      "
      "\"orgUnit\": \"640522\",\n      \"value\": \"3\"\n    }\n  ]\n}\n");
  q.format = "adx";
  EXPECT_THAT(engine_->Render(q).value_or("<error>"),
              HasSubstr("  <group orgUnit=\"640522\" period=\"2025-07-01/P1M\" "
                        "dataSet=\"SANJI\">\n    <dataValue "
                        "dataElement=\"outpatient_visits\" value=\"3\"/>\n"));
  q.format = "fhir";
  EXPECT_THAT(engine_->Render(q).value_or("<error>"),
              HasSubstr("\"measure\":"
                        "\"https://sanji.example/Measure/outpatient_visits\""));
  q.format = "md";
  EXPECT_EQ(
      engine_->Render(q).value_or("<error>"),
      "## 县\n\n| 统计期 | 级别 | 机构代码 | 机构名称 | 指标代码 | "
      "指标名称 | 数值 |\n|---|---|---|---|---|---|---:|\n| 2025-07 | "
      "county | 640522 | 海原县 | outpatient_visits | 门急诊人次 | 3 |\n");
  q.format = "xlsx";
  absl::StatusOr<std::string> xlsx = engine_->Render(q);
  ASSERT_TRUE(xlsx.ok()) << xlsx.status();
  EXPECT_EQ(xlsx->substr(0, 4), std::string("PK\x03\x04"));  // a zip file
}

// spec/interfaces.md `report --level`: the scope's rows, then every level
// below it down to --level, each level a partition of the one above.
TEST_P(ReportEngineTest, ALevelListsTheScopeAndEveryLevelBelowWithSubtotals) {
  LoadNames();
  Put(kV1, "vaccination_doses", "2025-05-02", 1);
  Put(kV2, "vaccination_doses", "2025-05-03", 2);
  Put(kV3, "vaccination_doses", "2025-05-01", 4);
  absl::StatusOr<std::vector<ReportRow>> rows =
      QueryAll("2025-05", "village", "", {"vaccination_doses"});
  ASSERT_TRUE(rows.ok()) << rows.status();
  std::vector<std::string> levels;
  for (const ReportRow& r : *rows) {
    if (levels.empty() || levels.back() != r.level) levels.push_back(r.level);
  }
  EXPECT_THAT(levels, ElementsAre("county", "township", "village"));
  EXPECT_EQ(Value(*rows, kCounty, "vaccination_doses"), "7");
  EXPECT_EQ(Value(*rows, kTownA, "vaccination_doses"), "3");
  EXPECT_EQ(Value(*rows, kTownB, "vaccination_doses"), "4");
  EXPECT_EQ(Value(*rows, kV1, "vaccination_doses"), "1");
  EXPECT_EQ((*rows)[0].org_id, kCounty);

  // A township's scope: its row, then its villages; none of another's.
  rows = QueryAll("2025-05", "village", kTownA, {"vaccination_doses"});
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(Orgs(*rows), ElementsAre(kTownA, kV1, kV2));
  rows = QueryAll("2025-05", "township", "", {"vaccination_doses"});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->front().level, "county");
  EXPECT_EQ(rows->back().level, "township");
  rows = QueryAll("2025-05", "county", "", {"vaccination_doses"});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(PeriodIndex, ReportEngineTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Indexed" : "DayCells";
                         });

}  // namespace
}  // namespace sanji

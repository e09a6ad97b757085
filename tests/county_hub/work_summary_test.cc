// Tests of county_hub/work_summary.h: the whole draft for a small county,
// exactly, with its year-on-year changes, urgent cases named and the villages
// that did not report; and that every number in it is a value of the report.
#include "county_hub/work_summary.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/period.h"
#include "county_hub/cell_store.h"
#include "county_hub/completeness.h"
#include "county_hub/report_engine.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

namespace sanji {
namespace {

using test_support::TempDir;

constexpr char kCounty[] = "640522";
constexpr char kV1[] = "640522100201";
constexpr char kV3[] = "640522101201";

struct C {
  const char* village;
  const char* indicator;
  const char* period;
  int64_t value;
};

// 2025-H1 and, for the year-on-year changes, 2024-H1.
const std::vector<C> kCells = {
    {kV1, "outpatient_visits", "2025-03-14", 1000},
    {kV1, "outpatient_cost_yuan", "2025-03-14", 5000000},
    {kV1, "inpatient_admissions", "2025-04-01", 50},
    {kV1, "inpatient_cost_yuan", "2025-04-01", 12345678},
    {kV1, "referrals", "2025-04-01", 3},
    {kV1, "referrals.county", "2025-04-01", 2},
    {kV1, "referrals.outside", "2025-04-01", 1},
    {kV1, "hypertension_managed", "2025-H1", 100},
    {kV1, "hypertension_standardized", "2025-H1", 99},
    {kV1, "hypertension_controlled", "2025-H1", 80},
    {kV1, "diabetes_managed", "2025-H1", 81},
    {kV1, "diabetes_standardized", "2025-H1", 80},
    {kV1, "diabetes_controlled", "2025-H1", 60},
    {kV1, "family_doctor_signed", "2025-H1", 860},
    {kV1, "infectious_disease_reports", "2025-02-10", 4},
    {kV1, "infectious_disease_reports.tuberculosis", "2025-02-10", 2},
    {kV1, "infectious_disease_reports.influenza", "2025-02-10", 1},
    {kV1, "infectious_disease_reports.cholera", "2025-02-10", 1},
    {kV1, "prenatal_visits", "2025-01-05", 30},
    {kV1, "pregnant_women_managed", "2025-H1", 12},
    {kV1, "postpartum_visits", "2025-01-20", 10},
    {kV3, "outpatient_visits", "2025-05-05", 500},
    {kV3, "outpatient_cost_yuan", "2025-05-05", 1000000},
    {kV3, "hypertension_managed", "2025-H1", 22},
    {kV3, "hypertension_standardized", "2025-H1", 20},
    {kV3, "hypertension_controlled", "2025-H1", 15},
    {kV3, "infectious_disease_reports", "2025-06-01", 1},
    {kV3, "infectious_disease_reports.influenza", "2025-06-01", 1},
    {kV3, "death_reports", "2025-06-01", 2},
    {kV3, "child_health_checks", "2025-03-03", 40},
    {kV3, "children_managed", "2025-H1", 35},
    {kV1, "outpatient_visits", "2024-03-01", 1200},
    {kV1, "outpatient_cost_yuan", "2024-03-01", 4800000},
    {kV1, "inpatient_admissions", "2024-04-01", 60},
    {kV1, "inpatient_cost_yuan", "2024-04-01", 10000000},
    {kV1, "hypertension_managed", "2024-H1", 90},
    {kV1, "hypertension_standardized", "2024-H1", 85},
    {kV1, "hypertension_controlled", "2024-H1", 70},
    {kV1, "infectious_disease_reports", "2024-02-01", 4},
};

constexpr char kWant[] =
    R"(# 海原县2025年上半年卫生健康工作总结（数据部分·草稿）

> 本稿数字取自 Sanji 同期报表（统计期 2025-H1，机构 640522），同比为与上年同期报表相比；请核对后使用。

## 一、医疗服务

门急诊1500人次，同比增长25.0%；门急诊总费用60000.00元，同比增长25.0%；门诊次均费用40.00元，与去年同期持平；住院50人次，同比下降16.7%；住院总费用123456.78元，同比增长23.5%；转诊3人次（转往县级医院2人次、转往县外1人次）。

## 二、基本公共卫生服务

- 新建居民健康档案0份；居民健康档案建档率92.50%。
- 预防接种0剂次。
- 老年人健康体检0人次；老年人健康管理0人；老年人健康管理率0.00%。
- 管理高血压患者122人，同比增长35.6%；规范管理119人，同比增长40.0%；高血压患者规范管理率97.54%，较去年同期提高3.10个百分点；管理人群血压控制率77.87%，较去年同期提高0.09个百分点；随访0人次。
- 管理2型糖尿病患者81人；规范管理80人；糖尿病患者规范管理率98.77%；管理人群血糖控制率74.07%；随访0人次。
- 管理严重精神障碍患者0人；随访0人次。
- 管理肺结核患者0人；随访0人次。
- 家庭医生签约860人；家庭医生签约率43.00%；签约服务0人次。
- 开展健康教育活动0次；参加0人次；卫生监督协管巡查0次。
- 高血压、糖尿病患者规范管理率分别达到97.54%和98.77%。

## 三、传染病报告

报告法定传染病5例，同比增长25.0%，其中甲类1例、乙类2例、丙类2例。

甲类：霍乱1例。

乙类：肺结核2例。

丙类：流行性感冒2例。

报告甲类及按甲类管理的传染病：霍乱1例（山门村1例），均已按紧急疫情上报。

报告死亡2例；报告死亡率1.00‰。

## 四、妇幼健康

孕产妇健康管理12人；产前检查30人次；产后访视10人次。

0-6岁儿童健康检查40人次；0-6岁儿童健康管理35人；0-6岁儿童健康管理率19.44%。

## 五、数据上报

应上报村卫生室3个，已上报2个，上报率66.67%；按时上报2个，及时率66.67%。

未上报的村卫生室（1个）：南坪村。
)";

class WorkSummaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    ASSERT_TRUE(orgs_
                    .ParseNames("orgs.csv",
                                "org_id,name\n640522,海原县\n640522100,海城镇\n"
                                "640522101,关桥乡\n640522100201,山门村\n"
                                "640522100202,南坪村\n640522101201,关桥村\n")
                    .ok());
    ASSERT_TRUE(orgs_
                    .ParsePopulation(
                        "population.csv",
                        "org_id,year,residents,children_0_6,elderly_65plus,"
                        "health_records_on_file\n"
                        "640522100201,2025,1000,100,150,900\n"
                        "640522101201,2025,1000,80,120,950\n")
                    .ok());
    auto cells = CountyCellStore::Open(dir_.Sub("hub"), kCounty);
    ASSERT_TRUE(cells.ok()) << cells.status();
    cells_ = std::move(*cells);
    int64_t now = 0;
    ASSERT_TRUE(ParseLocalSeconds("2025-07-05T08:00:00", &now));
    cells_->SetClockForTests([now] { return now; });
    uint64_t version = 0;
    for (const C& c : kCells) {
      CellBatch batch;
      Cell* cell = batch.add_cells();
      cell->set_village_id(c.village);
      cell->set_indicator(c.indicator);
      cell->set_period(c.period);
      cell->set_value(c.value);
      cell->set_version(++version);
      absl::Status s =
          cells_->ApplyBatch(std::string(c.village).substr(0, 9), batch);
      ASSERT_TRUE(s.ok()) << s;
    }
    reports_ = std::make_unique<ReportEngine>(kCounty, cells_->store(),
                                              cells_->cells(), &orgs_);
    completeness_ = std::make_unique<Completeness>(
        kCounty, cells_->store(), cells_->cells(), cells_->activity(),
        cells_->arrivals(), &orgs_);
    summary_ = std::make_unique<WorkSummary>(kCounty, reports_.get(),
                                             completeness_.get(), &orgs_);
  }

  TempDir dir_;
  OrgDirectory orgs_;
  std::unique_ptr<CountyCellStore> cells_;
  std::unique_ptr<ReportEngine> reports_;
  std::unique_ptr<Completeness> completeness_;
  std::unique_ptr<WorkSummary> summary_;
};

TEST_F(WorkSummaryTest, TheWholeDraftOfACounty) {
  absl::StatusOr<std::string> doc = summary_->Render("2025-H1", "");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(*doc, kWant);
}

TEST_F(WorkSummaryTest, EveryFigureIsTheReportsValue) {
  ReportQuery q;
  q.period = "2025-H1";
  absl::StatusOr<std::vector<ReportRow>> rows = reports_->Rows(q);
  ASSERT_TRUE(rows.ok()) << rows.status();
  absl::StatusOr<std::string> doc = summary_->Render("2025-H1", "");
  ASSERT_TRUE(doc.ok()) << doc.status();
  for (const auto& [code, text] :
       std::vector<std::pair<std::string, std::string>>{
           {"outpatient_visits", "门急诊"},
           {"outpatient_cost_yuan", "门急诊总费用"},
           {"inpatient_cost_yuan", "住院总费用"},
           {"hypertension_standardized_rate", "高血压患者规范管理率"},
           {"family_doctor_sign_rate", "家庭医生签约率"}}) {
    std::string value;
    for (const ReportRow& r : *rows) {
      if (r.indicator == code) value = r.value;
    }
    ASSERT_FALSE(value.empty()) << code;
    EXPECT_NE(doc->find(text + value), std::string::npos) << code;
  }
}

TEST_F(WorkSummaryTest, AVillageWithoutAYearEarlierHasNoChange) {
  absl::StatusOr<std::string> doc = summary_->Render("2025-H1", kV3);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_NE(doc->find("# 关桥村2025年上半年"), std::string::npos) << *doc;
  EXPECT_NE(doc->find("门急诊500人次；门急诊总费用10000.00元；"),
            std::string::npos)
      << *doc;
  EXPECT_EQ(doc->find("同比"), doc->find("同比为与上年同期报表相比")) << *doc;
  EXPECT_NE(doc->find("未报告甲类及按甲类管理的传染病。"), std::string::npos)
      << *doc;
  EXPECT_NE(doc->find("应上报的村卫生室均已上报。"), std::string::npos) << *doc;
}

TEST_F(WorkSummaryTest, BadPeriodOrOrgIsInvalidArgument) {
  EXPECT_EQ(summary_->Render("2025-H3", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(summary_->Render("2025", "640523").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PeriodTextTest, AYearEarlierAndInChinese) {
  auto p = [](const char* text) { return *ParsePeriod(text); };
  EXPECT_EQ(PeriodAYearEarlier(p("2025")), "2024");
  EXPECT_EQ(PeriodAYearEarlier(p("2025-H2")), "2024-H2");
  EXPECT_EQ(PeriodAYearEarlier(p("2025-Q3")), "2024-Q3");
  EXPECT_EQ(PeriodAYearEarlier(p("2025-06")), "2024-06");
  EXPECT_EQ(PeriodAYearEarlier(p("2024-02-29")), "2023-02-28");
  EXPECT_EQ(PeriodAYearEarlier(p("2024-02-01..2024-02-29")),
            "2023-02-01..2023-02-28");
  EXPECT_EQ(PeriodInChinese(p("2025")), "2025年");
  EXPECT_EQ(PeriodInChinese(p("2025-H2")), "2025年下半年");
  EXPECT_EQ(PeriodInChinese(p("2025-Q3")), "2025年第三季度");
  EXPECT_EQ(PeriodInChinese(p("2025-06")), "2025年6月");
  EXPECT_EQ(PeriodInChinese(p("2025-06-03")), "2025年6月3日");
  EXPECT_EQ(PeriodInChinese(p("2025-01-01..2025-01-31")),
            "2025年1月1日至2025年1月31日");
}

}  // namespace
}  // namespace sanji

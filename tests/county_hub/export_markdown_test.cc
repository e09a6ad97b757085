// Tests of county_hub/export_markdown.h: the exact document of the export
// fixture, and the cell escaping.
#include "county_hub/export_markdown.h"

#include "gtest/gtest.h"
#include "tests/county_hub/export_fixture.h"

namespace sanji {
namespace {

TEST(ExportMarkdownTest, OneTablePerLevelWithChineseHeadings) {
  EXPECT_EQ(RenderMarkdown(test_support::ExportFixtureRows()),
            R"md(## 县

| 统计期 | 级别 | 机构代码 | 机构名称 | 指标代码 | 指标名称 | 数值 |
|---|---|---|---|---|---|---:|
| 2025-Q1 | county | 640522 | 海原县 | outpatient_visits | 门急诊人次 | 12 |
| 2025-Q1 | county | 640522 | 海原县 | outpatient_cost_yuan | 门急诊总费用(元) | 1234.50 |
| 2025-Q1 | county | 640522 | 海原县 | outpatient_cost_avg_yuan | 门诊次均费用(元) |  |
| 2025-Q1 | county | 640522 | 海原县 | hypertension_control_rate | 管理人群血压控制率 | 66.67 |
| 2025-Q1 | county | 640522 | 海原县 | death_rate_permille | 报告死亡率(‰) | 1.25 |
| 2025-Q1 | county | 640522 | 海原县 | infectious_disease_reports.measles | 麻疹报告例数 | 2 |

## 乡镇

| 统计期 | 级别 | 机构代码 | 机构名称 | 指标代码 | 指标名称 | 数值 |
|---|---|---|---|---|---|---:|
| 2025-Q1 | township | 640522100 | 红星乡\|东片 | outpatient_visits | 门急诊人次 | 12 |
| 2025-Q1 | township | 640522100 | 红星乡\|东片 | family_doctor_sign_rate | 家庭医生签约率 |  |

## 村

| 统计期 | 级别 | 机构代码 | 机构名称 | 指标代码 | 指标名称 | 数值 |
|---|---|---|---|---|---|---:|
| 2025-Q1 | village | 640522100201 | 说"好"<村>& | outpatient_visits | 门急诊人次 | 12 |
| 2025-Q1 | village | 640522100201 | 说"好"<村>& | elderly_management_rate | 老年人健康管理率 |  |
)md");
}

TEST(ExportMarkdownTest, NoRowsNoTables) { EXPECT_EQ(RenderMarkdown({}), ""); }

TEST(ExportMarkdownTest, CellsEscapePipesBackslashesAndLineBreaks) {
  EXPECT_EQ(MarkdownCell("a|b\\c\r\nd"), "a\\|b\\\\c  d");
  EXPECT_EQ(MarkdownCell("红星乡"), "红星乡");
}

}  // namespace
}  // namespace sanji

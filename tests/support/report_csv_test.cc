// Tests of the report CSV reader.
#include "tests/support/report_csv.h"

#include "gtest/gtest.h"

namespace sanji::test_support {
namespace {

TEST(ParseCsvTest, QuotingAndLineEnds) {
  auto r = ParseCsv("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",,x\n");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], (std::vector<std::string>{"a", "b,c", "say \"hi\""}));
  EXPECT_EQ((*r)[1], (std::vector<std::string>{"multi\nline", "", "x"}));

  auto no_final_newline = ParseCsv("a,b\n1,");
  ASSERT_TRUE(no_final_newline.ok());
  ASSERT_EQ(no_final_newline->size(), 2u);
  EXPECT_EQ((*no_final_newline)[1], (std::vector<std::string>{"1", ""}));

  EXPECT_FALSE(ParseCsv("a,\"open\n").ok());
  EXPECT_FALSE(ParseCsv("a,b\"c\n").ok());
  EXPECT_FALSE(ParseCsv("\"a\"b\n").ok());
  EXPECT_FALSE(ParseCsv("a, \"b\"\n").ok());
  EXPECT_FALSE(ParseCsv("\"a\" ,b\n").ok());
}

constexpr char kReport[] =
    "\xEF\xBB\xBFperiod,level,org_id,org_name,indicator,name_zh,value\r\n"
    "2025-Q1,county,640522,海原县,outpatient_visits,门急诊人次,1234\r\n"
    "2025-Q1,county,640522,海原县,outpatient_cost_yuan,门急诊总费用(元),56789."
    "10\r\n"
    "2025-Q1,township,640522100,\"海城镇, "
    "中心\",outpatient_cost_avg_yuan,门诊次均费用(元),\r\n"
    "2025-Q1,village,640522100201,\"山门村\"\"一\"\"\",referrals.county,"
    "转往某级人次,3\r\n";

TEST(ReportCsvTest, LooksUpValues) {
  auto report = ReportCsv::Parse(kReport);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->rows().size(), 4u);
  EXPECT_EQ(report->rows()[0].period, "2025-Q1");
  EXPECT_EQ(report->Value("county", "640522", "outpatient_visits"), "1234");
  EXPECT_EQ(report->Value("county", "640522", "outpatient_cost_yuan"),
            "56789.10");
  EXPECT_EQ(report->Value("township", "640522100", "outpatient_cost_avg_yuan"),
            "");
  EXPECT_EQ(report->Value("village", "640522100201", "referrals.county"), "3");
  EXPECT_EQ(report->Value("village", "640522100201", "referrals.township"),
            std::nullopt);
  EXPECT_EQ(report->Value("township", "640522", "outpatient_visits"),
            std::nullopt);
  const ReportCsvRow* row =
      report->Find("township", "640522100", "outpatient_cost_avg_yuan");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->org_name, "海城镇, 中心");
  EXPECT_EQ(
      report->Find("village", "640522100201", "referrals.county")->org_name,
      "山门村\"一\"");
}

TEST(ReportCsvTest, ColumnsInAnyOrderWithExtras) {
  auto report = ReportCsv::Parse(
      "value,indicator,level,org_id,note,period,org_name,name_zh\n"
      "7,death_reports,county,640522,checked,2025,X,死亡报告例数\n");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->Value("county", "640522", "death_reports"), "7");
  EXPECT_EQ(report->rows()[0].extra.at("note"), "checked");
}

TEST(ReportCsvTest, RejectsBadReports) {
  EXPECT_FALSE(ReportCsv::Parse("").ok());
  EXPECT_FALSE(
      ReportCsv::Parse("period,level,org_id,org_name,indicator,name_zh\n")
          .ok());
  EXPECT_FALSE(
      ReportCsv::Parse("period,level,org_id,org_name,indicator,name_zh,value\n"
                       "2025,county,640522,X,a,b\n")
          .ok());
  EXPECT_FALSE(
      ReportCsv::Parse("period,level,org_id,org_name,indicator,name_zh,value\n"
                       "2025,county,640522,X,a,b,1\n"
                       "2025,county,640522,X,a,b,2\n")
          .ok());
  auto header_only = ReportCsv::Parse(
      "period,level,org_id,org_name,indicator,name_zh,value\n");
  ASSERT_TRUE(header_only.ok());
  EXPECT_TRUE(header_only->rows().empty());
}

}  // namespace
}  // namespace sanji::test_support

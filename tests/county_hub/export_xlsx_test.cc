// Tests of county_hub/export_xlsx.h. The workbook's content (sheets, cells,
// number formats, frozen row, widths) is checked exactly by
// check_xlsx_fixture.py with openpyxl (ctest export_xlsx_openpyxl); here:
// that it is a zip of the parts Excel needs, that the temporary file is gone
// afterwards, and that an unwritable directory is an error that says so.
#include "county_hub/export_xlsx.h"

#include <stdlib.h>

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/county_hub/export_fixture.h"

namespace sanji {
namespace {

using ::testing::HasSubstr;

class ExportXlsxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/export_xlsx_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(ExportXlsxTest, AWorkbookOfThreeSheetsAndNoFileLeftBehind) {
  absl::StatusOr<std::string> xlsx =
      RenderXlsx(test_support::ExportFixtureRows(), dir_);
  ASSERT_TRUE(xlsx.ok()) << xlsx.status();
  EXPECT_EQ(xlsx->substr(0, 4), std::string("PK\x03\x04"));
  for (const char* part :
       {"[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml",
        "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml",
        "xl/styles.xml"}) {
    EXPECT_THAT(*xlsx, HasSubstr(part));
  }
  EXPECT_THAT(*xlsx, ::testing::Not(HasSubstr("xl/worksheets/sheet4.xml")));
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

TEST_F(ExportXlsxTest, AnEmptyReportIsOneEmptyCountySheet) {
  absl::StatusOr<std::string> xlsx = RenderXlsx({}, dir_);
  ASSERT_TRUE(xlsx.ok()) << xlsx.status();
  EXPECT_THAT(*xlsx, HasSubstr("xl/worksheets/sheet1.xml"));
  EXPECT_THAT(*xlsx, ::testing::Not(HasSubstr("xl/worksheets/sheet2.xml")));
}

TEST_F(ExportXlsxTest, AnUnwritableDirectorySaysWhichAndWhatToDo) {
  absl::StatusOr<std::string> xlsx =
      RenderXlsx(test_support::ExportFixtureRows(), dir_ + "/missing");
  EXPECT_EQ(xlsx.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(xlsx.status().message(),
              HasSubstr("cannot make a temporary file in " + dir_ +
                        "/missing: No such file or directory (set TMPDIR"));
}

}  // namespace
}  // namespace sanji

#include "county_hub/org_directory.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sanji {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(OrgDirectoryTest, ParsesNamesWithBomQuotesAndCrlf) {
  OrgDirectory dir;
  ASSERT_TRUE(dir.ParseNames("orgs.csv",
                             "\xEF\xBB\xBForg_id,name\r\n"
                             "640522,海原县\r\n"
                             "640522100,\"红星乡,东片\"\r\n"
                             "\r\n"
                             "640522100201,\"说\"\"好\"\"村\"\r\n"
                             " 640522100202 , 西村 \n")
                  .ok());
  EXPECT_EQ(dir.Name("640522"), "海原县");
  EXPECT_EQ(dir.Name("640522100"), "红星乡,东片");
  EXPECT_EQ(dir.Name("640522100201"), "说\"好\"村");
  EXPECT_EQ(dir.Name("640522100202"), "西村");
  EXPECT_EQ(dir.Name("640522100203"), "");
  EXPECT_EQ(dir.names().size(), 4u);
}

TEST(OrgDirectoryTest, QuotedNameMaySpanLinesAndLineNumbersFollow) {
  OrgDirectory dir;
  absl::Status s = dir.ParseNames("orgs.csv",
                                  "org_id,name\n"
                                  "640522100,\"two\nlines\"\n"
                                  "64052210,bad\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("orgs.csv:4:"));
  EXPECT_THAT(s.message(), HasSubstr("6, 9 or 12 digits"));
  EXPECT_THAT(s.message(), HasSubstr("64052210"));
  // A file that fails changes nothing.
  EXPECT_EQ(dir.Name("640522100"), "");
}

TEST(OrgDirectoryTest, NameErrors) {
  OrgDirectory dir;
  absl::Status s = dir.ParseNames("orgs.csv", "id,name\n640522,县\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("orgs.csv:1:"));
  EXPECT_THAT(s.message(), HasSubstr("org_id,name"));

  s = dir.ParseNames("orgs.csv", "");
  EXPECT_THAT(s.message(), HasSubstr("orgs.csv: the file is empty"));

  s = dir.ParseNames("orgs.csv", "org_id,name\n640522,a,b\n");
  EXPECT_THAT(s.message(), HasSubstr("orgs.csv:2: expected 2 fields"));

  s = dir.ParseNames("orgs.csv", "org_id,name\n64052a,x\n");
  EXPECT_THAT(s.message(), HasSubstr("orgs.csv:2: org_id"));

  s = dir.ParseNames("orgs.csv", "org_id,name\n640522,\"open\n");
  EXPECT_THAT(
      s.message(),
      HasSubstr(
          "orgs.csv:2: a quoted field starting on line 2 is never closed"));

  s = dir.ParseNames("orgs.csv", "org_id,name\n640522,\"a\"b\n");
  EXPECT_THAT(
      s.message(),
      HasSubstr("orgs.csv:2: field 2 has text after its closing quote"));

  s = dir.ParseNames("orgs.csv", "org_id,name\n640522,a\n640522,b\n");
  EXPECT_THAT(s.message(), HasSubstr("orgs.csv:3:"));
  EXPECT_THAT(s.message(), HasSubstr("line 2"));

  s = dir.ParseNames("orgs.csv", "org_id,name\n640522,\n");
  EXPECT_THAT(s.message(), HasSubstr("orgs.csv:2: name"));
}

TEST(OrgDirectoryTest, ParsesPopulation) {
  OrgDirectory dir;
  ASSERT_TRUE(
      dir.ParsePopulation("pop.csv",
                          "\xEF\xBB\xBF"
                          "org_id,year,residents,children_0_6,elderly_65plus,"
                          "health_records_on_file\n"
                          "640522100201,2025,1000,80,150,600\n"
                          "640522100201,2024,990,81,149,590\n"
                          "\"640522100202\",2025,3000,0,400,2500\n")
          .ok());
  std::optional<Population> p = dir.PopulationOf("640522100201", 2025);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->residents, 1000);
  EXPECT_EQ(p->children_0_6, 80);
  EXPECT_EQ(p->elderly_65plus, 150);
  EXPECT_EQ(p->health_records_on_file, 600);
  p = dir.PopulationOf("640522100201", 2024);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->residents, 990);
  EXPECT_FALSE(dir.PopulationOf("640522100201", 2023).has_value());
  EXPECT_FALSE(dir.PopulationOf("640522100203", 2025).has_value());
  EXPECT_THAT(dir.PopulationVillages(),
              ElementsAre("640522100201", "640522100202"));
}

TEST(OrgDirectoryTest, PopulationErrors) {
  const std::string header =
      "org_id,year,residents,children_0_6,elderly_65plus,"
      "health_records_on_file\n";
  OrgDirectory dir;
  absl::Status s = dir.ParsePopulation(
      "pop.csv", "org_id,year,residents\n640522100201,2025,1\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("pop.csv:1: the header row must be"));

  s = dir.ParsePopulation("pop.csv", header +
                                         "640522100201,2025,1000,80,150,600\n" +
                                         "640522100202,2025,1x00,80,150,600\n");
  EXPECT_THAT(s.message(), HasSubstr("pop.csv:3: residents: '1x00'"));
  EXPECT_THAT(s.message(), HasSubstr("not a whole number"));
  // Nothing of a failed file is kept.
  EXPECT_FALSE(dir.PopulationOf("640522100201", 2025).has_value());

  s = dir.ParsePopulation("pop.csv",
                          header + "640522100201,2025,1000,-8,150,600\n");
  EXPECT_THAT(s.message(), HasSubstr("pop.csv:2: children_0_6"));

  s = dir.ParsePopulation("pop.csv",
                          header + "640522100,2025,1000,80,150,600\n");
  EXPECT_THAT(s.message(), HasSubstr("pop.csv:2: org_id"));
  EXPECT_THAT(s.message(), HasSubstr("village"));

  s = dir.ParsePopulation("pop.csv",
                          header + "640522100201,25,1000,80,150,600\n");
  EXPECT_THAT(s.message(), HasSubstr("pop.csv:2: year"));

  s = dir.ParsePopulation("pop.csv", header + "640522100201,2025,1,1,1,1\n" +
                                         "640522100201,2025,2,2,2,2\n");
  EXPECT_THAT(s.message(), HasSubstr("pop.csv:3:"));
}

TEST(OrgDirectoryTest, LoadsFilesAndNamesMissingOnes) {
  char tmpl[] = "/tmp/org_directory_test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir_path = tmpl;
  std::string names = dir_path + "/orgs.csv";
  std::string pop = dir_path + "/pop.csv";
  {
    std::ofstream(names) << "org_id,name\n640522,海原县\n";
    std::ofstream(pop) << "org_id,year,residents,children_0_6,elderly_65plus,"
                          "health_records_on_file\n"
                          "640522100201,2025,10,1,2,3\n";
  }
  OrgDirectory dir;
  EXPECT_TRUE(dir.LoadNames(names).ok());
  EXPECT_TRUE(dir.LoadPopulation(pop).ok());
  EXPECT_EQ(dir.Name("640522"), "海原县");
  EXPECT_EQ(dir.PopulationOf("640522100201", 2025)->residents, 10);

  absl::Status s = dir.LoadNames(dir_path + "/missing.csv");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("missing.csv"));

  std::ofstream(names) << "org_id,name\nbad,x\n";
  s = dir.LoadNames(names);
  EXPECT_THAT(s.message(), HasSubstr(names + ":2:"));
  std::filesystem::remove_all(dir_path);
}

}  // namespace
}  // namespace sanji

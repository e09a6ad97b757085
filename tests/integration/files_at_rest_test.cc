// spec/interfaces.md "Files at rest", with the real programs: every node
// creates its data directory 0700 and its files 0600, and refuses at start a
// data directory that others can read, saying how to fix it.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/support/local_county.h"
#include "tests/support/process.h"

namespace sanji::test_support {
namespace {

constexpr char kVillage[] = "640522100201";

mode_t ModeOf(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 07777;
}

// Every file and directory under `dir` (itself included) that others may
// touch, with its mode.
std::string LooseEntries(const std::string& dir) {
  std::string loose;
  if ((ModeOf(dir) & 077) != 0) loose += dir + " ";
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(dir, ec)) {
    if ((ModeOf(entry.path().string()) & 077) != 0) {
      loose += entry.path().string() + " ";
    }
  }
  return loose;
}

TEST(FilesAtRestTest, EveryNodesFilesAreItsOwnAndALooseDirectoryIsRefused) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  LocalCounty county(dir.path(), {kVillage});
  ASSERT_TRUE(county.Init().ok());
  ASSERT_TRUE(county.StartAll().ok());
  const std::string file = dir.Sub("visits.csv");
  std::ofstream(file) << "record_id,kind,occurred_at,patient_id,sex,birth_date,"
                         "cost_yuan\nop1,outpatient_visit,2025-03-14T09:00,p1,"
                         "F,1970-01-01,12.50\n";
  ASSERT_EQ(county.Import(kVillage, {file}).exit_code, 0);
  for (const std::string& org :
       {std::string(kVillage), std::string("640522100"),
        std::string("640522")}) {
    const std::string data = county.data_dir(org);
    EXPECT_EQ(ModeOf(data), 0700u) << data;
    EXPECT_EQ(LooseEntries(data), "") << "readable by others";
  }

  // A data directory opened up by mistake: the agent does not start, and
  // says what to run.
  county.agent(kVillage).Terminate();
  const std::string data = county.data_dir(kVillage);
  ASSERT_EQ(chmod(data.c_str(), 0755), 0);
  absl::Status started = county.StartAgent(kVillage);
  EXPECT_FALSE(started.ok());
  std::ifstream log(county.agent(kVillage).log_path());
  std::string text((std::istreambuf_iterator<char>(log)),
                   std::istreambuf_iterator<char>());
  EXPECT_TRUE(absl::StrContains(text, "run  chmod 700 " + data)) << text;
  ASSERT_EQ(chmod(data.c_str(), 0700), 0);
  EXPECT_TRUE(county.StartAgent(kVillage).ok());
}

}  // namespace
}  // namespace sanji::test_support

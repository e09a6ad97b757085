// What a village's records cost on its metered link (issue 13 "compressed
// links"): the same 3000 rows synced with --link_compression=gzip (the
// default) and =none, counted by the proxy on the village -> township link.
// gzip must carry less than half the bytes of none, and the county must count
// the same either way.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tests/support/local_county.h"
#include "tests/support/process.h"

namespace sanji::test_support {
namespace {

constexpr char kVillage[] = "640522100201";
constexpr int kRows = 3000;

struct Synced {
  double bytes_per_record = 0;
  std::string report;
};

Synced SyncWith(const std::string& compression) {
  TempDir dir;
  LocalCounty county(dir.path(), {kVillage});
  EXPECT_TRUE(county.Init().ok());
  if (!compression.empty()) {
    const std::string flag = "--link_compression=" + compression;
    county.set_extra_flags(kVillage, {flag});
    county.set_extra_flags("640522100", {flag});
  }
  EXPECT_TRUE(county.StartAll().ok());
  std::string rows =
      "record_id,kind,occurred_at,patient_id,sex,birth_date,cost_yuan,icd10\n";
  for (int i = 0; i < kRows; ++i) {
    absl::StrAppendFormat(&rows,
                          "v%05d,outpatient_visit,2025-%02d-%02dT%02d:%02d,"
                          "P%04d,%s,19%02d-03-04,%d.%02d,J06.9\n",
                          i, 1 + i % 12, 1 + i % 28, 8 + i % 9, i % 60, i % 700,
                          i % 2 ? "M" : "F", 30 + i % 60, 5 + i % 40, i % 100);
  }
  const std::string file = dir.Sub("rows.csv");
  std::ofstream(file) << rows;
  const uint64_t before = county.village_link(kVillage).bytes_forwarded();
  CommandResult r = county.Import(kVillage, {file});
  EXPECT_EQ(r.exit_code, 0) << r.output << r.errors;
  EXPECT_TRUE(county.WaitAgentsSynced(absl::Seconds(60)).ok());
  EXPECT_TRUE(county.WaitTownshipsSynced(absl::Seconds(60)).ok());
  Synced run;
  run.bytes_per_record =
      static_cast<double>(county.village_link(kVillage).bytes_forwarded() -
                          before) /
      kRows;
  absl::StatusOr<ReportCsv> report = county.Report("2025", "county");
  EXPECT_TRUE(report.ok()) << report.status();
  if (report.ok()) {
    for (const ReportCsvRow& row : report->rows()) {
      absl::StrAppend(&run.report, row.indicator, "=", row.value, "\n");
    }
  }
  return run;
}

TEST(LinkCompressionTest, GzipCarriesUnderHalfTheBytesForTheSameCounts) {
  const Synced plain = SyncWith("none");
  const Synced gzip = SyncWith("");  // the default
  std::printf("bytes per record on the village link: none %.1f, gzip %.1f\n",
              plain.bytes_per_record, gzip.bytes_per_record);
  EXPECT_GT(plain.bytes_per_record, 50) << "the rows should cost ~80 B plain";
  EXPECT_LT(gzip.bytes_per_record, plain.bytes_per_record / 2)
      << "gzip " << gzip.bytes_per_record << " B/record, none "
      << plain.bytes_per_record;
  EXPECT_NE(plain.report.find("outpatient_visits=3000\n"), std::string::npos)
      << plain.report;
  EXPECT_EQ(gzip.report, plain.report);
}

TEST(LinkCompressionTest, AnUnknownAlgorithmIsRefusedAtStart) {
  TempDir dir;
  CommandResult r = RunCommand(
      BinaryPath("village_agent"),
      {"serve", "--village_id=640522100201", "--data_dir=" + dir.Sub("v"),
       "--township=127.0.0.1:1", "--listen=127.0.0.1:0", "--insecure",
       "--link_compression=zstd"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.errors.find("is not gzip, deflate or none"), std::string::npos)
      << r.errors;
}

}  // namespace
}  // namespace sanji::test_support

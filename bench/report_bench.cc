// report_bench: how long the county's reports take on a hub's data directory
// (written by bench/big_county), beside what the machine allows for them in
// the same run: one pass of a RocksDB iterator over every cell of the hub,
// which any report that reads cells would be bounded by were it to read them
// all. Prints, per measure, the median wall and CPU time of --runs runs and
// the ratio of the report's wall time to the scan's.
//
//   report_bench --data_dir=DIR --orgs=FILE --population=FILE [--runs=5]
//                [--period=2025] [--out=FILE]
//
// Measures: the annual report at village level as JSON (what `county_hub
// report --level=village --format=json` asks of the engine); the same as CSV;
// the dashboard's trend (12 monthly reports at county level, as
// county_hub/dashboard.cc asks for them). --out writes the JSON report, so
// that two builds' outputs can be compared byte for byte.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "common/storage.h"
#include "county_hub/cell_store.h"
#include "county_hub/org_directory.h"
#include "county_hub/report_engine.h"

ABSL_FLAG(std::string, data_dir, "", "A hub's --data_dir (bench/big_county).");
ABSL_FLAG(std::string, orgs, "", "The hub's --orgs file.");
ABSL_FLAG(std::string, population, "", "The hub's --population file.");
ABSL_FLAG(int, runs, 5, "Runs per measure (the median is printed).");
ABSL_FLAG(std::string, period, "2025", "The report's period.");
ABSL_FLAG(std::string, out, "", "Write the JSON report here.");

namespace sanji {
namespace {

constexpr char kCounty[] = "640522";

double Seconds(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

struct Timing {
  double wall = 0;  // median seconds
  double cpu = 0;   // median seconds of this thread's CPU
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Runs `work` --runs times; false from it stops the bench.
bool Time(const std::function<bool()>& work, Timing* out) {
  std::vector<double> wall, cpu;
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_runs)); ++i) {
    const double w0 = Seconds(CLOCK_MONOTONIC);
    const double c0 = Seconds(CLOCK_THREAD_CPUTIME_ID);
    if (!work()) return false;
    cpu.push_back(Seconds(CLOCK_THREAD_CPUTIME_ID) - c0);
    wall.push_back(Seconds(CLOCK_MONOTONIC) - w0);
  }
  out->wall = Median(wall);
  out->cpu = Median(cpu);
  return true;
}

bool Fail(const absl::Status& status) {
  std::fprintf(stderr, "report_bench: %s\n",
               std::string(status.message()).c_str());
  return false;
}

void Print(const char* name, const Timing& t, const Timing& limit) {
  std::printf("%-36s wall %8.1f ms  cpu %8.1f ms  ratio to scan %.2f\n", name,
              t.wall * 1e3, t.cpu * 1e3, t.wall / limit.wall);
}

int Run() {
  OrgDirectory orgs;
  if (absl::Status s = orgs.LoadNames(absl::GetFlag(FLAGS_orgs)); !s.ok()) {
    Fail(s);
    return 1;
  }
  if (absl::Status s = orgs.LoadPopulation(absl::GetFlag(FLAGS_population));
      !s.ok()) {
    Fail(s);
    return 1;
  }
  auto cells = CountyCellStore::Open(absl::GetFlag(FLAGS_data_dir), kCounty);
  if (!cells.ok()) {
    Fail(cells.status());
    return 1;
  }
  const Store* store = (*cells)->store();
  ReportEngine engine(kCounty, store, (*cells)->cells(), &orgs);

  size_t scanned = 0;
  Timing scan;
  bool ok = Time(
      [&] {
        scanned = 0;
        std::unique_ptr<rocksdb::Iterator> it =
            store->NewIterator((*cells)->cells());
        for (it->SeekToFirst(); it->Valid(); it->Next()) ++scanned;
        return it->status().ok() || Fail(FromRocks(it->status(), "scanning"));
      },
      &scan);
  ReportQuery query;
  query.period = absl::GetFlag(FLAGS_period);
  query.level = "village";
  std::string json, csv;
  Timing json_time, csv_time, trend_time;
  auto render = [&](const std::string& format, std::string* out) {
    query.format = format;
    absl::StatusOr<std::string> s = engine.Render(query);
    if (!s.ok()) return Fail(s.status());
    *out = std::move(*s);
    return true;
  };
  ok = ok && Time([&] { return render("json", &json); }, &json_time) &&
       Time([&] { return render("csv", &csv); }, &csv_time);
  ok = ok && Time(
                 [&] {
                   for (int m = 1; m <= 12; ++m) {
                     ReportQuery month;
                     month.period = absl::StrFormat(
                         "%s-%02d", query.period.substr(0, 4), m);
                     if (auto rows = engine.Rows(month); !rows.ok()) {
                       return Fail(rows.status());
                     }
                   }
                   return true;
                 },
                 &trend_time);
  if (!ok) return 1;
  std::printf("cells in the hub: %zu; report %s: %zu bytes of JSON\n", scanned,
              query.period.c_str(), json.size());
  Print("limit: one iterator pass over cells", scan, scan);
  Print("report, village level, json", json_time, scan);
  Print("report, village level, csv", csv_time, scan);
  Print("trend (12 months, county level)", trend_time, scan);
  if (const std::string out = absl::GetFlag(FLAGS_out); !out.empty()) {
    std::ofstream(out, std::ios::binary) << json;
  }
  return 0;
}

}  // namespace
}  // namespace sanji

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return sanji::Run();
}

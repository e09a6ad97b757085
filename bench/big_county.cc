// big_county: writes a large county's year straight into a county hub's data
// directory, through the push path's own CountyCellStore::ApplyBatch (the
// call every township's batch ends in), for timing the dashboard on a county
// of hundreds of villages without running hundreds of agents. Also writes the
// --orgs and --population files. Run it before `county_hub serve` on DIR.
//
//   big_county --data_dir=DIR --out_dir=FILES [--townships=10]
//              [--villages_per_township=50] [--year=2025]
//
// Each village gets plausible day cells for every count and sum indicator and
// month/quarter/half/year cells for every distinct indicator, from a fixed
// seed (the numbers need not add up to records: only their volume matters).
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "common/catalogue.h"
#include "common/period.h"
#include "county_hub/cell_store.h"

ABSL_FLAG(std::string, data_dir, "", "The hub's --data_dir (created).");
ABSL_FLAG(std::string, out_dir, "", "Where orgs.csv and population.csv go.");
ABSL_FLAG(int, townships, 10, "Townships (codes 100, 101, ...).");
ABSL_FLAG(int, villages_per_township, 50, "Villages per township.");
ABSL_FLAG(int, year, 2025, "The year of the cells.");

namespace sanji {
namespace {

constexpr char kCounty[] = "640522";

void AddCell(CellBatch* batch, const std::string& village,
             absl::string_view indicator, const std::string& period,
             int64_t value) {
  Cell* cell = batch->add_cells();
  cell->set_village_id(village);
  cell->set_indicator(std::string(indicator));
  cell->set_period(period);
  cell->set_value(value);
  cell->set_version(1);
}

// A village's year of cells.
CellBatch VillageYear(const std::string& village, int year, std::mt19937* rng) {
  CellBatch batch;
  std::uniform_int_distribution<int> small(0, 4);
  const std::vector<std::string> months = {"01", "02", "03", "04", "05", "06",
                                           "07", "08", "09", "10", "11", "12"};
  for (const IndicatorDef& d : Indicators()) {
    if (d.type == IndicatorType::kCount || d.type == IndicatorType::kSum ||
        d.type == IndicatorType::kSumYuan) {
      for (absl::CivilDay day(year, 1, 1); day.year() == year; ++day) {
        int64_t n = small(*rng);
        if (n == 0) continue;
        if (d.type == IndicatorType::kSumYuan) n *= 4500;
        AddCell(&batch, village, d.code, FormatDay(day), n);
      }
    } else if (d.type == IndicatorType::kDistinct) {
      std::vector<std::string> periods = {absl::StrFormat("%d", year),
                                          absl::StrFormat("%d-H1", year),
                                          absl::StrFormat("%d-H2", year)};
      for (int q = 1; q <= 4; ++q)
        periods.push_back(absl::StrFormat("%d-Q%d", year, q));
      for (const std::string& m : months)
        periods.push_back(absl::StrFormat("%d-%s", year, m));
      for (const std::string& p : periods) {
        AddCell(&batch, village, d.code, p, 20 + small(*rng) * 10);
      }
    }
  }
  AddCell(&batch, village, "infectious_disease_reports.measles",
          absl::StrFormat("%d-03-02", year), 1);
  return batch;
}

int Run() {
  auto store = CountyCellStore::Open(absl::GetFlag(FLAGS_data_dir), kCounty);
  if (!store.ok()) {
    std::fprintf(stderr, "big_county: %s\n",
                 std::string(store.status().message()).c_str());
    return 1;
  }
  const std::string out = absl::GetFlag(FLAGS_out_dir);
  std::ofstream orgs(out + "/orgs.csv"), pop(out + "/population.csv");
  orgs << "org_id,name\n" << kCounty << ",大县\n";
  pop << "org_id,year,residents,children_0_6,elderly_65plus,"
         "health_records_on_file\n";
  std::mt19937 rng(1);
  const int year = absl::GetFlag(FLAGS_year);
  size_t cells = 0;
  for (int t = 0; t < absl::GetFlag(FLAGS_townships); ++t) {
    const std::string township = absl::StrFormat("%s%03d", kCounty, 100 + t);
    orgs << township << ",第" << t + 1 << "镇\n";
    for (int v = 0; v < absl::GetFlag(FLAGS_villages_per_township); ++v) {
      const std::string village = absl::StrFormat("%s%03d", township, 201 + v);
      orgs << village << ",第" << t + 1 << "镇" << v + 1 << "村\n";
      pop << village << "," << year << ",1500,120,210,1300\n";
      CellBatch batch = VillageYear(village, year, &rng);
      cells += batch.cells_size();
      absl::Status s = (*store)->ApplyBatch(township, batch);
      if (!s.ok()) {
        std::fprintf(stderr, "big_county: %s\n",
                     std::string(s.message()).c_str());
        return 1;
      }
    }
  }
  std::printf("big_county: %zu cells\n", cells);
  return 0;
}

}  // namespace
}  // namespace sanji

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return sanji::Run();
}

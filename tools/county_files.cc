#include "tools/county_files.h"

#include <errno.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/vocabulary.h"

namespace sanji {

std::string TownshipName(int t) {
  static constexpr const char* kNames[] = {
      "城关", "新集", "红星", "河东", "柳树", "王庄", "石门", "清水",
      "高崖", "杨河", "东升", "西岭", "李旺", "三河", "关桥", "九彩"};
  constexpr int kCount = sizeof(kNames) / sizeof(kNames[0]);
  std::string name = kNames[t % kCount];
  if (t >= kCount) absl::StrAppend(&name, t / kCount + 1);
  return absl::StrCat(name, t % 3 == 2 ? "乡" : "镇");
}

std::string VillageName(int k) {
  static constexpr const char* kSurnames[] = {
      "张", "王", "李", "赵", "刘", "陈", "杨", "马", "周", "吴", "何", "郭"};
  static constexpr const char* kPlaces[] = {"庄", "家湾", "家沟", "家堡",
                                            "寨", "营",   "屯",   "坪",
                                            "河", "岔",   "塬",   "台"};
  // (k % 12, (5k + k/12) % 12) runs through all 144 pairs once.
  std::string name =
      absl::StrCat(kSurnames[k % 12], kPlaces[(5 * k + k / 12) % 12]);
  if (k >= 144) absl::StrAppend(&name, k / 144 + 1);
  return absl::StrCat(name, "村");
}

CountyFiles::CountyFiles(const Config& config, int townships,
                         int villages_per_township)
    : config_(config), townships_(townships) {
  orgs_ = absl::StrCat("org_id,name\n", config.county, ",示范县\n");
  population_ =
      "org_id,year,residents,children_0_6,elderly_65plus,health_records_on_"
      "file\n";
  manifest_ = absl::StrFormat(
      "Sanji demo workload: county %s, %d township(s) x %d village(s), year "
      "%d, seed %d,\n"
      "%d valid records per village, bad rows %s, encoding mix %s.\n"
      "Import each village's main file, then its corrections file:\n"
      "  village_agent import --agent=HOST:PORT MAIN CORRECTIONS\n"
      "\"expected import\" is what village_agent import should print for each "
      "file.\n\n",
      config.county, townships, villages_per_township, config.year, config.seed,
      config.records, config.bad_rows ? "yes" : "no",
      config.encoding_mix ? "yes" : "no");
}

void CountyFiles::AddTownship(const std::string& township_id, int t) {
  absl::StrAppend(&orgs_, township_id, ",", TownshipName(t), "\n");
}

void CountyFiles::AddVillage(const std::string& village_id, int village_index,
                             const std::string& township_id, int t,
                             const VillageResult& r) {
  absl::StrAppend(&orgs_, village_id, ",", VillageName(village_index), "\n");
  absl::StrAppendFormat(&population_, "%s,%d,%d,%d,%d,%d\n", village_id,
                        config_.year, r.residents, r.children_0_6,
                        r.elderly_65plus, r.records_on_file);
  int64_t live = 0;
  for (const auto& [kind, count] : r.live.by_kind) live += count;
  absl::StrAppendFormat(
      &manifest_,
      "village %s %s (township %s %s)\n"
      "  main file:        %s (%s): %d rows = %d records + %d bad + %d "
      "exact duplicates\n"
      "                    expected import: accepted=%d duplicate=%d "
      "rejected=%d\n"
      "  corrections file: %s: %d rows = %d voids + %d replacements + %d "
      "bad\n"
      "                    expected import: accepted=%d duplicate=0 "
      "rejected=%d\n"
      "  records counting after corrections: %d\n",
      village_id, VillageName(village_index), township_id, TownshipName(t),
      r.main_file, FormatName(r.format), r.main_rows, r.records, r.bad,
      r.duplicates, r.records, r.duplicates, r.bad, r.corrections_file,
      r.correction_rows, r.voids, r.replacements, r.correction_bad,
      r.voids + r.replacements, r.correction_bad, live);
  for (const BadRowNote& note : r.bad_notes) {
    absl::StrAppendFormat(&manifest_, "  bad row %s:%d: %s\n", note.file,
                          note.line, note.reason);
  }
  manifest_ += "\n";
  live_.Add(r.live);
  ++villages_;
  records_ += r.records;
  bad_ += r.bad + r.correction_bad;
  duplicates_ += r.duplicates;
  voids_ += r.voids;
  replacements_ += r.replacements;
}

// County totals of what should count after every import (the year's report
// must show them), by kind and as machine-readable "expect PERIOD LEVEL ORG
// INDICATOR VALUE" lines that deploy/demo.sh checks.
void CountyFiles::AddTotals() {
  absl::StrAppendFormat(
      &manifest_,
      "County %s, %d: records counting after corrections, by kind\n",
      config_.county, config_.year);
  for (const KindInfo& kind : Kinds()) {
    int64_t count = live_.by_kind[std::string(kind.code)];
    total_ += count;
    absl::StrAppendFormat(&manifest_, "  %-26s %8d  %s\n", kind.code, count,
                          kind.name_zh);
    if (count == 0) {
      std::fprintf(stderr, "gen_workload: warning: no records of kind %.*s\n",
                   static_cast<int>(kind.code.size()), kind.code.data());
    }
  }
  absl::StrAppendFormat(&manifest_, "  %-26s %8d\n\n", "total", total_);
  auto expect = [&](absl::string_view indicator, const std::string& value) {
    absl::StrAppendFormat(&manifest_, "expect %d county %s %s %s\n",
                          config_.year, config_.county, indicator, value);
  };
  std::map<std::string, int64_t>& by_kind = live_.by_kind;
  expect("outpatient_visits", absl::StrCat(by_kind["outpatient_visit"]));
  expect("outpatient_cost_yuan", FormatFen(live_.outpatient_fen));
  expect("inpatient_admissions", absl::StrCat(by_kind["inpatient_admission"]));
  expect("inpatient_cost_yuan", FormatFen(live_.inpatient_fen));
  expect("death_reports", absl::StrCat(by_kind["death_report"]));
  expect("health_education_participants", absl::StrCat(live_.participants));
}

bool CountyFiles::Finish(const std::string& dir, std::string* error) {
  AddTotals();
  for (const auto& [name, text] :
       {std::pair<const char*, const std::string&>{"orgs.csv", orgs_},
        {"population.csv", population_},
        {"manifest.txt", manifest_}}) {
    std::string path = absl::StrCat(dir, "/", name);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      *error = absl::StrCat("cannot write ", path, ": ", std::strerror(errno));
      return false;
    }
  }
  std::printf(
      "gen_workload: %d villages in %d townships, year %d: %d records (+%d bad "
      "rows, %d "
      "duplicates), %d voids and %d replacements in corrections files; %lld "
      "records count "
      "after corrections; wrote %s (see manifest.txt)\n",
      villages_, townships_, config_.year, records_, bad_, duplicates_, voids_,
      replacements_, static_cast<long long>(total_), dir.c_str());
  return true;
}

}  // namespace sanji

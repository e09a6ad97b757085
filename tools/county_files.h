// The county-wide files of gen_workload: orgs.csv (codes and Chinese names),
// population.csv (the panel sizes of every village) and manifest.txt (what
// each village's files hold, what `village_agent import` should print for
// each, and the "expect" lines deploy/demo.sh checks the county's report
// against).
//
// Thread-safety: a CountyFiles is used by one thread.
#ifndef SANJI_TOOLS_COUNTY_FILES_H_
#define SANJI_TOOLS_COUNTY_FILES_H_

#include <string>

#include "tools/village_generator.h"

namespace sanji {

// Organisation names: no randomness, so a code always gets the same name.
std::string TownshipName(int t);
std::string VillageName(int k);

class CountyFiles {
 public:
  CountyFiles(const Config& config, int townships, int villages_per_township);

  void AddTownship(const std::string& township_id, int t);
  // The village_index-th village (0-based, in county order) of township t.
  void AddVillage(const std::string& village_id, int village_index,
                  const std::string& township_id, int t,
                  const VillageResult& r);
  // Adds the county totals to the manifest and writes the three files into
  // `dir`; false, with `error` set, on failure. Prints the one-line summary.
  bool Finish(const std::string& dir, std::string* error);

 private:
  void AddTotals();

  const Config& config_;
  const int townships_;
  std::string orgs_, population_, manifest_;
  LiveTotals live_;  // county totals after every import
  int villages_ = 0, records_ = 0, bad_ = 0, duplicates_ = 0, voids_ = 0;
  int replacements_ = 0;
  int64_t total_ = 0;  // records counting after the corrections
};

}  // namespace sanji

#endif  // SANJI_TOOLS_COUNTY_FILES_H_

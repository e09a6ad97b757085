// What the county knows about organisations: Chinese names (--orgs) and
// populations
// (--population), both optional CSV files loaded at start.
#ifndef SANJI_COUNTY_HUB_ORG_DIRECTORY_H_
#define SANJI_COUNTY_HUB_ORG_DIRECTORY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sanji {

struct Population {
  int64_t residents = 0;
  int64_t children_0_6 = 0;
  int64_t elderly_65plus = 0;
  int64_t health_records_on_file = 0;
};

class OrgDirectory {
 public:
  // CSV "org_id,name" (UTF-8, header row, BOM allowed). Errors name the file
  // and line.
  absl::Status LoadNames(const std::string& path);
  // CSV
  // "org_id,year,residents,children_0_6,elderly_65plus,health_records_on_file",
  // one row per village and year.
  absl::Status LoadPopulation(const std::string& path);
  // Same, from text already in memory (tests, and the loaders above).
  absl::Status ParseNames(absl::string_view source, absl::string_view csv);
  absl::Status ParsePopulation(absl::string_view source, absl::string_view csv);

  // Empty when unknown.
  std::string Name(absl::string_view org_id) const;
  // The village's population for `year`, if the file has it.
  std::optional<Population> PopulationOf(absl::string_view village_id,
                                         int year) const;
  // Every org id named in either file.
  const std::map<std::string, std::string>& names() const { return names_; }
  std::vector<std::string> PopulationVillages() const;

 private:
  std::map<std::string, std::string> names_;
  std::map<std::pair<std::string, int>, Population> population_;
};

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_ORG_DIRECTORY_H_

#include "county_hub/hub_layout.h"

#include "absl/strings/str_cat.h"

namespace sanji::hub_layout {

StoreOptions Options(const std::string& county_id) {
  StoreOptions options;
  options.format = {"county_hub", 1, "county_id"};
  options.column_families = {kCells, kAlerts, kActivity, kArrivals, kTotals};
  options.owner = county_id;
  return options;
}

std::string ArrivalKey(absl::string_view village_id, absl::string_view day) {
  return absl::StrCat(village_id, "|", day);
}

}  // namespace sanji::hub_layout

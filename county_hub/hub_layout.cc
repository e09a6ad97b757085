#include "county_hub/hub_layout.h"

namespace sanji::hub_layout {

StoreOptions Options(const std::string& county_id) {
  StoreOptions options;
  options.format = {"county_hub", 1, "county_id"};
  options.column_families = {kCells, kAlerts};
  options.owner = county_id;
  return options;
}

}  // namespace sanji::hub_layout

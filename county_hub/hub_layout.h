// The county hub's store: what CountyCellStore and CountyAlertBook keep in
// RocksDB. Store format "county_hub" 1 (common/storage.cc); the store's owner
// is the county.
//
//    family "default":
//      "county_id" -> county code   only in stores from before format marks:
//                                   their owner (read only)
//    family "cells":
//      cell_key    -> cell_value    every township's rollup cells, the value
//                                   of the highest version received
//    family "alerts":
//      record_key  -> AlertEntry    proto/rollup_sync.proto: the township's
//                                   alert, its county id, receipt, review and
//                                   change number
//
// cell_key, cell_value and record_key are common/rollup_layout.h's, the same
// as in the township's store.
#ifndef SANJI_COUNTY_HUB_HUB_LAYOUT_H_
#define SANJI_COUNTY_HUB_HUB_LAYOUT_H_

#include <string>

#include "common/storage.h"

namespace sanji::hub_layout {

inline constexpr char kCells[] = "cells";
inline constexpr char kAlerts[] = "alerts";

// The store options of a county's store (format, families, owner).
StoreOptions Options(const std::string& county_id);

}  // namespace sanji::hub_layout

#endif  // SANJI_COUNTY_HUB_HUB_LAYOUT_H_

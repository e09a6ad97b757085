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
//    family "activity":
//      activity_key -> activity_value  the townships' activity
//                                   (proto/rollup_sync.proto), the value of
//                                   the highest version received
//    family "arrivals":
//      arrival_key -> fixed64be(t)  t: local civil seconds (common/period.h)
//                                   when the county last stored a change of
//                                   the village's cells of that day
//    family "totals":
//      county_hub/period_totals.h's index of the cells by calendar period,
//                                   derived from "cells" in the same
//                                   WriteBatch
//    family "alerts":
//      record_key  -> AlertEntry    proto/rollup_sync.proto: the township's
//                                   alert, its county id, receipt, review and
//                                   change number
//
//    arrival_key := village_id '|' day_key      day_key "YYYY-MM-DD"
//
// cell_key, cell_value, record_key, activity_key and activity_value are
// common/rollup_layout.h's, the same as in the township's store. Cells,
// activity and arrivals of one batch are written in one synced WriteBatch.
// The activity and arrivals families came after format 1's first stores,
// which open with them empty (their cells have no receipt times). The totals
// family came later still: CountyCellStore::Open builds it from the cells of
// a store that lacks it (period_totals.h).
#ifndef SANJI_COUNTY_HUB_HUB_LAYOUT_H_
#define SANJI_COUNTY_HUB_HUB_LAYOUT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "common/storage.h"

namespace sanji::hub_layout {

inline constexpr char kCells[] = "cells";
inline constexpr char kAlerts[] = "alerts";
inline constexpr char kActivity[] = "activity";
inline constexpr char kArrivals[] = "arrivals";
inline constexpr char kTotals[] = "totals";

std::string ArrivalKey(absl::string_view village_id, absl::string_view day);

// The store options of a county's store (format, families, owner).
StoreOptions Options(const std::string& county_id);

}  // namespace sanji::hub_layout

#endif  // SANJI_COUNTY_HUB_HUB_LAYOUT_H_

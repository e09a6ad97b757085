// How `county_hub alerts` prints the line list: one JSON object per line for
// programs, or one line per case in Chinese for people (spec/interfaces.md
// "county_hub alerts").
//
// Thread-safety: pure functions.
#ifndef SANJI_COUNTY_HUB_ALERT_FORMAT_H_
#define SANJI_COUNTY_HUB_ALERT_FORMAT_H_

#include <string>
#include <vector>

#include "proto/rollup_sync.pb.h"

namespace sanji {

// "new", "reviewed" or "withdrawn" (withdrawn wins: the case was voided).
std::string AlertStatusName(const AlertEntry& entry);

// One JSON object, no newline: id, village_id, village_name, township_id,
// record_id, disease, disease_zh, class, urgent, occurred_at, sex, age,
// received_at, status, reviewed_by, reviewed_at.
std::string AlertJson(const AlertEntry& entry);

// One line for people, no newline, e.g.
// "#3  2025-06-01 10:00  霍乱 甲类 紧急  640522100201 某村  男 34岁  待审核".
std::string AlertText(const AlertEntry& entry);

// Newest case first (occurred_at, then id).
void SortNewestFirst(std::vector<AlertEntry>* entries);

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_ALERT_FORMAT_H_

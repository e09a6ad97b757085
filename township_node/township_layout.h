// The township node's store: what TownshipAggregator keeps in RocksDB, and the
// only functions that build and read its keys and values. Store format
// "township_node" 1 (common/storage.cc); the store's owner is the township.
//
//    family "default":
//      "version"          -> fixed64be(v)    the last batch version given out
//      watermark_key      -> fixed64be(seq)  highest contiguous seq applied
//      counter_key        -> fixed64be(n)    records counted, for `status`
//      "township_id"      -> township code   only in stores from before format
//                                            marks: their owner (read only)
//    family "records":
//      record_key         -> stored_record   every record applied
//    family "patients":
//      followup_key       -> on_target       one follow-up of a patient
//    family "cells":
//      cell_key           -> cell_value      the township's rollup cells
//    family "changed":
//      cell_key           -> ""              the county lacks this value
//    family "alerts":
//      record_key         -> Alert           proto/rollup_sync.proto
//    family "alerts_changed":
//      record_key         -> ""              the county lacks this alert
//
//    watermark_key := "wm|" village_id '|' fixed64be(epoch)
//    counter_key   := "count|" ("applied" | "duplicates" | "conflicts" |
//                               "refused")
//    followup_key  := followup_prefix ordered_int64(occurred_at) record_id
//    followup_prefix := village_id '|' kind '|' length_prefixed(patient_id)
//    on_target     := '1' | '0'
//
// record_key, cell_key and cell_value are common/rollup_layout.h's,
// stored_record common/stored_record.h's, and the integer encodings
// common/key_codec.h's. A followup_prefix holds one patient's follow-ups of
// one kind in time order: the distinct-patient cells are recomputed from it.
// A batch changes the records, patients, cells, their marks, the counters,
// the version and the watermark in one synced write.
#ifndef SANJI_TOWNSHIP_NODE_TOWNSHIP_LAYOUT_H_
#define SANJI_TOWNSHIP_NODE_TOWNSHIP_LAYOUT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "common/storage.h"

namespace sanji::township_layout {

inline constexpr char kRecords[] = "records";
inline constexpr char kPatients[] = "patients";
inline constexpr char kCells[] = "cells";
inline constexpr char kChanged[] = "changed";
inline constexpr char kAlerts[] = "alerts";
inline constexpr char kAlertsChanged[] = "alerts_changed";
inline constexpr char kVersionKey[] = "version";

// The store options of a township's store (format, families, owner).
StoreOptions Options(const std::string& township_id);

std::string WatermarkKey(absl::string_view village_id, uint64_t epoch);
// False unless `key` is a watermark key.
bool DecodeWatermarkKey(absl::string_view key, std::string* village_id,
                        uint64_t* epoch);
std::string CounterKey(absl::string_view name);
// False unless `key` is a counter key; *name views into `key`.
bool DecodeCounterKey(absl::string_view key, absl::string_view* name);

std::string FollowupPrefix(absl::string_view village_id, absl::string_view kind,
                           absl::string_view patient_id);
std::string FollowupKey(absl::string_view prefix, int64_t occurred_at,
                        absl::string_view record_id);
// Decodes what follows `prefix` in a followup key; false when malformed.
bool DecodeFollowupKey(absl::string_view key, absl::string_view prefix,
                       int64_t* occurred_at, absl::string_view* record_id);
// The first followup key of `prefix` at or after `occurred_at`.
std::string FollowupSeekKey(absl::string_view prefix, int64_t occurred_at);
std::string EncodeOnTarget(bool on_target);
bool DecodeOnTarget(absl::string_view value);

}  // namespace sanji::township_layout

#endif  // SANJI_TOWNSHIP_NODE_TOWNSHIP_LAYOUT_H_

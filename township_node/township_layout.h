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
//      "occurred_index"   -> "1"             family "occurred" holds every
//                                            counted record (stores from
//                                            before it are indexed at open)
//    family "records":
//      record_key         -> stored_record   every record applied
//    family "patients":
//      followup_key       -> on_target       one follow-up of a patient
//    family "cells":
//      cell_key           -> cell_value      the township's rollup cells
//    family "occurred":
//      occurred_key       -> ""              one counted (new, not voided)
//                                            record
//    family "changed":
//      cell_key           -> ""              the county lacks this value
//    family "activity":
//      activity_key       -> activity_value  what the county's completeness
//                                            report needs
//    family "activity_changed":
//      activity_key       -> ""              the county lacks this value
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
//    occurred_key  := village_id '|' ordered_int64(occurred_at) record_id
//
// record_key, cell_key, cell_value, activity_key and activity_value are
// common/rollup_layout.h's,
// stored_record common/stored_record.h's, and the integer encodings
// common/key_codec.h's. A followup_prefix holds one patient's follow-ups of
// one kind in time order: the distinct-patient cells are recomputed from it.
// Activity is kept and forwarded like cells, with versions from the same
// counter (the forwarder sends it as CellBatch.activity). The occurred family
// orders a village's counted records by time, so a day's latest is one seek
// away after a void. A batch changes the records, patients, occurred, cells,
// activity, their marks, the counters, the version and the watermark in one
// synced write. The occurred and activity families came after format 1's
// first stores: opened, such a store is indexed once (occurred_index).
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
inline constexpr char kOccurred[] = "occurred";
inline constexpr char kActivity[] = "activity";
inline constexpr char kActivityChanged[] = "activity_changed";
inline constexpr char kVersionKey[] = "version";
inline constexpr char kOccurredIndexKey[] = "occurred_index";

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
std::string OccurredKey(absl::string_view village_id, int64_t occurred_at,
                        absl::string_view record_id);
// The first occurred key of `village_id` at or after `occurred_at`.
std::string OccurredSeekKey(absl::string_view village_id, int64_t occurred_at);
// Decodes an occurred key of `village_id`; false when it is not one.
bool DecodeOccurredKey(absl::string_view key, absl::string_view village_id,
                       int64_t* occurred_at);

std::string EncodeOnTarget(bool on_target);
bool DecodeOnTarget(absl::string_view value);

}  // namespace sanji::township_layout

#endif  // SANJI_TOWNSHIP_NODE_TOWNSHIP_LAYOUT_H_

// The village agent's store: what RecordIntake keeps in RocksDB, and the only
// functions that build and read its keys and values. Store format
// "village_agent" 1 (common/storage.cc); the store's owner is the village.
//
//    family "default":
//      "epoch"     -> fixed64be(epoch)   non-zero, random, chosen when the
//                                        store is created; names its seqs
//      "last_seq"  -> fixed64be(seq)     the newest record accepted
//      "acked_seq" -> fixed64be(seq)     the township's watermark, as last
//                                        acknowledged (written unsynced)
//      "village_id" -> village code      only in stores from before format
//                                        marks: their owner (read, never
//                                        written)
//    family "records":
//      record_id   -> stored_record      every record accepted, for
//                                        de-duplication
//                                        (common/stored_record.h)
//    family "outbox":
//      seq_key     -> SeqRecord          accepted, not yet acknowledged
//    family "urgent":
//      seq_key     -> SeqRecord          urgent reports (also in the outbox)
//                                        not yet handled on the fast lane
//    seq_key       := fixed64be(seq)     so the outbox reads in seq order
//
// SeqRecord is proto/village_sync.proto's; seqs start at 1 in every epoch.
// An acknowledgement deletes the outbox's and the urgent queue's range up to
// the watermark and moves acked_seq, in one write.
#ifndef SANJI_VILLAGE_AGENT_INTAKE_LAYOUT_H_
#define SANJI_VILLAGE_AGENT_INTAKE_LAYOUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/storage.h"

namespace sanji::intake_layout {

inline constexpr char kRecords[] = "records";
inline constexpr char kOutbox[] = "outbox";
inline constexpr char kUrgent[] = "urgent";
inline constexpr char kEpochKey[] = "epoch";
inline constexpr char kLastSeqKey[] = "last_seq";
inline constexpr char kAckedSeqKey[] = "acked_seq";

// The store options of a village's store (format, families, owner).
StoreOptions Options(const std::string& village_id);

std::string SeqKey(uint64_t seq);
// False unless `key` is a seq key.
bool DecodeSeqKey(absl::string_view key, uint64_t* seq);

}  // namespace sanji::intake_layout

#endif  // SANJI_VILLAGE_AGENT_INTAKE_LAYOUT_H_

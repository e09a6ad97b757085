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
//      seq_key     -> seq_record         accepted, not yet acknowledged
//    family "urgent":
//      seq_key     -> seq_record         urgent reports (also in the outbox)
//                                        not yet handled on the fast lane
//    seq_key       := fixed64be(seq)     so the outbox reads in seq order
//    seq_record    := 0x08 varint(seq) 0x12 varint(len) record
//                                        a serialized SeqRecord
//                                        (proto/village_sync.proto) with
//                                        fields 1 and 2, record the `len`
//                                        bytes of a serialized Record
//
// seqs start at 1 in every epoch. seq_record is put together from the
// record's bytes (OutboxValue) rather than by serializing a SeqRecord, so
// that an accepted record is serialized once; it is read as a SeqRecord.
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
// seq_record of `seq` (>= 1) and a serialized Record.
std::string OutboxValue(uint64_t seq, absl::string_view record_bytes);
// False unless `key` is a seq key.
bool DecodeSeqKey(absl::string_view key, uint64_t* seq);

}  // namespace sanji::intake_layout

#endif  // SANJI_VILLAGE_AGENT_INTAKE_LAYOUT_H_

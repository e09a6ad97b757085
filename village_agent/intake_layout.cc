#include "village_agent/intake_layout.h"

#include "common/key_codec.h"

namespace sanji::intake_layout {

StoreOptions Options(const std::string& village_id) {
  StoreOptions options;
  options.format = {"village_agent", 1, "village_id"};
  options.column_families = {kRecords, kOutbox, kUrgent};
  options.owner = village_id;
  // A clinic PC: small memtables keep the agent's memory low while a month's
  // file is imported (the records and the outbox each take one), at the cost
  // of more, smaller flushes, which run beside the synced writes.
  options.write_buffer_bytes = size_t{2} << 20;
  options.block_cache_bytes = size_t{2} << 20;
  // Almost every record_id an import looks up is new.
  options.lookup_families = {kRecords};
  return options;
}

std::string SeqKey(uint64_t seq) { return EncodeFixed64BE(seq); }

namespace {

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

}  // namespace

std::string OutboxValue(uint64_t seq, absl::string_view record_bytes) {
  std::string out;
  out.reserve(record_bytes.size() + 22);
  out.push_back('\x08');  // field 1, varint
  AppendVarint(seq, &out);
  out.push_back('\x12');  // field 2, length-delimited
  AppendVarint(record_bytes.size(), &out);
  out.append(record_bytes.data(), record_bytes.size());
  return out;
}

bool DecodeSeqKey(absl::string_view key, uint64_t* seq) {
  return DecodeFixed64BE(key, seq);
}

}  // namespace sanji::intake_layout

#include "village_agent/intake_layout.h"

#include "common/key_codec.h"

namespace sanji::intake_layout {

StoreOptions Options(const std::string& village_id) {
  StoreOptions options;
  options.format = {"village_agent", 1, "village_id"};
  options.column_families = {kRecords, kOutbox, kUrgent};
  options.owner = village_id;
  return options;
}

std::string SeqKey(uint64_t seq) { return EncodeFixed64BE(seq); }

bool DecodeSeqKey(absl::string_view key, uint64_t* seq) {
  return DecodeFixed64BE(key, seq);
}

}  // namespace sanji::intake_layout

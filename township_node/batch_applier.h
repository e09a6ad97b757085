// BatchApplier: the township's work on one village batch, staged in
// StagedWrites (common/staged_writes.h) that TownshipAggregator writes,
// synced, with the batch's watermark (aggregator.h says what a batch changes
// and why).
//
// Later records of a batch must see what earlier ones did (a void after its
// record, two follow-ups of one patient), and the store is not written until
// the batch ends. Rather than index every staged Put for reading back
// (rocksdb::WriteBatchWithIndex, which cost more than the rest of a record's
// work), the applier reads each key from the store at most once and keeps
// what the batch made of it in memory: the records of the batch's ids (one
// MultiGet up front), each patient-year's follow-ups (one seek of a single
// iterator), the occurred keys it added or removed, and the sums of its cell
// changes, so that each changed cell is read and written once per batch.
//
// Thread-safety: none; one applier serves one batch under the aggregator's
// mutex. The store is not owned and must not be written while an applier
// reads it (its iterators see the store as it was when they were made).
#ifndef SANJI_TOWNSHIP_NODE_BATCH_APPLIER_H_
#define SANJI_TOWNSHIP_NODE_BATCH_APPLIER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/period.h"
#include "common/staged_writes.h"
#include "common/storage.h"
#include "proto/records.pb.h"
#include "proto/village_sync.pb.h"

namespace sanji {

// What the applier counts per record, under the names `status` shows.
struct BatchCounts {
  uint64_t applied = 0;
  uint64_t duplicates = 0;
  uint64_t conflicts = 0;
  uint64_t refused = 0;
};

class BatchApplier {
 public:
  BatchApplier(Store* store, std::string village_id);

  // Reads the stored records of the ids of `batch`'s records above
  // `after_seq` in one MultiGet, so that Apply finds them in memory.
  // Optional: Apply reads what was not prefetched.
  absl::Status Prefetch(const RecordBatch& batch, uint64_t after_seq);

  // Applies one record. `latest_valid`: the latest occurred_at the township
  // accepts (its clock plus the skew it allows a village).
  absl::Status Apply(const Record& record, absl::CivilSecond latest_valid);

  StagedWrites* batch() { return &batch_; }
  const BatchCounts& counts() const { return counts_; }
  // Cell key -> the sum of the batch's changes to it (zero sums included).
  const absl::flat_hash_map<std::string, int64_t>& cell_deltas() const {
    return deltas_;
  }
  // Each day whose counted records changed -> the latest occurred_at of the
  // village's counted records on it after the batch (0: none left).
  absl::StatusOr<std::map<absl::CivilDay, int64_t>> LatestOfTouchedDays();
  // The notifiable-disease records applied, each with whether it was
  // withdrawn (voided); one entry per record id, its last change.
  const std::vector<std::pair<Record, bool>>& alert_changes() const {
    return alerts_;
  }

 private:
  struct Followup {
    int64_t at;
    std::string record_id;
    bool on_target;
  };

  // The stored record of `key` as the batch has it (nullopt: none).
  absl::StatusOr<std::optional<std::string>*> StoredRecord(
      const std::string& key);
  void StageOccurred(const Record& record, bool present);
  void StageAlert(const std::string& key, const Record& record, bool withdrawn);
  // A void of the record stored as *stored under `key`.
  absl::Status ApplyVoid(const std::string& key,
                         std::optional<std::string>* stored);
  absl::Status AddEffects(const Record& record, int sign);
  // The follow-ups of `prefix` within `year`, in time order, as the batch
  // has them.
  absl::StatusOr<std::vector<Followup>*> Followups(const std::string& prefix,
                                                   const Period& year);
  absl::StatusOr<int64_t> LatestCountedAt(absl::CivilDay day);
  rocksdb::Iterator* StoreIterator(rocksdb::ColumnFamilyHandle* family,
                                   std::unique_ptr<rocksdb::Iterator>* it);

  Store* const store_;
  const std::string village_;
  rocksdb::ColumnFamilyHandle* const records_;
  rocksdb::ColumnFamilyHandle* const patients_;
  rocksdb::ColumnFamilyHandle* const occurred_;
  StagedWrites batch_;
  BatchCounts counts_;
  // Record key -> its stored value as the batch sees it.
  absl::flat_hash_map<std::string, std::optional<std::string>> records_seen_;
  // Follow-up prefix + year key -> that patient-year's follow-ups.
  absl::flat_hash_map<std::string, std::vector<Followup>> followups_;
  // Occurred key -> whether the batch added (true) or removed (false) it.
  std::map<std::string, bool> occurred_staged_;
  std::set<absl::CivilDay> touched_days_;
  absl::flat_hash_map<std::string, int64_t> deltas_;
  // (record, withdrawn) in the order first changed; record key -> index.
  std::vector<std::pair<Record, bool>> alerts_;
  absl::flat_hash_map<std::string, size_t> alert_index_;
  std::unique_ptr<rocksdb::Iterator> patients_it_;
  std::unique_ptr<rocksdb::Iterator> occurred_it_;
};

}  // namespace sanji

#endif  // SANJI_TOWNSHIP_NODE_BATCH_APPLIER_H_

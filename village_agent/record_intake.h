// RecordIntake: the village agent's durable store of what the clinic recorded.
//
// Accepting a row means: parse and validate it, refuse a conflicting record_id,
// give it the next sequence number of this epoch, and write the record, its
// outbox entry and the new sequence number in one synced WriteBatch. Only then
// is the row reported accepted, so an accepted record survives kill -9 and
// power loss. The outbox is what the uploader sends to the township; entries
// are removed when the township acknowledges them.
//
// Idempotency key of every record: (village_id, epoch, seq). The epoch is
// chosen at random when the data directory is created, so a wiped agent never
// reuses a (epoch, seq).
//
// The store's layout is village_agent/intake_layout.h.
//
// Urgent notifiable-disease reports (common/alert_rules.h) are also written,
// in the same batch, to an urgent queue keyed by their seq. The uploader sends
// that queue ahead of the outbox; an entry leaves it when the township
// acknowledges it on the fast lane or when the ordinary watermark passes it.
//
// Thread-safety: all methods are thread-safe; Submit calls are serialized
// internally so that sequence numbers stay contiguous.
#ifndef SANJI_VILLAGE_AGENT_RECORD_INTAKE_H_
#define SANJI_VILLAGE_AGENT_RECORD_INTAKE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/record_parse.h"
#include "common/storage.h"
#include "proto/village_sync.pb.h"

namespace sanji {

struct IntakeOptions {
  std::string village_id;
  // Budget for records waiting to sync; new rows are refused beyond it.
  uint64_t max_buffer_bytes = uint64_t{256} << 20;
  // New rows are refused when the disk has less free space than this.
  uint64_t min_free_disk_bytes = uint64_t{16} << 20;
  rocksdb::Env* env = nullptr;  // tests: simulated power loss
};

class RecordIntake {
 public:
  static absl::StatusOr<std::unique_ptr<RecordIntake>> Open(
      const std::string& dir, const IntakeOptions& options);

  // One outcome per row, in order; every ACCEPTED row is durable when this
  // returns. RESOURCE_EXHAUSTED (nothing accepted) when the buffer budget is
  // spent or the disk is full.
  absl::StatusOr<std::vector<RowOutcome>> Submit(
      const std::vector<RawRow>& rows);
  // The same for the rows of a request, without copying them.
  absl::StatusOr<std::vector<RowOutcome>> Submit(
      const google::protobuf::RepeatedPtrField<RawRow>& rows);
  // The same for the rows of a table; INVALID_ARGUMENT (nothing judged) when
  // the table is not one (a column named twice, a row with more cells than
  // columns).
  absl::StatusOr<std::vector<RowOutcome>> Submit(const RowTable& table);

  // Up to `max_records` outbox entries with seq > after_seq, in seq order.
  absl::Status ReadPending(uint64_t after_seq, size_t max_records,
                           std::vector<SeqRecord>* out) const;
  // The township has everything up to `watermark`: drop it from the outbox.
  absl::Status Acknowledge(uint64_t watermark);
  // Blocks until a record with seq > after_seq exists or `timeout` passes.
  bool WaitForRecordsAfter(uint64_t after_seq, absl::Duration timeout) const;

  // Up to `max_records` urgent entries with seq > after_seq, in seq order.
  absl::Status ReadUrgent(uint64_t after_seq, size_t max_records,
                          std::vector<SeqRecord>* out) const;
  // The township has alerted these urgent seqs: drop them from the queue.
  absl::Status AcknowledgeUrgent(const std::vector<uint64_t>& seqs);
  // Called after every Submit that accepted a row, so a sender can wake up at
  // once. It runs while Submits are still serialized, so it must be quick and
  // must not call Submit. Set before the uploader starts.
  void SetOnAccepted(std::function<void()> on_accepted);

  const std::string& village_id() const { return options_.village_id; }
  uint64_t epoch() const { return epoch_; }
  uint64_t last_seq() const;
  uint64_t acked_seq() const;
  uint64_t pending_bytes() const;
  uint64_t urgent_pending() const;
  uint64_t db_bytes() const { return store_->ApproximateBytes(); }
  // Rows judged by Submit since Open, by result (RowOutcome::Result).
  struct Tally {
    uint64_t accepted = 0;
    uint64_t duplicate = 0;
    uint64_t rejected = 0;
  };
  Tally tally() const;

 private:
  // What one Submit has staged so far.
  struct PendingSubmit {
    rocksdb::WriteBatch batch;
    uint64_t next_seq = 0;
    uint64_t added_bytes = 0;
    std::vector<uint64_t> urgent;  // seqs of urgent reports
    // Records state written earlier in this batch, by record_id.
    absl::flat_hash_map<std::string, std::string> states;
  };

  RecordIntake(std::unique_ptr<Store> store, const IntakeOptions& options);
  // Submit of `count` rows whose cells `row_cells` gives by index.
  absl::StatusOr<std::vector<RowOutcome>> Judge(
      size_t count, absl::FunctionRef<void(size_t, RowCellList*)> row_cells);
  // Judges the parsed records (those present) against what is stored and
  // stages those accepted; fills their outcomes.
  absl::Status StageAll(const std::vector<std::optional<Record>>& parsed,
                        PendingSubmit* pending,
                        std::vector<RowOutcome>* outcomes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(submit_mu_);
  // Judges one parsed record against `stored` (its record_id's value before
  // this Submit) and what this Submit staged; stages it when accepted.
  absl::StatusOr<RowOutcome> Stage(const Record& record,
                                   const std::optional<std::string>& stored,
                                   PendingSubmit* pending)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(submit_mu_);
  absl::Status Load();
  void Count(const std::vector<RowOutcome>& outcomes) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status CheckBudget() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ReadEntries(rocksdb::ColumnFamilyHandle* family,
                           uint64_t after_seq, size_t max_records,
                           std::vector<SeqRecord>* out) const;

  std::unique_ptr<Store> store_;
  IntakeOptions options_;
  rocksdb::ColumnFamilyHandle* records_;
  rocksdb::ColumnFamilyHandle* outbox_;
  rocksdb::ColumnFamilyHandle* urgent_;
  std::function<void()> on_accepted_;
  uint64_t epoch_ = 0;

  absl::Mutex submit_mu_;  // serializes Submit (held across the synced write)
  mutable absl::Mutex mu_;
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t acked_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t pending_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<uint64_t> urgent_seqs_ ABSL_GUARDED_BY(mu_);  // queued urgent seqs
  Tally tally_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sanji

#endif  // SANJI_VILLAGE_AGENT_RECORD_INTAKE_H_

// TownshipAggregator: applies village records exactly once and keeps the rollup
// cells.
//
// For each (village, epoch) it keeps the highest contiguous seq applied (the
// watermark). A batch is applied in one synced WriteBatch holding the raw
// records, the per-patient state, the new cell values, their "changed" marks
// for the forwarder and the new watermark, so a crash at any point leaves
// either all of a batch or none of it; a resend below the watermark is ignored.
// Raw records are keyed by (village, record_id): a record re-sent under a new
// epoch (an agent whose data directory was recreated) with the same content is
// recognised and not counted again.
//
// Cells follow common/catalogue.h: count/sum indicators per day, distinct
// indicators per calendar period, recomputed from per-patient follow-up state
// so that voids and late records give exact values. Every changed cell gets the
// batch's version (a per-township counter), so the county can apply cells
// idempotently and in any order.
//
// For the county's completeness report it also keeps, as activity marked and
// forwarded like cells (township_layout.h), each village's last sync
// time and the latest counted occurred_at of each of its days, from an index
// of the counted records by time that voids update.
//
// Notifiable-disease reports also become alerts (common/alert_rules.h), keyed
// by (village, record_id) and forwarded ahead of cells: urgent ones arrive
// early on the village's fast lane (ApplyUrgent) and again in their batch; a
// void withdraws the alert. A key, once present, is never created again, so
// the two copies and any replays give one alert.
//
// Thread-safety: all methods are thread-safe (one internal mutex serializes
// state changes).
#ifndef SANJI_TOWNSHIP_NODE_AGGREGATOR_H_
#define SANJI_TOWNSHIP_NODE_AGGREGATOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/period.h"
#include "common/staged_writes.h"
#include "common/storage.h"
#include "proto/rollup_sync.pb.h"
#include "proto/village_sync.pb.h"

namespace sanji {

struct AggregatorOptions {
  std::string township_id;
  uint64_t max_buffer_bytes = uint64_t{1024}
                              << 20;  // data held; beyond it syncs are refused
  uint64_t min_free_disk_bytes = uint64_t{16} << 20;
  rocksdb::Env* env = nullptr;  // tests: simulated power loss
  // The local time a village's sync is stamped with (its last_sync_at); a
  // parameter so that tests can give exact times.
  std::function<absl::CivilSecond()> clock = NowLocal;
};

class TownshipAggregator {
 public:
  static absl::StatusOr<std::unique_ptr<TownshipAggregator>> Open(
      const std::string& dir, const AggregatorOptions& options);

  // Highest contiguous seq applied for (village, epoch); 0 if none.
  uint64_t Watermark(const std::string& village_id, uint64_t epoch) const;

  // Applies the records of `batch` with seq above the watermark, in order; they
  // must continue it without a gap (ABORTED otherwise: resend from the
  // watermark). Durable on
  // return; returns the new watermark. RESOURCE_EXHAUSTED when the buffer
  // budget or the disk is spent.
  absl::StatusOr<uint64_t> ApplyBatch(const std::string& village_id,
                                      uint64_t epoch, const RecordBatch& batch);

  // Turns the urgent reports of `urgent` into alerts (an alert that already
  // exists, active or withdrawn, is left alone). Durable on return; returns
  // the seqs handled, which the village may drop from its urgent queue.
  absl::StatusOr<std::vector<uint64_t>> ApplyUrgent(
      const std::string& village_id, const RecordBatch& urgent);

  // Up to `max_alerts` alerts the county lacks, urgent ones first.
  absl::Status ReadChangedAlerts(size_t max_alerts, std::vector<Alert>* out);
  // The county has stored `alerts`; clears their marks unless they changed
  // again since.
  absl::Status MarkAlertsForwarded(const std::vector<Alert>& alerts);

  // Up to `max_cells` changed cells not yet acknowledged by the county, with
  // current values.
  absl::Status ReadChangedCells(size_t max_cells, std::vector<Cell>* out);
  // The county has stored `cells`; clears their marks unless they changed again
  // since.
  absl::Status MarkForwarded(const std::vector<Cell>& cells);
  // The same for the activity (proto/rollup_sync.proto) the county lacks.
  absl::Status ReadChangedActivity(size_t max_activity, std::vector<Cell>* out);
  absl::Status MarkActivityForwarded(const std::vector<Cell>& activity);
  // Waits until there may be changed cells, activity or alerts to forward, or
  // `timeout`.
  void WaitForChanges(absl::Duration timeout) const;

  void FillStatus(TownshipStatus* status) const;
  uint64_t cells_pending() const;

 private:
  // The keys of one marks family ("the county lacks this",
  // township_layout.h), mirrored in memory from open on, so that neither a
  // batch nor the forwarder reads the family: it is a queue rewritten by
  // every batch, and a scan of it steps over every deleted version of its
  // keys (once a third of the township's work).
  struct MarkedKeys {
    rocksdb::ColumnFamilyHandle* family = nullptr;
    std::set<std::string> keys;
  };
  // The marks a write adds, entered into their MarkedKeys once it is
  // durable.
  class Marking {
   public:
    // Stages the mark of `key` unless it is marked already.
    void Mark(StagedWrites* wb, MarkedKeys* marks, const std::string& key);
    void Commit();

   private:
    std::vector<std::pair<MarkedKeys*, std::string>> added_;
  };

  TownshipAggregator(std::unique_ptr<Store> store,
                     const AggregatorOptions& options);
  absl::Status Load();
  absl::Status CheckBudget() const;
  // Up to `max_cells` entries of `values` marked in `marks`, resuming after
  // *cursor and moving it.
  absl::Status ReadMarked(rocksdb::ColumnFamilyHandle* values,
                          const MarkedKeys& marks, size_t max_cells,
                          std::string* cursor, std::vector<Cell>* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Clears the marks of the `forwarded` entries of `values` whose version is
  // still the one sent.
  absl::Status ClearForwarded(rocksdb::ColumnFamilyHandle* values,
                              MarkedKeys* marks,
                              const std::vector<Cell>& forwarded)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deletes the marks of `keys` in `marks` that exist.
  absl::Status ClearMarks(MarkedKeys* marks, std::vector<std::string> keys)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Puts into `wb` each cell of `deltas` whose sum is not zero, with its new
  // value, `version` and the county's mark.
  absl::Status StageCells(
      StagedWrites* wb, const absl::flat_hash_map<std::string, int64_t>& deltas,
      uint64_t version, Marking* marking) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Puts into `wb`, with `version` and the county's marks, the last_record_at
  // of each of `village_id`'s days in `latest_of_days` whose value changed
  // and, when synced_at > 0, the village's last_sync_at
  // (proto/rollup_sync.proto "activity").
  absl::Status StageActivity(
      StagedWrites* wb, const std::string& village_id,
      const std::map<absl::CivilDay, int64_t>& latest_of_days,
      int64_t synced_at, uint64_t version, Marking* marking)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fills the occurred family (and the activity cells) from the records of a
  // store from before it existed; once, at open.
  absl::Status IndexOldRecords() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Puts the alert of `record` (withdrawn or not) into `wb` with `version`,
  // marking it for the county. With only_if_new, an existing alert is kept.
  // Reads the store, not `wb`: stage each record id once per batch.
  absl::Status StageAlert(StagedWrites* wb, const std::string& village_id,
                          const Record& record, bool withdrawn,
                          bool only_if_new, uint64_t version, Marking* marking)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::unique_ptr<Store> store_;
  AggregatorOptions options_;

  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, uint64_t>, uint64_t> watermarks_
      ABSL_GUARDED_BY(mu_);
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  MarkedKeys cell_marks_ ABSL_GUARDED_BY(mu_);
  MarkedKeys activity_marks_ ABSL_GUARDED_BY(mu_);
  MarkedKeys alert_marks_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> counters_ ABSL_GUARDED_BY(mu_);
  std::string forward_cursor_ ABSL_GUARDED_BY(mu_);
  std::string activity_cursor_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sanji

#endif  // SANJI_TOWNSHIP_NODE_AGGREGATOR_H_

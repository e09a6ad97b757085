// CountyCellStore: the county's copy of every township's rollup cells.
//
// ApplyBatch keeps, per cell, the value with the highest version, so
// duplicated, replayed or reordered batches change nothing. A batch is
// validated whole (every cell must belong to a village of the sending township
// and name a known cell indicator and period) and written in one synced
// WriteBatch before it is acknowledged, together with the batch's activity
// (highest version too) and the receipt time of every village day whose cells
// it changed (for completeness: county_hub/completeness.h) and the changes of
// the period index the reports read (county_hub/period_totals.h). The store's
// layout is county_hub/hub_layout.h.
//
// Thread-safety: thread-safe; writes are serialized internally.
#ifndef SANJI_COUNTY_HUB_CELL_STORE_H_
#define SANJI_COUNTY_HUB_CELL_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/storage.h"
#include "county_hub/hub_layout.h"
#include "county_hub/period_totals.h"
#include "proto/rollup_sync.pb.h"

namespace sanji {

class CountyCellStore {
 public:
  static absl::StatusOr<std::unique_ptr<CountyCellStore>> Open(
      const std::string& dir, const std::string& county_id,
      rocksdb::Env* env = nullptr);
  absl::Status ApplyBatch(const std::string& township_id,
                          const CellBatch& batch);
  // The check ApplyBatch makes on every cell of `batch`, for callers that must
  // refuse a whole batch before storing any other part of it (its alerts).
  static absl::Status ValidateBatch(const std::string& township_id,
                                    const CellBatch& batch);
  void FillStatus(HubStatus* status) const;
  // The clock that stamps receipt times, in local civil seconds. Whether data
  // arrived "on time" depends on it, and tests (and `serve
  // --now_for_tests`) must make data arrive days late without waiting days.
  // Call before any batch.
  void SetClockForTests(std::function<int64_t()> clock) {
    clock_ = std::move(clock);
  }

  const Store* store() const { return store_.get(); }
  Store* mutable_store() { return store_.get(); }
  rocksdb::ColumnFamilyHandle* cells() const {
    return store_->Family(hub_layout::kCells);
  }
  rocksdb::ColumnFamilyHandle* activity() const {
    return store_->Family(hub_layout::kActivity);
  }
  rocksdb::ColumnFamilyHandle* arrivals() const {
    return store_->Family(hub_layout::kArrivals);
  }

 private:
  explicit CountyCellStore(std::unique_ptr<Store> store, std::string county_id)
      : store_(std::move(store)), county_id_(std::move(county_id)) {}
  // Puts into `write` the `cells` newer than `family` holds, counting those
  // it lacked in *added and, when `arrived` is given, adding the arrival key
  // of each day whose value changed; when `totals` is given, adding each
  // change to it (county_hub/period_totals.h).
  absl::Status StageNewer(const google::protobuf::RepeatedPtrField<Cell>& cells,
                          rocksdb::ColumnFamilyHandle* family,
                          rocksdb::WriteBatch* write, uint64_t* max_version,
                          uint64_t* added, std::set<std::string>* arrived,
                          period_totals::Changes* totals)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::unique_ptr<Store> store_;
  std::string county_id_;
  std::function<int64_t()> clock_;
  mutable absl::Mutex mu_;
  std::map<std::string, TownshipProgress> progress_ ABSL_GUARDED_BY(mu_);
  uint64_t cell_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_CELL_STORE_H_

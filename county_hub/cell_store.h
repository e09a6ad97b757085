// CountyCellStore: the county's copy of every township's rollup cells.
//
// ApplyBatch keeps, per cell, the value with the highest version, so
// duplicated, replayed or reordered batches change nothing. A batch is
// validated whole (every cell must belong to a village of the sending township
// and name a known cell indicator and period) and written in one synced
// WriteBatch before it is acknowledged. The store's layout is
// county_hub/hub_layout.h.
//
// Thread-safety: thread-safe; writes are serialized internally.
#ifndef SANJI_COUNTY_HUB_CELL_STORE_H_
#define SANJI_COUNTY_HUB_CELL_STORE_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/storage.h"
#include "county_hub/hub_layout.h"
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

  const Store* store() const { return store_.get(); }
  Store* mutable_store() { return store_.get(); }
  rocksdb::ColumnFamilyHandle* cells() const {
    return store_->Family(hub_layout::kCells);
  }

 private:
  explicit CountyCellStore(std::unique_ptr<Store> store, std::string county_id)
      : store_(std::move(store)), county_id_(std::move(county_id)) {}

  std::unique_ptr<Store> store_;
  std::string county_id_;
  mutable absl::Mutex mu_;
  std::map<std::string, TownshipProgress> progress_ ABSL_GUARDED_BY(mu_);
  uint64_t cell_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_CELL_STORE_H_

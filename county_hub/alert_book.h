// CountyAlertBook: the county's line list of notifiable-disease cases
// (传染病个案一览), as de-identified alerts from the townships.
//
// One entry per (village, record_id). Apply keeps the alert with the highest
// version, so replays and reorders change nothing; the first receipt assigns a
// county-wide id and received_at, which later versions keep. Staff reviews are
// the county's own and survive new versions. Every change (new alert, new
// version, review) gets the next value of a change counter, which is the
// order WatchAlerts streams them in.
//
// Entries live in memory and in the "alerts" family of the hub's store (a
// county sees thousands of cases a year, not millions); every change is
// durable before it is visible.
//
// Thread-safety: thread-safe. The store is not owned and must outlive the book.
#ifndef SANJI_COUNTY_HUB_ALERT_BOOK_H_
#define SANJI_COUNTY_HUB_ALERT_BOOK_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/storage.h"
#include "google/protobuf/repeated_field.h"
#include "proto/rollup_sync.pb.h"

namespace sanji {

class CountyAlertBook {
 public:
  // Loads the entries kept in `store`'s "alerts" family.
  static absl::StatusOr<std::unique_ptr<CountyAlertBook>> Open(Store* store);

  // Validates every alert (a village of `township_id`, a known disease, a
  // plausible age...) and stores the new ones durably; nothing is applied if
  // any is invalid.
  absl::Status Apply(const std::string& township_id,
                     const google::protobuf::RepeatedPtrField<Alert>& alerts);

  // Records that `by` reviewed alert `id` now. NOT_FOUND for an unknown id.
  absl::StatusOr<AlertEntry> Review(uint64_t id, const std::string& by);

  // Entries whose last change is after `after_change` and whose occurred_at is
  // at least `since`, in change order. *covered (if not null) is set to the
  // newest change the scan saw, matching or not: the next call's after_change.
  std::vector<AlertEntry> ChangedAfter(uint64_t after_change, int64_t since,
                                       uint64_t* covered = nullptr) const;
  // The newest change so far (0 when empty).
  uint64_t last_change() const;
  // Blocks until a change after `after_change` exists, Close(), or `timeout`.
  void WaitForChange(uint64_t after_change, absl::Duration timeout) const;
  // Wakes every waiter for good (server shutdown).
  void Close();

  size_t size() const;

 private:
  explicit CountyAlertBook(Store* store);
  absl::Status Load();
  // Gives each entry the next change number, writes them all in one synced
  // batch, then indexes them.
  absl::Status Commit(std::vector<std::pair<std::string, AlertEntry>> changes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Store* store_;
  rocksdb::ColumnFamilyHandle* family_;
  mutable absl::Mutex mu_;
  std::map<std::string, AlertEntry> entries_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, std::string> by_change_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, std::string> by_id_ ABSL_GUARDED_BY(mu_);
  uint64_t last_change_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_ALERT_BOOK_H_

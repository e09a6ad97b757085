#include "township_node/rollup_batcher.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace sanji {

absl::StatusOr<std::optional<CellBatch>> RollupBatcher::Next() {
  alerts_.clear();
  cells_.clear();
  activity_.clear();
  RETURN_IF_ERROR(aggregator_->ReadChangedAlerts(kAlertsPerBatch, &alerts_));
  if (alerts_.empty()) {
    RETURN_IF_ERROR(aggregator_->ReadChangedCells(kCellsPerBatch, &cells_));
    RETURN_IF_ERROR(
        aggregator_->ReadChangedActivity(kActivityPerBatch, &activity_));
  }
  if (alerts_.empty() && cells_.empty() && activity_.empty()) {
    return std::nullopt;
  }
  CellBatch batch;
  batch.set_batch_id(++batch_id_);
  for (const Alert& a : alerts_) *batch.add_alerts() = a;
  for (const Cell& c : cells_) *batch.add_cells() = c;
  for (const Cell& a : activity_) *batch.add_activity() = a;
  return batch;
}

absl::Status RollupBatcher::Acknowledged(uint64_t acked_batch_id) {
  if (acked_batch_id != batch_id_) {
    return absl::InternalError(absl::StrCat("county acknowledged batch ",
                                            acked_batch_id, ", expected ",
                                            batch_id_));
  }
  absl::Status s = alerts_.empty() ? aggregator_->MarkForwarded(cells_)
                                   : aggregator_->MarkAlertsForwarded(alerts_);
  if (s.ok() && !activity_.empty()) {
    s = aggregator_->MarkActivityForwarded(activity_);
  }
  alerts_.clear();
  cells_.clear();
  activity_.clear();
  return s;
}

}  // namespace sanji

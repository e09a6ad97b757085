// RollupBatcher: what the township sends the county next, and what the
// county's acknowledgement of it clears. The forwarder (forwarder.h) sends its
// batches over the Push stream; the fuzzer (tests/fuzz/township_sync_fuzzer.cc)
// hands them to the county's PushSession directly.
//
// Cells and activity (township_layout.h) go in the same batches, the latter
// as CellBatch.activity. Alerts go first: while any wait, a batch carries only
// alerts (urgent first), so an alert waits behind at most the one cell batch in
// flight. A batch's marks are cleared only when the county acknowledges it
// (cells and alerts changed again since keep theirs). Batch ids count up from
// 1, as the protocol (proto/rollup_sync.proto) has them per stream: one batcher
// per stream.
//
// Thread-safety: one thread. The aggregator is not owned.
#ifndef SANJI_TOWNSHIP_NODE_ROLLUP_BATCHER_H_
#define SANJI_TOWNSHIP_NODE_ROLLUP_BATCHER_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/rollup_sync.pb.h"
#include "township_node/aggregator.h"

namespace sanji {

class RollupBatcher {
 public:
  // One batch is in flight, and each costs a synced write at the county and
  // one here: 8000 cells (~300 KiB) a batch drained 500 villages' cells in
  // 6.6 s where 2000 took 9.6 s (bench/scale.sh 100000 500), and an alert
  // behind a draining backlog still arrives in tens of ms (alert_latency).
  static constexpr size_t kCellsPerBatch = 8000;
  static constexpr size_t kAlertsPerBatch = 500;
  static constexpr size_t kActivityPerBatch = 2000;

  explicit RollupBatcher(TownshipAggregator* aggregator)
      : aggregator_(aggregator) {}

  // The next batch, or nullopt when nothing waits for the county.
  absl::StatusOr<std::optional<CellBatch>> Next();
  // The county acknowledged `acked_batch_id`: it must be the last batch of
  // Next() (INTERNAL otherwise); clears what that batch carried.
  absl::Status Acknowledged(uint64_t acked_batch_id);

 private:
  TownshipAggregator* const aggregator_;
  uint64_t batch_id_ = 0;
  std::vector<Alert> alerts_;  // of the batch in flight
  std::vector<Cell> cells_;
  std::vector<Cell> activity_;
};

}  // namespace sanji

#endif  // SANJI_TOWNSHIP_NODE_ROLLUP_BATCHER_H_

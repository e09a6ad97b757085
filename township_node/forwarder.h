// Forwarder: sends changed rollup cells and notifiable-disease alerts to the
// county over one long-lived stream.
//
// Alerts go first: while any wait, a batch carries only alerts (urgent first),
// so an alert waits behind at most the one cell batch in flight.
// Cells carry absolute values and versions, so a resend is harmless; a cell's
// "changed" mark is cleared only after the county acknowledges the batch
// durably stored. Reconnects back off with jitter. Works whether or not the
// county is reachable: changes wait in RocksDB.
//
// Thread-safety: Start/Stop from one thread; FillStatus from any.
#ifndef SANJI_TOWNSHIP_NODE_FORWARDER_H_
#define SANJI_TOWNSHIP_NODE_FORWARDER_H_

#include <memory>
#include <string>

#include "common/reconnect_loop.h"
#include "grpcpp/grpcpp.h"
#include "proto/rollup_sync.grpc.pb.h"
#include "township_node/aggregator.h"

namespace sanji {

class Forwarder {
 public:
  Forwarder(std::string township_id, std::string county,
            TownshipAggregator* aggregator);
  ~Forwarder();
  void Start();
  void Stop();
  void FillStatus(TownshipStatus* status) const;

 private:
  absl::Status RunStream(grpc::ClientContext* context, bool* progressed);

  std::string township_id_;
  std::string county_;
  TownshipAggregator* aggregator_;
  std::shared_ptr<grpc::Channel> channel_;
  ReconnectLoop loop_;
};

}  // namespace sanji

#endif  // SANJI_TOWNSHIP_NODE_FORWARDER_H_

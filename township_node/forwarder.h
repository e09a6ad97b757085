// Forwarder: sends changed rollup cells and notifiable-disease alerts to the
// county over one long-lived stream.
//
// What goes in each batch, and what an acknowledgement clears, is
// RollupBatcher's (rollup_batcher.h); the protocol is in
// proto/rollup_sync.proto. Cells carry absolute values and versions, so a
// resend is harmless. Reconnects back off as common/reconnect_loop.h says,
// keeping the county's status code. Works whether or not the county is
// reachable: changes wait in RocksDB.
//
// Thread-safety: Start/Stop from one thread; FillStatus from any.
#ifndef SANJI_TOWNSHIP_NODE_FORWARDER_H_
#define SANJI_TOWNSHIP_NODE_FORWARDER_H_

#include <memory>
#include <string>

#include "common/reconnect_loop.h"
#include "common/tls.h"
#include "grpcpp/grpcpp.h"
#include "proto/rollup_sync.grpc.pb.h"
#include "township_node/aggregator.h"

namespace sanji {

class Forwarder {
 public:
  Forwarder(std::string township_id, std::string county,
            TownshipAggregator* aggregator, LinkSecurity security = {});
  ~Forwarder();
  void Start();
  void Stop();
  void FillStatus(TownshipStatus* status) const;
  // How the last failed connection ended, with the peer's code (OK once the
  // link works again).
  absl::Status last_error() const { return loop_.last_error(); }

 private:
  absl::Status RunStream(grpc::ClientContext* context, bool* progressed);

  std::string township_id_;
  std::string county_;
  TownshipAggregator* aggregator_;
  const LinkSecurity security_;
  std::shared_ptr<grpc::Channel> channel_;
  ReconnectLoop loop_;
};

}  // namespace sanji

#endif  // SANJI_TOWNSHIP_NODE_FORWARDER_H_

// TownshipSync gRPC service: one stream per village, each a VillageSession
// (village_session.h; the protocol is in proto/village_sync.proto), urgent
// reports on their own unary call, and Status. On TLS, every call is
// authorized from the peer's certificate (common/authorization.h).
// Thread-safe; owns nothing.
#ifndef SANJI_TOWNSHIP_NODE_SYNC_SERVICE_H_
#define SANJI_TOWNSHIP_NODE_SYNC_SERVICE_H_

#include <optional>
#include <string>

#include "common/identity.h"
#include "proto/village_sync.grpc.pb.h"
#include "township_node/aggregator.h"
#include "township_node/forwarder.h"

namespace sanji {

class SyncService final : public TownshipSync::Service {
 public:
  // `self`: the node's identity on TLS, nullopt on plaintext.
  SyncService(std::string township_id, TownshipAggregator* aggregator,
              const Forwarder* forwarder,
              std::optional<Identity> self = std::nullopt)
      : township_id_(std::move(township_id)),
        aggregator_(aggregator),
        forwarder_(forwarder),
        self_(std::move(self)) {}

  grpc::Status Sync(grpc::ServerContext* context,
                    grpc::ServerReaderWriter<TownshipMessage, VillageMessage>*
                        stream) override;
  grpc::Status SendUrgent(grpc::ServerContext* context,
                          const UrgentReports* request,
                          UrgentAck* response) override;
  // The township's status, as `status` and /metrics show it.
  void FillStatus(TownshipStatus* status) const;

  grpc::Status Status(grpc::ServerContext* context,
                      const StatusRequest* request,
                      TownshipStatus* response) override;

 private:
  std::string township_id_;
  TownshipAggregator* aggregator_;
  const Forwarder* forwarder_;
  const std::optional<Identity> self_;
};

}  // namespace sanji

#endif  // SANJI_TOWNSHIP_NODE_SYNC_SERVICE_H_

#include "township_node/sync_service.h"

#include "common/net.h"
#include "township_node/village_session.h"

namespace sanji {

grpc::Status SyncService::Sync(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<TownshipMessage, VillageMessage>* stream) {
  VillageSession session(township_id_, aggregator_);
  return ServeSession(context, stream, &session);
}

grpc::Status SyncService::SendUrgent(grpc::ServerContext*,
                                     const UrgentReports* request,
                                     UrgentAck* response) {
  absl::StatusOr<UrgentAck> ack =
      VillageSession::HandleUrgent(township_id_, aggregator_, *request);
  if (!ack.ok()) return ToGrpc(ack.status());
  *response = std::move(*ack);
  return grpc::Status::OK;
}

grpc::Status SyncService::Status(grpc::ServerContext*, const StatusRequest*,
                                 TownshipStatus* response) {
  aggregator_->FillStatus(response);
  forwarder_->FillStatus(response);
  return grpc::Status::OK;
}

}  // namespace sanji

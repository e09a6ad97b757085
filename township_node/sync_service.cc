#include "township_node/sync_service.h"

#include "common/net.h"
#include "common/tls.h"
#include "township_node/village_session.h"

namespace sanji {

grpc::Status SyncService::Sync(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<TownshipMessage, VillageMessage>* stream) {
  VillageSession session(township_id_, aggregator_, CallerOf(*context, self_));
  return ServeSession(context, stream, &session);
}

grpc::Status SyncService::SendUrgent(grpc::ServerContext* context,
                                     const UrgentReports* request,
                                     UrgentAck* response) {
  absl::StatusOr<UrgentAck> ack = VillageSession::HandleUrgent(
      township_id_, aggregator_, *request, CallerOf(*context, self_));
  if (!ack.ok()) return ToGrpc(ack.status());
  *response = std::move(*ack);
  return grpc::Status::OK;
}

grpc::Status SyncService::Status(grpc::ServerContext* context,
                                 const StatusRequest*,
                                 TownshipStatus* response) {
  if (grpc::Status denied = Permit(*context, self_, Call::kStatus);
      !denied.ok()) {
    return denied;
  }
  FillStatus(response);
  return grpc::Status::OK;
}

void SyncService::FillStatus(TownshipStatus* status) const {
  aggregator_->FillStatus(status);
  forwarder_->FillStatus(status);
}

}  // namespace sanji

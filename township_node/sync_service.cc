#include "township_node/sync_service.h"

#include <memory>
#include <utility>

#include "common/net.h"
#include "common/session_reactor.h"
#include "common/tls.h"
#include "township_node/village_session.h"

namespace sanji {

SyncService::SyncService(std::string township_id,
                         TownshipAggregator* aggregator,
                         const Forwarder* forwarder,
                         std::optional<Identity> self, int workers)
    : township_id_(std::move(township_id)),
      aggregator_(aggregator),
      forwarder_(forwarder),
      self_(std::move(self)),
      pool_(workers) {}

SyncService::~SyncService() {
  // After the server's shutdown every call has ended; a reactor may still
  // wait for its hello alarm's (cancelled) callback or its last pool task.
  streams_.WaitNone();
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* SyncService::Sync(
    grpc::CallbackServerContext* context) {
  return new SessionReactor<VillageSession, VillageMessage, TownshipMessage>(
      context,
      std::make_unique<VillageSession>(township_id_, aggregator_,
                                       CallerOf(*context, self_)),
      &pool_, &streams_);
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

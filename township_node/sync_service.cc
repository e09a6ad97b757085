#include "township_node/sync_service.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/net.h"

namespace sanji {
namespace {

bool IsVillageOf(const std::string& village, const std::string& township) {
  if (village.size() != 12 || !absl::StartsWith(village, township))
    return false;
  for (char c : village) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

grpc::Status SyncService::CheckVillage(const std::string& village) const {
  if (IsVillageOf(village, township_id_)) return grpc::Status::OK;
  if (village.empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "no village_id: name the 12-digit village code");
  }
  return grpc::Status(
      grpc::StatusCode::PERMISSION_DENIED,
      absl::StrCat("village '", village, "' does not belong to township ",
                   township_id_,
                   ": a village code is 12 digits starting with its "
                   "township's 9"));
}

grpc::Status SyncService::Sync(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<TownshipMessage, VillageMessage>* stream) {
  VillageMessage message;
  // A peer that never says hello must not hold this thread (kHelloTimeout).
  if (!ReadWithin(context, kHelloTimeout,
                  [&] { return stream->Read(&message); })) {
    return grpc::Status::OK;
  }
  if (!message.has_hello()) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "a sync stream must start with a hello naming the village and epoch");
  }
  const std::string village = message.hello().village_id();
  const uint64_t epoch = message.hello().epoch();
  if (grpc::Status s = CheckVillage(village); !s.ok()) return s;
  if (epoch == 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "epoch 0 is not valid");
  }
  TownshipMessage reply;
  reply.set_watermark(aggregator_->Watermark(village, epoch));
  if (!stream->Write(reply)) return grpc::Status::OK;
  while (stream->Read(&message)) {
    if (message.has_batch()) {
      absl::StatusOr<uint64_t> watermark =
          aggregator_->ApplyBatch(village, epoch, message.batch());
      if (!watermark.ok()) return ToGrpc(watermark.status());
      reply.set_watermark(*watermark);
    } else {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "only record batches may follow the hello");
    }
    if (!stream->Write(reply)) break;
  }
  return grpc::Status::OK;
}

grpc::Status SyncService::SendUrgent(grpc::ServerContext*,
                                     const UrgentReports* request,
                                     UrgentAck* response) {
  if (grpc::Status s = CheckVillage(request->village_id()); !s.ok()) return s;
  absl::StatusOr<std::vector<uint64_t>> handled =
      aggregator_->ApplyUrgent(request->village_id(), request->records());
  if (!handled.ok()) return ToGrpc(handled.status());
  for (uint64_t seq : *handled) response->add_seqs(seq);
  return grpc::Status::OK;
}

grpc::Status SyncService::Status(grpc::ServerContext*, const StatusRequest*,
                                 TownshipStatus* response) {
  aggregator_->FillStatus(response);
  forwarder_->FillStatus(response);
  return grpc::Status::OK;
}

}  // namespace sanji

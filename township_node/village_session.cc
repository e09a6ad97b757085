#include "township_node/village_session.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/org_code.h"
#include "common/status_macros.h"

namespace sanji {

absl::StatusOr<TownshipMessage> VillageSession::OnMessage(
    const VillageMessage& message) {
  absl::StatusOr<TownshipMessage> reply;
  switch (state_) {
    case State::kAwaitingHello:
      reply = message.has_hello()
                  ? OnHello(message.hello())
                  : absl::InvalidArgumentError(
                        "a sync stream must start with a hello naming the "
                        "village and epoch");
      break;
    case State::kOpen:
      reply = message.has_batch()
                  ? OnBatch(message.batch())
                  : absl::InvalidArgumentError(
                        "only record batches may follow the hello");
      break;
    case State::kEnded:
      reply = absl::FailedPreconditionError("the sync stream has ended");
      break;
  }
  state_ = reply.ok() ? State::kOpen : State::kEnded;
  return reply;
}

absl::StatusOr<TownshipMessage> VillageSession::OnHello(
    const SyncHello& hello) {
  RETURN_IF_ERROR(caller_.May(Call::kSync, hello.village_id()));
  RETURN_IF_ERROR(CheckVillage(township_id_, hello.village_id()));
  if (hello.epoch() == 0) {
    return absl::InvalidArgumentError("epoch 0 is not valid");
  }
  village_id_ = hello.village_id();
  epoch_ = hello.epoch();
  TownshipMessage welcome;
  welcome.set_watermark(aggregator_->Watermark(village_id_, epoch_));
  return welcome;
}

absl::StatusOr<TownshipMessage> VillageSession::OnBatch(
    const RecordBatch& batch) {
  ASSIGN_OR_RETURN(uint64_t watermark,
                   aggregator_->ApplyBatch(village_id_, epoch_, batch));
  TownshipMessage ack;
  ack.set_watermark(watermark);
  return ack;
}

absl::StatusOr<UrgentAck> VillageSession::HandleUrgent(
    const std::string& township_id, TownshipAggregator* aggregator,
    const UrgentReports& request, const Caller& caller) {
  RETURN_IF_ERROR(caller.May(Call::kSendUrgent, request.village_id()));
  RETURN_IF_ERROR(CheckVillage(township_id, request.village_id()));
  ASSIGN_OR_RETURN(
      std::vector<uint64_t> handled,
      aggregator->ApplyUrgent(request.village_id(), request.records()));
  UrgentAck ack;
  for (uint64_t seq : handled) ack.add_seqs(seq);
  return ack;
}

absl::Status VillageSession::CheckVillage(const std::string& township_id,
                                          const std::string& village) {
  if (IsCodeWithin(village, OrgLevel::kVillage, township_id)) {
    return absl::OkStatus();
  }
  if (village.empty()) {
    return absl::InvalidArgumentError(
        "no village_id: name the 12-digit village code");
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "village '", village, "' does not belong to township ", township_id,
      ": a village code is 12 digits starting with its "
      "township's 9"));
}

}  // namespace sanji

#include "village_agent/intake_service.h"

#include "absl/strings/str_cat.h"
#include "common/net.h"
#include "common/tls.h"

namespace sanji {

grpc::Status IntakeService::Submit(grpc::ServerContext* context,
                                   const SubmitRequest* request,
                                   SubmitResponse* response) {
  if (grpc::Status denied = Permit(*context, self_, Call::kSubmit);
      !denied.ok()) {
    return denied;
  }
  if (request->rows_size() > kMaxRowsPerSubmit) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("a Submit carries at most ", kMaxRowsPerSubmit,
                     " rows; got ", request->rows_size(),
                     ": split the rows into several calls"));
  }
  std::vector<RawRow> rows(request->rows().begin(), request->rows().end());
  absl::StatusOr<std::vector<RowOutcome>> outcomes = intake_->Submit(rows);
  if (!outcomes.ok()) return ToGrpc(outcomes.status());
  for (RowOutcome& o : *outcomes) *response->add_outcomes() = std::move(o);
  return grpc::Status::OK;
}

grpc::Status IntakeService::Status(grpc::ServerContext* context,
                                   const StatusRequest*,
                                   AgentStatus* response) {
  if (grpc::Status denied = Permit(*context, self_, Call::kStatus);
      !denied.ok()) {
    return denied;
  }
  response->set_village_id(intake_->village_id());
  response->set_epoch(intake_->epoch());
  uint64_t last = intake_->last_seq();
  uint64_t acked = intake_->acked_seq();
  response->set_last_seq(last);
  response->set_acked_seq(acked);
  response->set_pending_records(last > acked ? last - acked : 0);
  response->set_pending_bytes(intake_->pending_bytes());
  response->set_urgent_pending(intake_->urgent_pending());
  uploader_->FillStatus(response);
  return grpc::Status::OK;
}

}  // namespace sanji

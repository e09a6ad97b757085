#include "village_agent/intake_service.h"

#include <algorithm>

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
  const int table_rows = request->table().rows_size();
  if (table_rows > 0 && request->rows_size() > 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "a Submit carries rows or a table, not both");
  }
  const int count = std::max(request->rows_size(), table_rows);
  if (count > kMaxRowsPerSubmit) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("a Submit carries at most ",
                                     kMaxRowsPerSubmit, " rows; got ", count,
                                     ": split the rows into several calls"));
  }
  absl::StatusOr<std::vector<RowOutcome>> outcomes =
      table_rows > 0 ? intake_->Submit(request->table())
                     : intake_->Submit(request->rows());
  if (!outcomes.ok()) return ToGrpc(outcomes.status());
  response->mutable_outcomes()->Reserve(static_cast<int>(outcomes->size()));
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
  FillAgentStatus(*intake_, *uploader_, response);
  return grpc::Status::OK;
}

void FillAgentStatus(const RecordIntake& intake, const Uploader& uploader,
                     AgentStatus* status) {
  status->set_village_id(intake.village_id());
  status->set_epoch(intake.epoch());
  const uint64_t last = intake.last_seq();
  const uint64_t acked = intake.acked_seq();
  status->set_last_seq(last);
  status->set_acked_seq(acked);
  status->set_pending_records(last > acked ? last - acked : 0);
  status->set_pending_bytes(intake.pending_bytes());
  status->set_urgent_pending(intake.urgent_pending());
  const RecordIntake::Tally tally = intake.tally();
  status->set_records_accepted(tally.accepted);
  status->set_records_duplicate(tally.duplicate);
  status->set_records_rejected(tally.rejected);
  status->set_db_bytes(intake.db_bytes());
  uploader.FillStatus(status);
}

}  // namespace sanji

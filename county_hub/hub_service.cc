#include "county_hub/hub_service.h"

#include <algorithm>

#include "common/net.h"
#include "common/tls.h"
#include "county_hub/push_session.h"

namespace sanji {

grpc::Status HubService::Push(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<RollupDown, RollupUp>* stream) {
  PushSession session(county_id_, cells_, alerts_, CallerOf(*context, self_));
  return ServeSession(context, stream, &session);
}

grpc::Status HubService::WatchAlerts(grpc::ServerContext* context,
                                     const WatchAlertsRequest* request,
                                     grpc::ServerWriter<AlertEvent>* writer) {
  if (grpc::Status denied = Permit(*context, self_, Call::kWatchAlerts);
      !denied.ok()) {
    return denied;
  }
  uint64_t cursor = 0;
  bool caught_up = false;
  while (!context->IsCancelled()) {
    uint64_t covered = cursor;
    for (AlertEntry& entry :
         alerts_->ChangedAfter(cursor, request->since(), &covered)) {
      entry.set_village_name(orgs_->Name(entry.alert().village_id()));
      AlertEvent event;
      *event.mutable_entry() = std::move(entry);
      if (!writer->Write(event)) return grpc::Status::OK;
    }
    cursor = covered;  // past the entries outside `since` too
    if (!caught_up) {
      caught_up = true;
      AlertEvent event;
      event.set_caught_up(true);
      if (!writer->Write(event)) return grpc::Status::OK;
    }
    if (!request->follow()) return grpc::Status::OK;
    // Wakes on a change; the timeout bounds how long a cancelled or
    // shut-down call lingers.
    alerts_->WaitForChange(cursor, absl::Seconds(1));
  }
  return grpc::Status::OK;
}

grpc::Status HubService::ReviewAlert(grpc::ServerContext* context,
                                     const ReviewAlertRequest* request,
                                     AlertEntry* response) {
  const Caller caller = CallerOf(*context, self_);
  absl::Status allowed = caller.May(Call::kReviewAlert);
  if (!allowed.ok()) return ToGrpc(allowed);
  // On TLS the reviewer is who the certificate names, whatever `by` says.
  const std::string by = caller.Name().empty() ? request->by() : caller.Name();
  absl::StatusOr<AlertEntry> entry = alerts_->Review(request->id(), by);
  if (!entry.ok()) return ToGrpc(entry.status());
  *response = std::move(*entry);
  response->set_village_name(orgs_->Name(response->alert().village_id()));
  return grpc::Status::OK;
}

grpc::Status HubService::Report(grpc::ServerContext* context,
                                const ReportRequest* request,
                                ReportResponse* response) {
  if (grpc::Status denied = Permit(*context, self_, Call::kReport);
      !denied.ok()) {
    return denied;
  }
  ReportQuery query;
  query.period = request->period();
  if (!request->level().empty()) query.level = request->level();
  query.org = request->org();
  query.indicators.assign(request->indicators().begin(),
                          request->indicators().end());
  if (!request->format().empty()) query.format = request->format();
  absl::StatusOr<std::string> content = reports_->Render(query);
  if (!content.ok()) return ToGrpc(content.status());
  response->set_content(std::move(*content));
  return grpc::Status::OK;
}

grpc::Status HubService::Completeness(grpc::ServerContext* context,
                                      const CompletenessRequest* request,
                                      ReportResponse* response) {
  if (grpc::Status denied = Permit(*context, self_, Call::kCompleteness);
      !denied.ok()) {
    return denied;
  }
  if (completeness_ == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                        "this hub serves no completeness report");
  }
  absl::StatusOr<std::string> content = completeness_->Render(
      request->period(), request->org(), request->format());
  if (!content.ok()) return ToGrpc(content.status());
  response->set_content(std::move(*content));
  return grpc::Status::OK;
}

grpc::Status HubService::Summary(grpc::ServerContext* context,
                                 const SummaryRequest* request,
                                 ReportResponse* response) {
  if (grpc::Status denied = Permit(*context, self_, Call::kSummary);
      !denied.ok()) {
    return denied;
  }
  if (summary_ == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                        "this hub serves no work-summary draft");
  }
  absl::StatusOr<std::string> content =
      summary_->Render(request->period(), request->org());
  if (!content.ok()) return ToGrpc(content.status());
  response->set_content(std::move(*content));
  return grpc::Status::OK;
}

grpc::Status HubService::Status(grpc::ServerContext* context,
                                const HubStatusRequest*, HubStatus* response) {
  if (grpc::Status denied = Permit(*context, self_, Call::kStatus);
      !denied.ok()) {
    return denied;
  }
  FillStatus(response);
  return grpc::Status::OK;
}

void HubService::FillStatus(HubStatus* status) const {
  cells_->FillStatus(status);
  status->set_alerts(alerts_->size());
}

}  // namespace sanji

#include "county_hub/hub_service.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/net.h"

namespace sanji {

grpc::Status HubService::Push(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<RollupDown, RollupUp>* stream) {
  RollupUp up;
  // A peer that never says hello must not hold this thread (kHelloTimeout).
  if (!ReadWithin(context, kHelloTimeout, [&] { return stream->Read(&up); })) {
    return grpc::Status::OK;
  }
  if (!up.has_hello()) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "a rollup stream must start with a hello naming the township");
  }
  const std::string township = up.hello().township_id();
  if (township.size() != 9 ||
      township.find_first_not_of("0123456789") != std::string::npos ||
      !absl::StartsWith(township, county_id_)) {
    return grpc::Status(
        grpc::StatusCode::PERMISSION_DENIED,
        absl::StrCat("township '", township, "' does not belong to county ",
                     county_id_,
                     ": a township code is 9 digits starting with "
                     "its county's 6"));
  }
  RollupDown down;
  down.set_acked_batch_id(0);
  if (!stream->Write(down)) return grpc::Status::OK;
  while (stream->Read(&up)) {
    if (!up.has_batch()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "only cell batches may follow the hello");
    }
    // Alerts first and separately durable: a crash between the two writes
    // leaves the batch unacknowledged, and its resend changes nothing twice.
    // Every cell is checked before the alerts are stored, so that a batch
    // refused for one bad cell stores nothing at all.
    absl::Status s = CountyCellStore::ValidateBatch(township, up.batch());
    if (s.ok()) s = alerts_->Apply(township, up.batch().alerts());
    if (s.ok()) s = cells_->ApplyBatch(township, up.batch());
    if (!s.ok()) return ToGrpc(s);
    down.set_acked_batch_id(up.batch().batch_id());
    if (!stream->Write(down)) break;
  }
  return grpc::Status::OK;
}

grpc::Status HubService::WatchAlerts(grpc::ServerContext* context,
                                     const WatchAlertsRequest* request,
                                     grpc::ServerWriter<AlertEvent>* writer) {
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

grpc::Status HubService::ReviewAlert(grpc::ServerContext*,
                                     const ReviewAlertRequest* request,
                                     AlertEntry* response) {
  absl::StatusOr<AlertEntry> entry =
      alerts_->Review(request->id(), request->by());
  if (!entry.ok()) return ToGrpc(entry.status());
  *response = std::move(*entry);
  response->set_village_name(orgs_->Name(response->alert().village_id()));
  return grpc::Status::OK;
}

grpc::Status HubService::Report(grpc::ServerContext*,
                                const ReportRequest* request,
                                ReportResponse* response) {
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

grpc::Status HubService::Status(grpc::ServerContext*, const HubStatusRequest*,
                                HubStatus* response) {
  cells_->FillStatus(response);
  response->set_alerts(alerts_->size());
  return grpc::Status::OK;
}

}  // namespace sanji

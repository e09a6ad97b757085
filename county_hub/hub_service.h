// CountyHub gRPC service: rollup streams from townships (cells and alerts),
// each a PushSession (push_session.h; the protocol is in
// proto/rollup_sync.proto), reports, the alert line list (WatchAlerts,
// ReviewAlert), completeness (completeness.h), the work-summary draft
// (work_summary.h), status. On TLS every call is authorized from the peer's
// certificate (common/authorization.h). Thread-safe; owns nothing.
#ifndef SANJI_COUNTY_HUB_HUB_SERVICE_H_
#define SANJI_COUNTY_HUB_HUB_SERVICE_H_

#include <optional>
#include <string>

#include "common/identity.h"
#include "county_hub/alert_book.h"
#include "county_hub/cell_store.h"
#include "county_hub/completeness.h"
#include "county_hub/org_directory.h"
#include "county_hub/report_engine.h"
#include "county_hub/work_summary.h"
#include "proto/rollup_sync.grpc.pb.h"

namespace sanji {

class HubService final : public CountyHub::Service {
 public:
  HubService(std::string county_id, CountyCellStore* cells,
             CountyAlertBook* alerts, const ReportEngine* reports,
             const OrgDirectory* orgs,
             const sanji::Completeness* completeness = nullptr,
             const WorkSummary* summary = nullptr,
             std::optional<Identity> self = std::nullopt)
      : county_id_(std::move(county_id)),
        cells_(cells),
        alerts_(alerts),
        reports_(reports),
        orgs_(orgs),
        completeness_(completeness),
        summary_(summary),
        self_(std::move(self)) {}

  grpc::Status Push(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<RollupDown, RollupUp>* stream) override;
  grpc::Status WatchAlerts(grpc::ServerContext* context,
                           const WatchAlertsRequest* request,
                           grpc::ServerWriter<AlertEvent>* writer) override;
  grpc::Status ReviewAlert(grpc::ServerContext* context,
                           const ReviewAlertRequest* request,
                           AlertEntry* response) override;
  grpc::Status Report(grpc::ServerContext* context,
                      const ReportRequest* request,
                      ReportResponse* response) override;
  grpc::Status Completeness(grpc::ServerContext* context,
                            const CompletenessRequest* request,
                            ReportResponse* response) override;
  grpc::Status Summary(grpc::ServerContext* context,
                       const SummaryRequest* request,
                       ReportResponse* response) override;
  // The county's status, as `status` and /metrics show it.
  void FillStatus(HubStatus* status) const;

  grpc::Status Status(grpc::ServerContext* context,
                      const HubStatusRequest* request,
                      HubStatus* response) override;

 private:
  std::string county_id_;
  CountyCellStore* cells_;
  CountyAlertBook* alerts_;
  const ReportEngine* reports_;
  const OrgDirectory* orgs_;
  const sanji::Completeness* completeness_;
  const WorkSummary* summary_;
  const std::optional<Identity> self_;  // on TLS; nullopt: plaintext
};

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_HUB_SERVICE_H_

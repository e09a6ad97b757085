// CountyHub gRPC service: rollup streams from townships, reports, status.
// Thread-safe; owns nothing.
#ifndef SANJI_COUNTY_HUB_HUB_SERVICE_H_
#define SANJI_COUNTY_HUB_HUB_SERVICE_H_

#include <string>

#include "county_hub/cell_store.h"
#include "county_hub/report_engine.h"
#include "proto/rollup_sync.grpc.pb.h"

namespace sanji {

class HubService final : public CountyHub::Service {
 public:
  HubService(std::string county_id, CountyCellStore* cells,
             const ReportEngine* reports)
      : county_id_(std::move(county_id)), cells_(cells), reports_(reports) {}

  grpc::Status Push(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<RollupDown, RollupUp>* stream) override;
  grpc::Status Report(grpc::ServerContext* context,
                      const ReportRequest* request,
                      ReportResponse* response) override;
  grpc::Status Status(grpc::ServerContext* context,
                      const HubStatusRequest* request,
                      HubStatus* response) override;

 private:
  std::string county_id_;
  CountyCellStore* cells_;
  const ReportEngine* reports_;
};

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_HUB_SERVICE_H_

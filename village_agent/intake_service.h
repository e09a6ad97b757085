// VillageIntake gRPC service: the clinic-facing API of the agent (Submit rows,
// Status). On a TLS endpoint every call is authorized from the peer's
// certificate (common/authorization.h: an operator, or the village itself).
// Thread-safe; does not own the intake or uploader.
#ifndef SANJI_VILLAGE_AGENT_INTAKE_SERVICE_H_
#define SANJI_VILLAGE_AGENT_INTAKE_SERVICE_H_

#include <optional>

#include "common/identity.h"
#include "proto/village_sync.grpc.pb.h"
#include "village_agent/record_intake.h"
#include "village_agent/uploader.h"

namespace sanji {

// The agent's status, as `village_agent status`, /metrics and the clinic page
// show it.
void FillAgentStatus(const RecordIntake& intake, const Uploader& uploader,
                     AgentStatus* status);

class IntakeService final : public VillageIntake::Service {
 public:
  // At most this many rows per Submit, so one call's synced batch stays
  // bounded.
  static constexpr int kMaxRowsPerSubmit = 5000;

  // `self`: the agent's identity when the intake serves TLS; nullopt on its
  // plaintext loopback address.
  IntakeService(RecordIntake* intake, const Uploader* uploader,
                std::optional<Identity> self = std::nullopt)
      : intake_(intake), uploader_(uploader), self_(std::move(self)) {}

  grpc::Status Submit(grpc::ServerContext* context,
                      const SubmitRequest* request,
                      SubmitResponse* response) override;
  grpc::Status Status(grpc::ServerContext* context,
                      const StatusRequest* request,
                      AgentStatus* response) override;

 private:
  RecordIntake* intake_;
  const Uploader* uploader_;
  const std::optional<Identity> self_;
};

}  // namespace sanji

#endif  // SANJI_VILLAGE_AGENT_INTAKE_SERVICE_H_

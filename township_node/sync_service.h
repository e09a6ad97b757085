// TownshipSync gRPC service: one stream per village, each a VillageSession
// (village_session.h; the protocol is in proto/village_sync.proto), urgent
// reports on their own unary call, and Status. On TLS, every call is
// authorized from the peer's certificate (common/authorization.h).
//
// Sync is served on gRPC's callback API, each stream by a SessionReactor
// (common/session_reactor.h, raw: it parses the messages itself) whose batches
// are applied on a small worker pool of this service's own: a township's
// threads do not grow with its villages. SendUrgent and Status stay on the
// synchronous API: they are short unary calls, and gRPC's thread pool for them
// grows only with how many run at once (rare urgent reports, operators).
//
// Thread-safety: thread-safe. Owns the worker pool; the aggregator and
// forwarder are not owned and must outlive it. The destructor waits for
// every stream's reactor to be gone, so destroy the service after the
// server has shut down.
#ifndef SANJI_TOWNSHIP_NODE_SYNC_SERVICE_H_
#define SANJI_TOWNSHIP_NODE_SYNC_SERVICE_H_

#include <optional>
#include <string>

#include "common/identity.h"
#include "common/live_streams.h"
#include "common/worker_pool.h"
#include "proto/village_sync.grpc.pb.h"
#include "township_node/aggregator.h"
#include "township_node/forwarder.h"

namespace sanji {

class SyncService final
    : public TownshipSync::WithRawCallbackMethod_Sync<TownshipSync::Service> {
 public:
  // Threads that apply batches: the aggregator writes one batch at a time
  // (one mutex), so a few keep it busy while others read, parse and answer.
  static constexpr int kDefaultWorkers = 4;

  // `self`: the node's identity on TLS, nullopt on plaintext.
  SyncService(std::string township_id, TownshipAggregator* aggregator,
              const Forwarder* forwarder,
              std::optional<Identity> self = std::nullopt,
              int workers = kDefaultWorkers);
  ~SyncService() override;

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Sync(
      grpc::CallbackServerContext* context) override;
  grpc::Status SendUrgent(grpc::ServerContext* context,
                          const UrgentReports* request,
                          UrgentAck* response) override;
  // The township's status, as `status` and /metrics show it.
  void FillStatus(TownshipStatus* status) const;

  grpc::Status Status(grpc::ServerContext* context,
                      const StatusRequest* request,
                      TownshipStatus* response) override;

  // Sync streams being served now.
  int open_streams() const { return streams_.count(); }

 private:
  std::string township_id_;
  TownshipAggregator* aggregator_;
  const Forwarder* forwarder_;
  const std::optional<Identity> self_;
  LiveStreams streams_;
  WorkerPool pool_;  // after streams_: the reactors use both
};

}  // namespace sanji

#endif  // SANJI_TOWNSHIP_NODE_SYNC_SERVICE_H_

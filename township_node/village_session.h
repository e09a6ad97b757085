// VillageSession: the township's side of one village's Sync stream, as a
// state machine of its own, so that the gRPC handler (sync_service.cc) and
// the fuzzer (tests/fuzz/township_sync_fuzzer.cc) drive the same code. The
// protocol, and what each refusal means to the village, is written above
// TownshipSync in proto/village_sync.proto.
//
// A session waits for the hello, answers it with the welcome, then applies
// each batch through the aggregator and answers with the new watermark. A
// refusal is the status that ends the stream; the session takes no more
// messages after it.
//
// Thread-safety: a session belongs to one stream and is used by one thread.
// The aggregator is not owned and must outlive it.
#ifndef SANJI_TOWNSHIP_NODE_VILLAGE_SESSION_H_
#define SANJI_TOWNSHIP_NODE_VILLAGE_SESSION_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/authorization.h"
#include "proto/village_sync.pb.h"
#include "township_node/aggregator.h"

namespace sanji {

class VillageSession {
 public:
  // `caller`: the stream's peer; its hello must name a village the peer may
  // sync as (common/authorization.h).
  VillageSession(std::string township_id, TownshipAggregator* aggregator,
                 Caller caller = Caller::Anyone())
      : township_id_(std::move(township_id)),
        aggregator_(aggregator),
        caller_(std::move(caller)) {}

  // The reply to `message`, or the status that ends the stream.
  absl::StatusOr<TownshipMessage> OnMessage(const VillageMessage& message);

  // The hello was accepted and the stream has not ended.
  bool open() const { return state_ == State::kOpen; }
  const std::string& village_id() const { return village_id_; }
  uint64_t epoch() const { return epoch_; }

  // SendUrgent: turns `request`'s urgent reports into alerts, when `caller`
  // may send them for the request's village.
  static absl::StatusOr<UrgentAck> HandleUrgent(
      const std::string& township_id, TownshipAggregator* aggregator,
      const UrgentReports& request, const Caller& caller = Caller::Anyone());
  // INVALID_ARGUMENT without a village code, PERMISSION_DENIED unless
  // `village` is one of `township_id`'s.
  static absl::Status CheckVillage(const std::string& township_id,
                                   const std::string& village);

 private:
  enum class State { kAwaitingHello, kOpen, kEnded };

  absl::StatusOr<TownshipMessage> OnHello(const SyncHello& hello);
  absl::StatusOr<TownshipMessage> OnBatch(const RecordBatch& batch);

  const std::string township_id_;
  TownshipAggregator* const aggregator_;
  const Caller caller_;
  State state_ = State::kAwaitingHello;
  std::string village_id_;
  uint64_t epoch_ = 0;
};

}  // namespace sanji

#endif  // SANJI_TOWNSHIP_NODE_VILLAGE_SESSION_H_

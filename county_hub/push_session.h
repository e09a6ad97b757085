// PushSession: the county's side of one township's Push stream, as a state
// machine of its own, so that the gRPC handler (hub_service.cc) and the fuzzer
// (tests/fuzz/county_push_fuzzer.cc) drive the same code. The protocol, and
// what each refusal means to the township, is written above CountyHub in
// proto/rollup_sync.proto.
//
// A session waits for the hello, answers it with the welcome, then stores each
// batch (every cell and alert validated first, then the alerts, then the
// cells, each durable) and answers with its id. A refusal is the status that
// ends the stream; the session takes no more messages after it.
//
// Thread-safety: a session belongs to one stream and is used by one thread.
// The stores are not owned and must outlive it.
#ifndef SANJI_COUNTY_HUB_PUSH_SESSION_H_
#define SANJI_COUNTY_HUB_PUSH_SESSION_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/authorization.h"
#include "county_hub/alert_book.h"
#include "county_hub/cell_store.h"
#include "proto/rollup_sync.pb.h"

namespace sanji {

class PushSession {
 public:
  // `caller`: the stream's peer; its hello must name the township the peer
  // may push as (common/authorization.h).
  PushSession(std::string county_id, CountyCellStore* cells,
              CountyAlertBook* alerts, Caller caller = Caller::Anyone())
      : county_id_(std::move(county_id)),
        cells_(cells),
        alerts_(alerts),
        caller_(std::move(caller)) {}

  // The reply to `up`, or the status that ends the stream.
  absl::StatusOr<RollupDown> OnMessage(const RollupUp& up);

  // The hello was accepted and the stream has not ended.
  bool open() const { return state_ == State::kOpen; }
  const std::string& township_id() const { return township_id_; }

 private:
  enum class State { kAwaitingHello, kOpen, kEnded };

  absl::StatusOr<RollupDown> OnHello(const RollupHello& hello);
  absl::StatusOr<RollupDown> OnBatch(const CellBatch& batch);

  const std::string county_id_;
  CountyCellStore* const cells_;
  CountyAlertBook* const alerts_;
  State state_ = State::kAwaitingHello;
  const Caller caller_;
  std::string township_id_;
};

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_PUSH_SESSION_H_

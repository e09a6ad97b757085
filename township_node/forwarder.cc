#include "township_node/forwarder.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/net.h"
#include "township_node/rollup_batcher.h"

namespace sanji {

Forwarder::Forwarder(std::string township_id, std::string county,
                     TownshipAggregator* aggregator, LinkSecurity security)
    : township_id_(std::move(township_id)),
      county_(std::move(county)),
      aggregator_(aggregator),
      security_(std::move(security)),
      channel_(MakeLinkChannel(county_, security_.Credentials())),
      loop_([this](grpc::ClientContext* context, bool* progressed) {
        return security_.Explain(RunStream(context, progressed));
      }) {}

Forwarder::~Forwarder() { Stop(); }

void Forwarder::Start() { loop_.Start(); }

void Forwarder::Stop() { loop_.Stop(); }

void Forwarder::FillStatus(TownshipStatus* status) const {
  std::string link_state, last_error;
  int64_t last_ms = 0;
  loop_.Read(&link_state, &last_ms, &last_error);
  security_.ExplainState(&link_state, &last_error);
  status->set_link_state(link_state);
  status->set_last_forward_unix_ms(last_ms);
  status->set_last_error(last_error);
}

absl::Status Forwarder::RunStream(grpc::ClientContext* context,
                                  bool* progressed) {
  CountyHub::Stub stub(channel_);
  auto stream = stub.Push(context);
  absl::Status result;
  // A failed Write or Read means the call is over: the county refused (a
  // full disk, an invalid batch) or the link broke, and Finish() says which.
  bool call_over = false;
  RollupUp hello;
  hello.mutable_hello()->set_township_id(township_id_);
  RollupDown down;
  if (!stream->Write(hello) || !stream->Read(&down)) {
    call_over = true;
  } else {
    loop_.SetLinkState("connected");
    RollupBatcher batcher(aggregator_);
    while (!loop_.stopping()) {
      absl::StatusOr<std::optional<CellBatch>> batch = batcher.Next();
      if (!batch.ok()) {
        result = batch.status();
        break;
      }
      if (!batch->has_value()) {
        aggregator_->WaitForChanges(absl::Milliseconds(500));
        continue;
      }
      RollupUp up;
      *up.mutable_batch() = std::move(**batch);
      if (!stream->Write(up) || !stream->Read(&down)) {
        call_over = true;
        break;
      }
      result = batcher.Acknowledged(down.acked_batch_id());
      if (!result.ok()) break;
      *progressed = true;
      loop_.MarkAcknowledged();
    }
  }
  // Cancelling an ended call would replace the county's reason with
  // CANCELLED; cancel only a live stream we stop for reasons of our own.
  if (!call_over) context->TryCancel();
  grpc::Status finish = stream->Finish();
  if (!result.ok()) return result;
  if (!finish.ok() && finish.error_code() != grpc::StatusCode::CANCELLED) {
    return FromGrpc(
        finish, absl::StrCat("rollup stream to county ", county_, " ended"));
  }
  if (call_over) {
    return absl::UnavailableError(
        absl::StrCat("county ", county_, " closed the rollup stream"));
  }
  return absl::OkStatus();
}

}  // namespace sanji

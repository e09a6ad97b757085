#include "county_hub/push_session.h"

#include "absl/strings/str_cat.h"
#include "common/org_code.h"
#include "common/status_macros.h"

namespace sanji {

absl::StatusOr<RollupDown> PushSession::OnMessage(const RollupUp& up) {
  absl::StatusOr<RollupDown> reply;
  switch (state_) {
    case State::kAwaitingHello:
      reply = up.has_hello()
                  ? OnHello(up.hello())
                  : absl::InvalidArgumentError(
                        "a rollup stream must start with a hello naming the "
                        "township");
      break;
    case State::kOpen:
      reply = up.has_batch() ? OnBatch(up.batch())
                             : absl::InvalidArgumentError(
                                   "only cell batches may follow the hello");
      break;
    case State::kEnded:
      reply = absl::FailedPreconditionError("the rollup stream has ended");
      break;
  }
  state_ = reply.ok() ? State::kOpen : State::kEnded;
  return reply;
}

absl::StatusOr<RollupDown> PushSession::OnHello(const RollupHello& hello) {
  RETURN_IF_ERROR(caller_.May(Call::kPush, hello.township_id()));
  if (!IsCodeWithin(hello.township_id(), OrgLevel::kTownship, county_id_)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "township '", hello.township_id(), "' does not belong to county ",
        county_id_,
        ": a township code is 9 digits starting with its county's 6"));
  }
  township_id_ = hello.township_id();
  RollupDown welcome;
  welcome.set_acked_batch_id(0);
  return welcome;
}

absl::StatusOr<RollupDown> PushSession::OnBatch(const CellBatch& batch) {
  // Alerts first and separately durable: a crash between the two writes
  // leaves the batch unacknowledged, and its resend changes nothing twice.
  // Every cell is checked before the alerts are stored, so that a batch
  // refused for one bad cell stores nothing at all.
  RETURN_IF_ERROR(CountyCellStore::ValidateBatch(township_id_, batch));
  RETURN_IF_ERROR(alerts_->Apply(township_id_, batch.alerts()));
  RETURN_IF_ERROR(cells_->ApplyBatch(township_id_, batch));
  RollupDown ack;
  ack.set_acked_batch_id(batch.batch_id());
  return ack;
}

}  // namespace sanji

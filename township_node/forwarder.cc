#include "township_node/forwarder.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/net.h"

namespace sanji {
namespace {
constexpr size_t kCellsPerBatch = 2000;
}  // namespace

Forwarder::Forwarder(std::string township_id, std::string county,
                     TownshipAggregator* aggregator)
    : township_id_(std::move(township_id)),
      county_(std::move(county)),
      aggregator_(aggregator),
      channel_(MakeChannel(county_, ChannelCredentialsFromFlags())) {}

Forwarder::~Forwarder() { Stop(); }

void Forwarder::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Forwarder::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (active_ != nullptr) active_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

void Forwarder::FillStatus(TownshipStatus* status) const {
  absl::MutexLock lock(&mu_);
  status->set_link_state(link_state_);
  status->set_last_forward_unix_ms(last_forward_unix_ms_);
  status->set_last_error(last_error_);
}

void Forwarder::Run() {
  Backoff backoff(absl::Milliseconds(100), absl::Seconds(10));
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    bool progressed = false;
    absl::Status status = RunStream(&progressed);
    {
      absl::MutexLock lock(&mu_);
      link_state_ = "down";
      if (!status.ok()) last_error_ = std::string(status.message());
    }
    if (progressed) backoff.Reset();
    absl::Duration wait = backoff.Next();
    absl::MutexLock lock(&mu_);
    auto stopping = [this]()
                        ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stopping), wait);
  }
}

absl::Status Forwarder::RunStream(bool* progressed) {
  grpc::ClientContext context;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::OkStatus();
    active_ = &context;
    link_state_ = "connecting";
  }
  CountyHub::Stub stub(channel_);
  auto stream = stub.Push(&context);
  absl::Status result;
  RollupUp hello;
  hello.mutable_hello()->set_township_id(township_id_);
  RollupDown down;
  if (!stream->Write(hello) || !stream->Read(&down)) {
    result = absl::UnavailableError(
        absl::StrCat("county ", county_, " unreachable"));
  } else {
    {
      absl::MutexLock lock(&mu_);
      link_state_ = "connected";
    }
    uint64_t batch_id = 0;
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) break;
      }
      std::vector<Cell> cells;
      result = aggregator_->ReadChangedCells(kCellsPerBatch, &cells);
      if (!result.ok()) break;
      if (cells.empty()) {
        aggregator_->WaitForChanges(absl::Milliseconds(500));
        continue;
      }
      RollupUp up;
      up.mutable_batch()->set_batch_id(++batch_id);
      for (const Cell& c : cells) *up.mutable_batch()->add_cells() = c;
      if (!stream->Write(up) || !stream->Read(&down)) break;
      if (down.acked_batch_id() != batch_id) {
        result = absl::InternalError(absl::StrCat("county acknowledged batch ",
                                                  down.acked_batch_id(),
                                                  ", expected ", batch_id));
        break;
      }
      result = aggregator_->MarkForwarded(cells);
      if (!result.ok()) break;
      *progressed = true;
      absl::MutexLock lock(&mu_);
      last_forward_unix_ms_ = absl::ToUnixMillis(absl::Now());
    }
  }
  context.TryCancel();
  grpc::Status finish = stream->Finish();
  {
    absl::MutexLock lock(&mu_);
    active_ = nullptr;
  }
  if (!result.ok()) return result;
  if (!finish.ok() && finish.error_code() != grpc::StatusCode::CANCELLED) {
    return absl::UnavailableError(
        absl::StrCat("rollup stream to county ", county_,
                     " ended: ", finish.error_message()));
  }
  return absl::OkStatus();
}

}  // namespace sanji

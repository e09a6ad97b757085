#include "common/reconnect_loop.h"

#include "absl/time/clock.h"
#include "common/net.h"

namespace sanji {

void ReconnectLoop::Start() {
  thread_ = std::thread([this] { Run(); });
}

void ReconnectLoop::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (active_ != nullptr) active_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

void ReconnectLoop::RetryNow() {
  absl::MutexLock lock(&mu_);
  retry_now_ = true;
}

bool ReconnectLoop::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void ReconnectLoop::SetLinkState(const std::string& state) {
  absl::MutexLock lock(&mu_);
  link_state_ = state;
}

void ReconnectLoop::MarkAcknowledged() {
  absl::MutexLock lock(&mu_);
  last_ack_unix_ms_ = absl::ToUnixMillis(absl::Now());
  last_error_ = absl::OkStatus();
}

void ReconnectLoop::Read(std::string* link_state, int64_t* last_ack_unix_ms,
                         std::string* last_error) const {
  absl::MutexLock lock(&mu_);
  *link_state = link_state_;
  *last_ack_unix_ms = last_ack_unix_ms_;
  *last_error = std::string(last_error_.message());
}

absl::Status ReconnectLoop::last_error() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

void ReconnectLoop::Run() {
  Backoff backoff(pace_.initial, pace_.max);
  while (true) {
    grpc::ClientContext context;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      retry_now_ = false;
      active_ = &context;
      link_state_ = "connecting";
    }
    bool progressed = false;
    absl::Status status = session_(&context, &progressed);
    {
      absl::MutexLock lock(&mu_);
      active_ = nullptr;
      link_state_ = "down";
      if (!status.ok()) last_error_ = status;
    }
    if (progressed) {
      backoff.Reset();  // a session that made progress earns a fast retry
    }
    absl::Duration wait = backoff.Next(status.code());
    absl::MutexLock lock(&mu_);
    auto wake = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return stopping_ || retry_now_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&wake), wait);
  }
}

}  // namespace sanji

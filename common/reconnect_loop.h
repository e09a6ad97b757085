// ReconnectLoop: keeps one outgoing stream alive for as long as a node runs.
//
// It runs `session` (one connection's work) on its own thread, over and over:
// after a session ends it waits as Backoff (common/net.h) says for the status
// the session ended with, the peer's code kept (a full peer is retried at the
// slowest pace, a sequence gap at once), and starts the series again whenever
// a session made progress. Stop() cancels the session's ClientContext and
// joins. It also keeps the link state and the last error that `status`
// commands show.
//
// Thread-safety: Start/Stop from one thread; everything else from any thread.
#ifndef SANJI_COMMON_RECONNECT_LOOP_H_
#define SANJI_COMMON_RECONNECT_LOOP_H_

#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace sanji {

class ReconnectLoop {
 public:
  // Runs one connection on `context`; sets *progressed when the peer
  // acknowledged anything.
  using Session = std::function<absl::Status(grpc::ClientContext* context,
                                             bool* progressed)>;

  // The waits between sessions (Backoff's initial and max).
  struct Pace {
    absl::Duration initial;
    absl::Duration max;
  };
  static constexpr Pace kDefaultPace = {absl::Milliseconds(100),
                                        absl::Seconds(10)};

  explicit ReconnectLoop(Session session, Pace pace = kDefaultPace)
      : session_(std::move(session)), pace_(pace) {}
  ~ReconnectLoop() { Stop(); }
  void Start();
  void Stop();

  // Ends the current backoff wait at once (e.g. urgent work arrived while the
  // link was down). No effect on a session in progress.
  void RetryNow();

  bool stopping() const;
  void SetLinkState(const std::string& state);
  // Records "now" as the last acknowledgement and clears the last error: the
  // link works again, so an old reason would only mislead whoever reads it.
  void MarkAcknowledged();
  void Read(std::string* link_state, int64_t* last_ack_unix_ms,
            std::string* last_error) const;
  // How the last session that failed ended (OK after an acknowledgement).
  absl::Status last_error() const;

 private:
  void Run();

  Session session_;
  const Pace pace_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool retry_now_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::string link_state_ ABSL_GUARDED_BY(mu_) = "connecting";
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  int64_t last_ack_unix_ms_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sanji

#endif  // SANJI_COMMON_RECONNECT_LOOP_H_

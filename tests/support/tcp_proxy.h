// A fault-injecting TCP proxy for integration and fault tests.
//
// TcpProxy listens on 127.0.0.1:port() and forwards every accepted connection
// to 127.0.0.1:target_port. Put it between two Sanji programs (for example
// village_agent -> proxy -> township_node) and inject network faults on
// demand: cut the link, reset connections, truncate streams mid-frame, add
// latency, cap bandwidth, or stall forwarding.
//
// Design: one accept thread, plus two threads per connection (one per
// direction). All sockets are non-blocking; every thread waits in poll() on
// its sockets and on its own eventfd, which the control methods write to, so
// every fault takes effect promptly and destruction never hangs. The sockets of
// a connection are closed only after both of its forwarding threads have
// stopped using them. Faults that "reset" a connection close both of its
// sockets with SO_LINGER {1, 0}, so both peers see an RST (ECONNRESET), not a
// clean EOF. When a peer closes its side cleanly, the proxy half-closes
// (shutdown(SHUT_WR)) the other side after forwarding everything it read.
//
// Thread-safety: all public methods are thread-safe and may be called from any
// thread while connections are being forwarded.
//
// Ownership: the proxy owns its listening socket, every forwarded connection
// (both sockets) and all of its threads. Destroying it stops accepting, resets
// every open connection and joins every thread; it returns promptly even if
// connections are stalled, delayed or blocked on a peer that does not read.
#ifndef SANJI_TESTS_SUPPORT_TCP_PROXY_H_
#define SANJI_TESTS_SUPPORT_TCP_PROXY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace sanji::test_support {

// Forwards TCP connections from 127.0.0.1:port() to 127.0.0.1:target_port,
// and injects faults on demand.
class TcpProxy {
 public:
  // Starts listening on 127.0.0.1:listen_port (0 = pick a free port) and
  // forwarding to 127.0.0.1:target_port. Fails with InvalidArgument for a bad
  // port number and Unavailable (naming the port and the errno text) if it
  // cannot listen. The target does not have to be up yet: a client that
  // connects while the target refuses is accepted and reset.
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(int target_port,
                                                         int listen_port = 0);
  // Stops the accept loop, resets every open connection, joins every thread.
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // The port the proxy listens on (127.0.0.1).
  int port() const { return port_; }
  int target_port() const { return target_port_; }

  // Link down: resets (RST, via SO_LINGER 0) every open connection and refuses
  // new ones (accepts and resets them immediately) until Heal(). Returns once
  // the open connections have been reset (open_connections() is then 0).
  void Cut();
  // Link up again: new connections are forwarded.
  void Heal();
  // Adds `d` of latency to every chunk, both directions (0 = none). Applies to
  // data already waiting in the proxy too. Reading continues while chunks wait
  // (up to 1 MiB per direction), so latency does not cap throughput.
  void SetDelay(absl::Duration d);
  // Caps each direction of each connection at `bytes_per_second` (0 =
  // unlimited). A token bucket with a burst of 1/20 s worth of bytes.
  void SetBandwidth(uint64_t bytes_per_second);
  // Stall: stop forwarding (connections stay open, bytes wait in the kernel
  // buffers and in the proxy) until Resume().
  void Stall();
  void Resume();
  // Resets every open connection now but keeps accepting new ones. Returns
  // once those connections have been reset.
  void ResetAll();
  // Each currently open connection forwards at most `n` more bytes in each
  // direction; when a direction has forwarded its `n` bytes and has more to
  // forward, the proxy waits (up to 2 s) for the `n` bytes to leave its send
  // buffer and then resets the connection (truncation mid-frame). A direction
  // that never has more than `n` bytes to forward is not cut. Connections
  // accepted later are not affected.
  void TruncateAfter(uint64_t n);

  // Total bytes written to peers, both directions, all connections.
  uint64_t bytes_forwarded() const;
  // Connections accepted and connected to the target (forwarded). Does not
  // count connections refused during Cut() or because the target refused.
  uint64_t connections_accepted() const;
  // Connections accepted and then reset at once, because of Cut() or because
  // the target could not be reached.
  uint64_t connections_refused() const;
  // Forwarded connections whose sockets are not closed yet.
  uint64_t open_connections() const;

 private:
  struct Connection;
  struct Direction;

  TcpProxy(int listen_fd, int port, int target_port, int accept_wake_fd);

  void AcceptLoop();
  // Connects a new socket to the target; -1 on failure or when stopping.
  int ConnectToTarget();
  void Refuse(int client_fd);
  void StartConnection(int client_fd, int server_fd);
  void Forward(Connection* conn, Direction* dir);
  // Called by a forwarding thread as it stops. `reset` asks for the whole
  // connection to be reset. The last thread to stop closes both sockets.
  void FinishDirection(Connection* conn, bool reset);
  // Joins and drops connections whose sockets are closed.
  void Reap();
  // Asks every open connection to reset, wakes its threads and waits (bounded)
  // until their sockets are closed.
  void ResetOpenConnections() ABSL_LOCKS_EXCLUDED(mu_);
  void WakeAllLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int listen_fd_;
  const int port_;
  const int target_port_;
  const int accept_wake_fd_;  // eventfd: wakes the accept thread

  std::atomic<bool> stopping_{false};
  std::atomic<bool> stalled_{false};
  std::atomic<int64_t> delay_ns_{0};
  std::atomic<uint64_t> bandwidth_{0};
  std::atomic<uint64_t> bytes_forwarded_{0};
  std::atomic<uint64_t> connections_accepted_{0};
  std::atomic<uint64_t> connections_refused_{0};
  std::atomic<uint64_t> open_connections_{0};

  mutable absl::Mutex mu_;
  bool cut_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::shared_ptr<Connection>> connections_ ABSL_GUARDED_BY(mu_);

  std::thread accept_thread_;
};

}  // namespace sanji::test_support

#endif  // SANJI_TESTS_SUPPORT_TCP_PROXY_H_

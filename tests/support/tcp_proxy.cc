#include "tests/support/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace sanji::test_support {
namespace {

constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();
// Most bytes a direction reads ahead of what it has written (delay queue).
constexpr size_t kMaxQueued = 1 << 20;
constexpr size_t kReadSize = 64 << 10;
// Upper bound on any single poll(), as a safety net: every wait re-checks the
// proxy's state at least this often even if a wake-up were lost.
constexpr int kMaxPollMs = 1000;
// How long a truncating direction waits for its last bytes to leave the send
// buffer before resetting.
constexpr absl::Duration kTruncateDrainTimeout = absl::Seconds(2);
// How long a connect to the target may take.
constexpr absl::Duration kConnectTimeout = absl::Seconds(5);
// How long Cut()/ResetAll() wait for the connections to be closed.
constexpr absl::Duration kResetWaitTimeout = absl::Seconds(5);

void Wake(int event_fd) {
  uint64_t one = 1;
  (void)!write(event_fd, &one, sizeof(one));
}

void DrainWake(int event_fd) {
  uint64_t value;
  (void)!read(event_fd, &value, sizeof(value));
}

void SetLingerZero(int fd) {
  struct linger lg = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

void SetNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// Closes `fd` so that the peer gets an RST.
void ResetAndClose(int fd) {
  SetLingerZero(fd);
  close(fd);
}

// Rounds `d` up to whole milliseconds, clamped to [1, kMaxPollMs].
int PollMs(absl::Duration d) {
  double ms = std::ceil(absl::ToDoubleMilliseconds(d));
  if (ms < 1) return 1;
  if (ms > kMaxPollMs) return kMaxPollMs;
  return static_cast<int>(ms);
}

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

// Token-bucket burst for a rate: 1/20 s worth of bytes, at least one.
double Burst(uint64_t rate) {
  return std::max(1.0, static_cast<double>(rate) / 20.0);
}

}  // namespace

// One direction of a connection: reads `src`, writes `dst`.
struct TcpProxy::Direction {
  Direction(int src_fd, int dst_fd)
      : src(src_fd),
        dst(dst_fd),
        wake_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~Direction() {
    if (thread.joinable()) thread.join();
    if (wake_fd >= 0) close(wake_fd);
  }

  const int src;      // borrowed from the Connection
  const int dst;      // borrowed from the Connection
  const int wake_fd;  // eventfd; written to make the thread re-check state
  std::thread thread;

  // Guards the truncation budget against a concurrent TruncateAfter(): the
  // forwarding thread holds it around each send().
  absl::Mutex mu;
  uint64_t sent ABSL_GUARDED_BY(mu) = 0;
  uint64_t limit ABSL_GUARDED_BY(mu) = kNoLimit;
};

// A forwarded connection. The sockets are closed by the last of its two
// forwarding threads to stop; the object is destroyed (threads joined,
// eventfds closed) after it has been removed from TcpProxy::connections_.
struct TcpProxy::Connection {
  Connection(int client, int server)
      : client_fd(client),
        server_fd(server),
        up(client, server),
        down(server, client) {}

  const int client_fd;
  const int server_fd;
  Direction up;    // client -> server
  Direction down;  // server -> client
  // Set when the connection must be reset; both threads then stop.
  std::atomic<bool> reset{false};
  // Guarded by TcpProxy::mu_.
  int active_threads = 2;
  bool closed = false;  // both sockets closed
};

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(int target_port,
                                                          int listen_port) {
  if (target_port <= 0 || target_port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("TcpProxy: bad target port ", target_port));
  }
  if (listen_port < 0 || listen_port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("TcpProxy: bad listen port ", listen_port));
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("TcpProxy: socket: ", strerror(errno)));
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = Loopback(listen_port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd, 128) != 0) {
    int e = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("TcpProxy: cannot listen on 127.0.0.1:", listen_port, ": ",
                     strerror(e)));
  }
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int e = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("TcpProxy: getsockname: ", strerror(e)));
  }
  int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake < 0) {
    int e = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("TcpProxy: eventfd: ", strerror(e)));
  }
  return std::unique_ptr<TcpProxy>(
      new TcpProxy(fd, ntohs(addr.sin_port), target_port, wake));
}

TcpProxy::TcpProxy(int listen_fd, int port, int target_port, int accept_wake_fd)
    : listen_fd_(listen_fd),
      port_(port),
      target_port_(target_port),
      accept_wake_fd_(accept_wake_fd) {
  accept_thread_ = std::thread(&TcpProxy::AcceptLoop, this);
}

TcpProxy::~TcpProxy() {
  stopping_ = true;
  Wake(accept_wake_fd_);
  accept_thread_.join();
  std::vector<std::shared_ptr<Connection>> all;
  {
    absl::MutexLock lock(&mu_);
    all.swap(connections_);
    for (auto& conn : all) {
      conn->reset = true;
      Wake(conn->up.wake_fd);
      Wake(conn->down.wake_fd);
    }
  }
  // Joined outside mu_: the threads take it in FinishDirection().
  for (auto& conn : all) {
    if (conn->up.thread.joinable()) conn->up.thread.join();
    if (conn->down.thread.joinable()) conn->down.thread.join();
  }
  all.clear();
  close(listen_fd_);
  close(accept_wake_fd_);
}

void TcpProxy::Cut() {
  {
    absl::MutexLock lock(&mu_);
    cut_ = true;
  }
  ResetOpenConnections();
}

void TcpProxy::Heal() {
  absl::MutexLock lock(&mu_);
  cut_ = false;
}

void TcpProxy::SetDelay(absl::Duration d) {
  delay_ns_ = std::max<int64_t>(0, absl::ToInt64Nanoseconds(d));
  absl::MutexLock lock(&mu_);
  WakeAllLocked();
}

void TcpProxy::SetBandwidth(uint64_t bytes_per_second) {
  bandwidth_ = bytes_per_second;
  absl::MutexLock lock(&mu_);
  WakeAllLocked();
}

void TcpProxy::Stall() {
  stalled_ = true;
  absl::MutexLock lock(&mu_);
  WakeAllLocked();
}

void TcpProxy::Resume() {
  stalled_ = false;
  absl::MutexLock lock(&mu_);
  WakeAllLocked();
}

void TcpProxy::ResetAll() { ResetOpenConnections(); }

void TcpProxy::TruncateAfter(uint64_t n) {
  absl::MutexLock lock(&mu_);
  for (auto& conn : connections_) {
    for (Direction* dir : {&conn->up, &conn->down}) {
      absl::MutexLock dir_lock(&dir->mu);
      dir->limit = dir->sent > kNoLimit - n ? kNoLimit : dir->sent + n;
    }
  }
  WakeAllLocked();
}

uint64_t TcpProxy::bytes_forwarded() const { return bytes_forwarded_; }
uint64_t TcpProxy::connections_accepted() const {
  return connections_accepted_;
}
uint64_t TcpProxy::connections_refused() const { return connections_refused_; }
uint64_t TcpProxy::open_connections() const { return open_connections_; }

void TcpProxy::WakeAllLocked() {
  for (auto& conn : connections_) {
    Wake(conn->up.wake_fd);
    Wake(conn->down.wake_fd);
  }
}

void TcpProxy::ResetOpenConnections() {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<Connection>> snapshot = connections_;
  for (auto& conn : snapshot) {
    conn->reset = true;
    Wake(conn->up.wake_fd);
    Wake(conn->down.wake_fd);
  }
  auto all_closed = [&snapshot]() {
    for (auto& conn : snapshot) {
      if (!conn->closed) return false;
    }
    return true;
  };
  mu_.AwaitWithTimeout(absl::Condition(&all_closed), kResetWaitTimeout);
}

void TcpProxy::AcceptLoop() {
  while (!stopping_) {
    Reap();
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {accept_wake_fd_, POLLIN, 0}};
    int rc = poll(fds, 2, kMaxPollMs);
    if (rc < 0 && errno != EINTR) break;
    if (fds[1].revents != 0) DrainWake(accept_wake_fd_);
    if (stopping_) break;
    if (rc <= 0 || fds[0].revents == 0) continue;
    while (!stopping_) {
      int client =
          accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (client < 0) break;  // EAGAIN (drained) or a transient error
      bool cut;
      {
        absl::MutexLock lock(&mu_);
        cut = cut_;
      }
      if (cut) {
        Refuse(client);
        continue;
      }
      int server = ConnectToTarget();
      if (server < 0) {
        Refuse(client);
        continue;
      }
      StartConnection(client, server);
    }
  }
}

int TcpProxy::ConnectToTarget() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr = Loopback(target_port_);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    return fd;
  }
  if (errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  absl::Time deadline = absl::Now() + kConnectTimeout;
  while (!stopping_) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    pollfd fds[2] = {{fd, POLLOUT, 0}, {accept_wake_fd_, POLLIN, 0}};
    int rc = poll(fds, 2, PollMs(left));
    if (rc < 0 && errno != EINTR) break;
    if (fds[1].revents != 0) DrainWake(accept_wake_fd_);
    if (rc > 0 && fds[0].revents != 0) {
      int err = 0;
      socklen_t len = sizeof(err);
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
        return fd;
      }
      break;
    }
  }
  close(fd);
  return -1;
}

void TcpProxy::Refuse(int client_fd) {
  // Counted before the RST, so a client that has seen the reset sees the count.
  ++connections_refused_;
  ResetAndClose(client_fd);
}

void TcpProxy::StartConnection(int client_fd, int server_fd) {
  SetNoDelay(client_fd);
  SetNoDelay(server_fd);
  auto conn = std::make_shared<Connection>(client_fd, server_fd);
  absl::MutexLock lock(&mu_);
  if (cut_ || stopping_ || conn->up.wake_fd < 0 || conn->down.wake_fd < 0) {
    close(server_fd);
    Refuse(client_fd);
    return;
  }
  connections_.push_back(conn);
  ++connections_accepted_;
  ++open_connections_;
  // The threads take mu_ only when they stop, so starting them under it is
  // fine.
  conn->up.thread =
      std::thread(&TcpProxy::Forward, this, conn.get(), &conn->up);
  conn->down.thread =
      std::thread(&TcpProxy::Forward, this, conn.get(), &conn->down);
}

void TcpProxy::Reap() {
  std::vector<std::shared_ptr<Connection>> done;
  {
    absl::MutexLock lock(&mu_);
    auto it = std::partition(
        connections_.begin(), connections_.end(),
        [](const std::shared_ptr<Connection>& c) { return !c->closed; });
    done.assign(std::make_move_iterator(it),
                std::make_move_iterator(connections_.end()));
    connections_.erase(it, connections_.end());
  }
  // Their threads have stopped (or are returning from FinishDirection()).
  for (auto& conn : done) {
    conn->up.thread.join();
    conn->down.thread.join();
  }
}

void TcpProxy::FinishDirection(Connection* conn, bool reset) {
  absl::MutexLock lock(&mu_);
  if (reset) {
    conn->reset = true;
    Wake(conn->up.wake_fd);
    Wake(conn->down.wake_fd);
  }
  if (--conn->active_threads > 0) return;
  // Both threads are done with the sockets: close them.
  if (conn->reset) {
    SetLingerZero(conn->client_fd);
    SetLingerZero(conn->server_fd);
  }
  close(conn->client_fd);
  close(conn->server_fd);
  conn->closed = true;
  --open_connections_;
  Wake(accept_wake_fd_);  // reap promptly
}

void TcpProxy::Forward(Connection* conn, Direction* dir) {
  struct Chunk {
    absl::Time read_at;
    std::string data;
    size_t offset = 0;
  };
  std::deque<Chunk> queue;
  size_t queued = 0;  // bytes in `queue` not yet written
  bool src_eof = false;
  bool reset = false;
  // Token bucket, used while bandwidth_ != 0.
  uint64_t rate = 0;
  double tokens = 0;
  absl::Time last_refill = absl::Now();
  std::string buf(kReadSize, '\0');

  for (;;) {
    if (stopping_ || conn->reset) {
      reset = true;
      break;
    }
    if (stalled_) {
      pollfd wake = {dir->wake_fd, POLLIN, 0};
      if (poll(&wake, 1, kMaxPollMs) > 0) DrainWake(dir->wake_fd);
      continue;
    }
    if (uint64_t r = bandwidth_; r != rate) {
      rate = r;
      tokens = Burst(rate);
      last_refill = absl::Now();
    }

    // Write what is due.
    int timeout_ms = -1;
    bool need_pollout = false;
    bool truncate = false;
    bool failed = false;
    while (!queue.empty()) {
      Chunk& chunk = queue.front();
      absl::Time now = absl::Now();
      absl::Time due = chunk.read_at + absl::Nanoseconds(delay_ns_.load());
      if (now < due) {
        timeout_ms = PollMs(due - now);
        break;
      }
      size_t want = chunk.data.size() - chunk.offset;
      if (rate > 0) {
        double burst = Burst(rate);
        tokens =
            std::min(burst, tokens + absl::ToDoubleSeconds(now - last_refill) *
                                         static_cast<double>(rate));
        last_refill = now;
        double need = std::min(static_cast<double>(want), burst);
        if (tokens < need) {
          timeout_ms = PollMs(absl::Seconds((need - tokens) / rate));
          break;
        }
        want = std::min(want, static_cast<size_t>(tokens));
      }
      ssize_t n;
      {
        absl::MutexLock lock(&dir->mu);
        if (dir->limit != kNoLimit) {
          if (dir->sent >= dir->limit) {
            truncate = true;
            break;
          }
          want = std::min<uint64_t>(want, dir->limit - dir->sent);
        }
        n = send(dir->dst, chunk.data.data() + chunk.offset, want,
                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
          dir->sent += n;
          bytes_forwarded_ += n;
        }
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          need_pollout = true;
        } else {
          failed = true;  // the destination is gone
        }
        break;
      }
      chunk.offset += n;
      queued -= n;
      if (rate > 0) tokens -= n;
      if (chunk.offset == chunk.data.size()) queue.pop_front();
    }
    if (failed) {
      reset = true;
      break;
    }
    if (truncate) {
      // Let the last permitted bytes reach the peer before the RST discards
      // whatever is still in the send buffer.
      absl::Time deadline = absl::Now() + kTruncateDrainTimeout;
      while (!stopping_ && !conn->reset && absl::Now() < deadline) {
        int outq = 0;
        if (ioctl(dir->dst, SIOCOUTQ, &outq) != 0 || outq == 0) break;
        pollfd wake = {dir->wake_fd, POLLIN, 0};
        if (poll(&wake, 1, 5) > 0) DrainWake(dir->wake_fd);
      }
      reset = true;
      break;
    }
    if (queue.empty() && src_eof) {
      shutdown(dir->dst, SHUT_WR);  // pass the clean close on
      break;
    }

    // Wait for input, for room to write, for the next due time or a wake-up.
    pollfd fds[3];
    nfds_t nfds = 0;
    fds[nfds++] = {dir->wake_fd, POLLIN, 0};
    int src_index = -1;
    if (!src_eof && queued < kMaxQueued) {
      src_index = static_cast<int>(nfds);
      fds[nfds++] = {dir->src, POLLIN, 0};
    }
    if (need_pollout) fds[nfds++] = {dir->dst, POLLOUT, 0};
    int rc = poll(fds, nfds, timeout_ms < 0 ? kMaxPollMs : timeout_ms);
    if (rc <= 0) continue;
    if (fds[0].revents != 0) DrainWake(dir->wake_fd);
    if (src_index < 0 || fds[src_index].revents == 0) continue;

    // Read what has arrived.
    while (!src_eof && queued < kMaxQueued) {
      size_t room = std::min(buf.size(), kMaxQueued - queued);
      ssize_t n = recv(dir->src, buf.data(), room, MSG_DONTWAIT);
      if (n > 0) {
        queue.push_back({absl::Now(), buf.substr(0, n)});
        queued += n;
        if (static_cast<size_t>(n) < room) break;  // probably drained
      } else if (n == 0) {
        src_eof = true;
      } else if (errno == EINTR) {
        continue;
      } else {
        if (errno != EAGAIN && errno != EWOULDBLOCK) failed = true;
        break;
      }
    }
    if (failed) {
      reset = true;  // e.g. the source was reset: pass the reset on
      break;
    }
  }
  FinishDirection(conn, reset);
}

}  // namespace sanji::test_support

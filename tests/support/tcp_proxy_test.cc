// Tests of the fault-injecting TCP proxy, over real loopback sockets.
#include "tests/support/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

namespace sanji::test_support {
namespace {

constexpr absl::Duration kWait = absl::Seconds(10);

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

// A blocking client socket connected to 127.0.0.1:port, with 10 s send and
// receive timeouts so that a broken test fails instead of hanging.
Fd ConnectTo(int port) {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.ok()) return fd;
  timeval tv = {10, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr = Loopback(port);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
      0) {
    return Fd();
  }
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += n;
  }
  return true;
}

// Reads until `n` bytes have arrived or the stream ends or fails.
std::string RecvExactly(int fd, size_t n) {
  std::string out;
  char buf[65536];
  while (out.size() < n) {
    ssize_t got = recv(fd, buf, std::min(sizeof(buf), n - out.size()), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    out.append(buf, got);
  }
  return out;
}

// How a stream ended when read to its end.
struct ReadResult {
  std::string data;
  bool clean_eof = false;  // recv returned 0
  int error = 0;           // errno of the failing recv, if it failed
  bool timed_out() const { return error == EAGAIN || error == EWOULDBLOCK; }
  bool ended() const { return clean_eof || (error != 0 && !timed_out()); }
};

ReadResult ReadUntilClosed(int fd) {
  ReadResult r;
  char buf[65536];
  for (;;) {
    ssize_t got = recv(fd, buf, sizeof(buf), 0);
    if (got > 0) {
      r.data.append(buf, got);
    } else if (got == 0) {
      r.clean_eof = true;
      return r;
    } else if (errno != EINTR) {
      r.error = errno;
      return r;
    }
  }
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen());
  return s;
}

// True if `fd` becomes readable (data, EOF or error) within `timeout`.
bool ReadableWithin(int fd, absl::Duration timeout) {
  pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) > 0;
}

// A loopback TCP server that runs `handler(fd)` on its own thread for each
// connection. The server owns the sockets: handlers must not close them.
class TestServer {
 public:
  explicit TestServer(std::function<void(int)> handler)
      : handler_(std::move(handler)) {
    listen_fd_ = Fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr = Loopback(0);
    socklen_t len = sizeof(addr);
    if (bind(listen_fd_.get(), reinterpret_cast<sockaddr*>(&addr),
             sizeof(addr)) != 0 ||
        listen(listen_fd_.get(), 64) != 0 ||
        getsockname(listen_fd_.get(), reinterpret_cast<sockaddr*>(&addr),
                    &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }

  ~TestServer() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      for (const Fd& fd : conns_) shutdown(fd.get(), SHUT_RDWR);
    }
    shutdown(listen_fd_.get(), SHUT_RDWR);  // wakes accept()
    if (accept_thread_.joinable()) accept_thread_.join();
    for (std::thread& t : threads_) t.join();
  }

  int port() const { return port_; }

 private:
  void AcceptLoop() {
    for (;;) {
      int fd = accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      absl::MutexLock lock(&mu_);
      if (stopping_ || fd < 0) {
        if (fd >= 0) close(fd);
        if (stopping_) return;
        continue;
      }
      conns_.emplace_back(fd);
      threads_.emplace_back([this, fd] { handler_(fd); });
    }
  }

  std::function<void(int)> handler_;
  Fd listen_fd_;
  int port_ = 0;
  std::thread accept_thread_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Fd> conns_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;  // appended by the accept thread only
};

// Echoes everything; on EOF half-closes its side.
void Echo(int fd) {
  char buf[65536];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (!SendAll(fd, std::string(buf, n))) return;
  }
  shutdown(fd, SHUT_WR);
}

// Sends `data` on a new connection through `port` (then half-closes) while
// reading everything that comes back.
ReadResult EchoRoundTrip(int port, const std::string& data) {
  Fd fd = ConnectTo(port);
  if (!fd.ok()) {
    ReadResult failed;
    failed.error = errno;
    return failed;
  }
  std::thread writer([&] {
    SendAll(fd.get(), data);
    shutdown(fd.get(), SHUT_WR);
  });
  ReadResult r = ReadUntilClosed(fd.get());
  writer.join();
  return r;
}

std::unique_ptr<TcpProxy> StartProxy(int target_port) {
  absl::StatusOr<std::unique_ptr<TcpProxy>> proxy =
      TcpProxy::Start(target_port);
  EXPECT_TRUE(proxy.ok()) << proxy.status();
  return proxy.ok() ? std::move(*proxy) : nullptr;
}

TEST(TcpProxyTest, StartRejectsBadPorts) {
  EXPECT_EQ(TcpProxy::Start(0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TcpProxy::Start(70000).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TcpProxy::Start(80, -1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TcpProxyTest, StartFailsClearlyWhenThePortIsTaken) {
  TestServer server(Echo);
  ASSERT_NE(server.port(), 0);
  absl::StatusOr<std::unique_ptr<TcpProxy>> proxy =
      TcpProxy::Start(server.port(), server.port());
  ASSERT_FALSE(proxy.ok());
  EXPECT_EQ(proxy.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(proxy.status().message(),
                                absl::StrCat("127.0.0.1:", server.port())))
      << proxy.status();
}

TEST(TcpProxyTest, ListensOnTheRequestedPort) {
  TestServer server(Echo);
  int wanted = PickFreePort();
  ASSERT_NE(wanted, 0);
  absl::StatusOr<std::unique_ptr<TcpProxy>> proxy =
      TcpProxy::Start(server.port(), wanted);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  EXPECT_EQ((*proxy)->port(), wanted);
  EXPECT_EQ(EchoRoundTrip(wanted, "hi").data, "hi");
}

TEST(TcpProxyTest, EchoesASmallMessage) {
  TestServer server(Echo);
  auto proxy = StartProxy(server.port());
  ASSERT_NE(proxy, nullptr);
  EXPECT_NE(proxy->port(), server.port());
  Fd fd = ConnectTo(proxy->port());
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(SendAll(fd.get(), "hello"));
  EXPECT_EQ(RecvExactly(fd.get(), 5), "hello");
  // The counter is bumped just after the send the client may already have read.
  EXPECT_TRUE(WaitFor([&] { return proxy->bytes_forwarded() == 10; }, kWait))
      << proxy->bytes_forwarded();
  EXPECT_EQ(proxy->connections_accepted(), 1u);
  EXPECT_EQ(proxy->open_connections(), 1u);
  fd = Fd();
  EXPECT_TRUE(WaitFor([&] { return proxy->open_connections() == 0; }, kWait));
  EXPECT_EQ(proxy->connections_refused(), 0u);
}

TEST(TcpProxyTest, EchoesOneMebibyteExactlyAndPassesTheCloseOn) {
  TestServer server(Echo);
  auto proxy = StartProxy(server.port());
  ASSERT_NE(proxy, nullptr);
  const std::string data = RandomBytes(1 << 20, 1);
  ReadResult r = EchoRoundTrip(proxy->port(), data);
  EXPECT_TRUE(r.clean_eof) << "error " << r.error;
  EXPECT_EQ(r.data.size(), data.size());
  EXPECT_TRUE(r.data == data);
  EXPECT_TRUE(WaitFor([&] { return proxy->open_connections() == 0; }, kWait));
  EXPECT_EQ(proxy->bytes_forwarded(), 2u * data.size());
}

TEST(TcpProxyTest, ForwardsConcurrentConnectionsIndependently) {
  TestServer server(Echo);
  auto proxy = StartProxy(server.port());
  ASSERT_NE(proxy, nullptr);
  constexpr int kConns = 8;
  std::vector<std::string> sent(kConns), got(kConns);
  std::vector<std::thread> clients;
  for (int i = 0; i < kConns; ++i) {
    sent[i] = RandomBytes(100 << 10, 100 + i);
    clients.emplace_back(
        [&, i] { got[i] = EchoRoundTrip(proxy->port(), sent[i]).data; });
  }
  for (std::thread& t : clients) t.join();
  for (int i = 0; i < kConns; ++i) EXPECT_TRUE(got[i] == sent[i]) << i;
  EXPECT_EQ(proxy->connections_accepted(), static_cast<uint64_t>(kConns));
  EXPECT_TRUE(WaitFor([&] { return proxy->open_connections() == 0; }, kWait));
}

TEST(TcpProxyTest, ResetsClientsWhileTheTargetIsDown) {
  int dead_port = PickFreePort();  // nothing listens here
  ASSERT_NE(dead_port, 0);
  auto proxy = StartProxy(dead_port);
  ASSERT_NE(proxy, nullptr);
  Fd fd = ConnectTo(proxy->port());
  ASSERT_TRUE(fd.ok());
  ReadResult r = ReadUntilClosed(fd.get());
  EXPECT_TRUE(r.ended());
  EXPECT_EQ(r.error, ECONNRESET);
  EXPECT_EQ(proxy->connections_accepted(), 0u);
  EXPECT_EQ(proxy->connections_refused(), 1u);
}

TEST(TcpProxyTest, CutResetsOpenConnectionsAndRefusesNewOnesUntilHeal) {
  TestServer server(Echo);
  auto proxy = StartProxy(server.port());
  ASSERT_NE(proxy, nullptr);
  Fd open = ConnectTo(proxy->port());
  ASSERT_TRUE(open.ok());
  ASSERT_TRUE(SendAll(open.get(), "ping"));
  ASSERT_EQ(RecvExactly(open.get(), 4), "ping");

  proxy->Cut();
  EXPECT_EQ(proxy->open_connections(), 0u);  // Cut() waits for the resets
  ReadResult r = ReadUntilClosed(open.get());
  EXPECT_TRUE(r.ended()) << "error " << r.error;
  EXPECT_EQ(r.error, ECONNRESET);

  // New connections are accepted by the kernel and reset by the proxy.
  Fd refused = ConnectTo(proxy->port());
  if (refused.ok()) {
    SendAll(refused.get(), "ping");  // may fail: the reset can come first
    ReadResult rr = ReadUntilClosed(refused.get());
    EXPECT_TRUE(rr.ended()) << "error " << rr.error;
    EXPECT_TRUE(rr.data.empty());
  }
  EXPECT_TRUE(
      WaitFor([&] { return proxy->connections_refused() >= 1; }, kWait));
  EXPECT_EQ(proxy->connections_accepted(), 1u);

  proxy->Heal();
  ReadResult healed = EchoRoundTrip(proxy->port(), "after heal");
  EXPECT_EQ(healed.data, "after heal");
  EXPECT_TRUE(healed.clean_eof);
  EXPECT_EQ(proxy->connections_accepted(), 2u);
}

TEST(TcpProxyTest, ResetAllDropsCurrentConnectionsButAcceptsNewOnes) {
  TestServer server(Echo);
  auto proxy = StartProxy(server.port());
  ASSERT_NE(proxy, nullptr);
  std::vector<Fd> conns;
  for (int i = 0; i < 2; ++i) {
    conns.push_back(ConnectTo(proxy->port()));
    ASSERT_TRUE(conns.back().ok());
    ASSERT_TRUE(SendAll(conns.back().get(), "x"));
    ASSERT_EQ(RecvExactly(conns.back().get(), 1), "x");
  }
  EXPECT_EQ(proxy->open_connections(), 2u);

  proxy->ResetAll();
  EXPECT_EQ(proxy->open_connections(), 0u);
  for (const Fd& fd : conns) {
    ReadResult r = ReadUntilClosed(fd.get());
    EXPECT_EQ(r.error, ECONNRESET);
  }

  ReadResult again = EchoRoundTrip(proxy->port(), "still accepting");
  EXPECT_EQ(again.data, "still accepting");
  EXPECT_EQ(proxy->connections_accepted(), 3u);
  EXPECT_EQ(proxy->connections_refused(), 0u);
}

TEST(TcpProxyTest, TruncateAfterCutsTheClientToServerStream) {
  absl::Mutex mu;
  std::optional<ReadResult> received;  // what the server got, once it ended
  TestServer server([&](int fd) {
    ReadResult r = ReadUntilClosed(fd);
    absl::MutexLock lock(&mu);
    received = r;
  });
  auto proxy = StartProxy(server.port());
  ASSERT_NE(proxy, nullptr);
  Fd fd = ConnectTo(proxy->port());
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(WaitFor([&] { return proxy->open_connections() == 1; }, kWait));

  proxy->TruncateAfter(1000);
  const std::string data = RandomBytes(256 << 10, 2);
  SendAll(fd.get(), data);  // fails part-way when the proxy resets

  ASSERT_TRUE(WaitFor(
      [&] {
        absl::MutexLock lock(&mu);
        return received.has_value();
      },
      kWait));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(received->data.size(), 1000u);
  EXPECT_TRUE(received->data == data.substr(0, 1000));
  EXPECT_EQ(received->error, ECONNRESET);
  ReadResult client_side = ReadUntilClosed(fd.get());
  EXPECT_TRUE(client_side.ended());
  EXPECT_TRUE(client_side.data.empty());
}

TEST(TcpProxyTest, TruncateAfterCutsTheServerToClientStream) {
  const std::string blob = RandomBytes(256 << 10, 3);
  // Sends `blob` once the client has sent a byte, then waits for the end.
  TestServer server([&](int fd) {
    if (RecvExactly(fd, 1).size() != 1) return;
    SendAll(fd, blob);
    ReadUntilClosed(fd);
  });
  auto proxy = StartProxy(server.port());
  ASSERT_NE(proxy, nullptr);
  Fd fd = ConnectTo(proxy->port());
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(WaitFor([&] { return proxy->open_connections() == 1; }, kWait));

  proxy->TruncateAfter(1000);
  ASSERT_TRUE(SendAll(fd.get(), "go"));
  ReadResult r = ReadUntilClosed(fd.get());
  EXPECT_EQ(r.data.size(), 1000u);
  EXPECT_TRUE(r.data == blob.substr(0, 1000));
  EXPECT_EQ(r.error, ECONNRESET);
  EXPECT_TRUE(WaitFor([&] { return proxy->open_connections() == 0; }, kWait));
}

TEST(TcpProxyTest, TruncateAfterLeavesLaterConnectionsAlone) {
  TestServer server(Echo);
  auto proxy = StartProxy(server.port());
  ASSERT_NE(proxy, nullptr);
  Fd old_conn = ConnectTo(proxy->port());
  ASSERT_TRUE(old_conn.ok());
  ASSERT_TRUE(WaitFor([&] { return proxy->open_connections() == 1; }, kWait));

  proxy->TruncateAfter(10);
  const std::string data = RandomBytes(64 << 10, 4);
  ReadResult fresh = EchoRoundTrip(proxy->port(), data);
  EXPECT_TRUE(fresh.data == data);
  EXPECT_TRUE(fresh.clean_eof);

  SendAll(old_conn.get(), std::string(100, 'a'));
  ReadResult old_result = ReadUntilClosed(old_conn.get());
  EXPECT_LE(old_result.data.size(), 10u);
  EXPECT_EQ(old_result.error, ECONNRESET);
}

TEST(TcpProxyTest, BandwidthCapSlowsTheTransfer) {
  TestServer server(Echo);
  auto proxy = StartProxy(server.port());
  ASSERT_NE(proxy, nullptr);
  proxy->SetBandwidth(100 << 10);
  const std::string data = RandomBytes(200 << 10, 5);
  absl::Time start = absl::Now();
  ReadResult r = EchoRoundTrip(proxy->port(), data);
  absl::Duration took = absl::Now() - start;
  EXPECT_TRUE(r.data == data);
  EXPECT_GE(took, absl::Milliseconds(1500)) << took;

  proxy->SetBandwidth(0);
  const std::string more = RandomBytes(1 << 20, 6);
  EXPECT_TRUE(EchoRoundTrip(proxy->port(), more).data == more);
}

TEST(TcpProxyTest, DelayAddsLatencyInBothDirections) {
  TestServer server(Echo);
  auto proxy = StartProxy(server.port());
  ASSERT_NE(proxy, nullptr);
  Fd fd = ConnectTo(proxy->port());
  ASSERT_TRUE(fd.ok());
  proxy->SetDelay(absl::Milliseconds(150));
  absl::Time start = absl::Now();
  ASSERT_TRUE(SendAll(fd.get(), "ping"));
  EXPECT_EQ(RecvExactly(fd.get(), 4), "ping");
  absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(300)) << took;

  proxy->SetDelay(absl::ZeroDuration());
  ASSERT_TRUE(SendAll(fd.get(), "pong"));
  EXPECT_EQ(RecvExactly(fd.get(), 4), "pong");
}

TEST(TcpProxyTest, StallHoldsBytesUntilResume) {
  TestServer server(Echo);
  auto proxy = StartProxy(server.port());
  ASSERT_NE(proxy, nullptr);
  Fd fd = ConnectTo(proxy->port());
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(SendAll(fd.get(), "x"));
  ASSERT_EQ(RecvExactly(fd.get(), 1), "x");
  ASSERT_TRUE(WaitFor([&] { return proxy->bytes_forwarded() == 2; }, kWait));

  proxy->Stall();
  const uint64_t before = proxy->bytes_forwarded();
  const std::string data = RandomBytes(64 << 10, 7);
  std::thread writer([&] { SendAll(fd.get(), data); });
  // Nothing may come back while stalled (an absence check, not a sync).
  EXPECT_FALSE(ReadableWithin(fd.get(), absl::Milliseconds(300)));
  EXPECT_EQ(proxy->bytes_forwarded(), before);
  EXPECT_EQ(proxy->open_connections(), 1u);

  proxy->Resume();
  std::string back = RecvExactly(fd.get(), data.size());
  writer.join();
  EXPECT_EQ(back.size(), data.size());
  EXPECT_TRUE(back == data);
}

TEST(TcpProxyTest, DestroyingWithOpenConnectionsReturnsPromptly) {
  TestServer server(Echo);
  auto proxy = StartProxy(server.port());
  ASSERT_NE(proxy, nullptr);

  Fd idle = ConnectTo(proxy->port());
  // A connection whose client never reads: the proxy blocks writing to it.
  Fd flooding = ConnectTo(proxy->port());
  ASSERT_TRUE(idle.ok());
  ASSERT_TRUE(flooding.ok());
  std::thread flooder(
      [&] { SendAll(flooding.get(), RandomBytes(8 << 20, 8)); });
  ASSERT_TRUE(WaitFor([&] { return proxy->open_connections() == 2; }, kWait));
  ASSERT_TRUE(
      WaitFor([&] { return proxy->bytes_forwarded() >= (1u << 20); }, kWait));
  proxy->SetDelay(absl::Seconds(30));
  ASSERT_TRUE(SendAll(idle.get(), "delayed"));  // waits inside the proxy
  proxy->Stall();

  absl::Time start = absl::Now();
  proxy.reset();
  absl::Duration took = absl::Now() - start;
  EXPECT_LT(took, absl::Seconds(3)) << took;

  ReadResult r = ReadUntilClosed(idle.get());
  EXPECT_TRUE(r.ended());
  EXPECT_TRUE(r.data.empty());
  shutdown(flooding.get(), SHUT_RDWR);  // unblocks the flooder if need be
  flooder.join();
}

}  // namespace
}  // namespace sanji::test_support

// Tests of common/net.h: the reconnect backoff's pace, status codes across
// the gRPC edge, and waiting for a connection.
#include "common/net.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace sanji {
namespace {

constexpr absl::Duration kInitial = absl::Milliseconds(100);
constexpr absl::Duration kMax = absl::Seconds(10);

void ExpectWithin(absl::Duration wait, absl::Duration cap) {
  EXPECT_GE(wait, cap / 2) << "cap " << cap;
  EXPECT_LE(wait, cap) << "cap " << cap;
}

TEST(BackoffTest, DoublesFromInitialToMaxWithEqualJitter) {
  Backoff backoff(kInitial, kMax, /*seed=*/1);
  absl::Duration cap = kInitial;
  for (int i = 0; i < 12; ++i) {
    ExpectWithin(backoff.Next(absl::StatusCode::kUnavailable), cap);
    cap = std::min(cap * 2, kMax);
  }
  ExpectWithin(backoff.Next(absl::StatusCode::kUnavailable), kMax);
  backoff.Reset();
  ExpectWithin(backoff.Next(absl::StatusCode::kUnavailable), kInitial);
}

TEST(BackoffTest, AFullOrRefusingPeerIsRetriedAtTheSlowestPaceUntilReset) {
  for (absl::StatusCode code : {absl::StatusCode::kResourceExhausted,
                                absl::StatusCode::kPermissionDenied}) {
    Backoff backoff(kInitial, kMax, /*seed=*/2);
    ExpectWithin(backoff.Next(code), kMax);
    // A link error after it does not bring the pace back: the peer was full.
    ExpectWithin(backoff.Next(absl::StatusCode::kUnavailable), kMax);
    backoff.Reset();  // a session made progress
    ExpectWithin(backoff.Next(absl::StatusCode::kUnavailable), kInitial);
  }
}

TEST(BackoffTest, ASequenceGapIsRetriedAtOnceWithoutClimbing) {
  Backoff backoff(kInitial, kMax, /*seed=*/3);
  backoff.Next(absl::StatusCode::kUnavailable);
  backoff.Next(absl::StatusCode::kUnavailable);
  ExpectWithin(backoff.Next(absl::StatusCode::kAborted), kInitial);
  ExpectWithin(backoff.Next(absl::StatusCode::kUnavailable), kInitial * 4);
  // A gap that a reconnect does not mend climbs like any other failure.
  ExpectWithin(backoff.Next(absl::StatusCode::kAborted), kInitial);
  ExpectWithin(backoff.Next(absl::StatusCode::kAborted), kInitial * 8);
  ExpectWithin(backoff.Next(absl::StatusCode::kAborted), kInitial * 16);
}

TEST(BackoffTest, TheSameSeedGivesTheSameWaits) {
  Backoff a(kInitial, kMax, 42), b(kInitial, kMax, 42), c(kInitial, kMax, 43);
  std::vector<absl::Duration> wa, wb, wc;
  for (int i = 0; i < 5; ++i) {
    wa.push_back(a.Next());
    wb.push_back(b.Next());
    wc.push_back(c.Next());
  }
  EXPECT_EQ(wa, wb);
  EXPECT_NE(wa, wc);
}

TEST(StatusEdgeTest, CodesAndMessagesCrossTheEdgeUnchanged) {
  for (int c = 0; c <= 16; ++c) {
    absl::Status inside(static_cast<absl::StatusCode>(c), "why");
    grpc::Status edge = ToGrpc(inside);
    EXPECT_EQ(static_cast<int>(edge.error_code()), c);
    absl::Status back = FromGrpc(edge);
    EXPECT_EQ(back.code(), inside.code());
    if (c != 0) {
      EXPECT_EQ(back.message(), "why");
    }
  }
  absl::Status prefixed =
      FromGrpc(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "disk full"),
               "sync with township 127.0.0.1:1 ended");
  EXPECT_EQ(prefixed.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(prefixed.message(),
            "sync with township 127.0.0.1:1 ended: disk full");
  EXPECT_TRUE(FromGrpc(grpc::Status::OK, "context").ok());
}

TEST(WaitConnectedTest, AClosedPortIsUnavailableNamingThePeer) {
  // A port that was free a moment ago, with nobody listening.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  std::shared_ptr<grpc::Channel> channel =
      MakeChannel(absl::StrCat("127.0.0.1:", ntohs(addr.sin_port)),
                  grpc::InsecureChannelCredentials());
  absl::Status s =
      WaitConnected(channel.get(), absl::Milliseconds(300), "the township");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(s.message(), "the township")) << s;
}

}  // namespace
}  // namespace sanji

namespace sanji {
namespace {

// The agent's intake is plaintext only where this says loopback: a host name
// that merely starts with "127." must not count.
TEST(IsLoopbackAddressTest, OnlyThisMachinesAddresses) {
  for (const char* yes :
       {"127.0.0.1:7001", "127.1.2.3:1", "localhost:7001", "[::1]:7001"}) {
    EXPECT_TRUE(IsLoopbackAddress(yes)) << yes;
  }
  for (const char* no :
       {"0.0.0.0:7001", "10.0.0.5:7001", "127.0.0.1.nip.io:7001", "[::]:7001",
        "[::ffff:10.0.0.1]:1", "clinic.example:7001", "128.0.0.1:1"}) {
    EXPECT_FALSE(IsLoopbackAddress(no)) << no;
  }
}

}  // namespace
}  // namespace sanji

// Tests of common/reconnect_loop.h: sessions run again and again, at the pace
// the last one's status asks for, and the loop stops cleanly.
#include "common/reconnect_loop.h"

#include <atomic>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

namespace sanji {
namespace {

using test_support::WaitFor;

// Sessions end at once with `status`, counting themselves.
class CountingSessions {
 public:
  explicit CountingSessions(absl::Status status) : status_(std::move(status)) {}
  ReconnectLoop::Session session() {
    return [this](grpc::ClientContext*, bool*) {
      absl::MutexLock lock(&mu_);
      starts_.push_back(absl::Now());
      return status_;
    };
  }
  size_t count() {
    absl::MutexLock lock(&mu_);
    return starts_.size();
  }
  absl::Duration Gap(size_t i) {
    absl::MutexLock lock(&mu_);
    return starts_[i + 1] - starts_[i];
  }

 private:
  absl::Status status_;
  absl::Mutex mu_;
  std::vector<absl::Time> starts_ ABSL_GUARDED_BY(mu_);
};

TEST(ReconnectLoopTest, SessionsRunAgainAfterABackoffAndKeepTheLastError) {
  CountingSessions sessions(absl::UnavailableError("link down"));
  ReconnectLoop loop(sessions.session(),
                     {absl::Milliseconds(20), absl::Milliseconds(80)});
  loop.Start();
  ASSERT_TRUE(WaitFor([&] { return sessions.count() >= 4; }, absl::Seconds(10),
                      absl::Milliseconds(5)));
  loop.Stop();
  EXPECT_GE(sessions.Gap(0), absl::Milliseconds(10));  // half the initial
  EXPECT_GE(sessions.Gap(2), absl::Milliseconds(40));  // half of 4x initial
  EXPECT_EQ(loop.last_error().code(), absl::StatusCode::kUnavailable);
  std::string state, error;
  int64_t last_ack = 0;
  loop.Read(&state, &last_ack, &error);
  EXPECT_EQ(state, "down");
  EXPECT_EQ(error, "link down");
  EXPECT_EQ(last_ack, 0);
}

// A full peer is retried at the slowest pace; RetryNow cuts the wait short
// (an urgent report arrived).
TEST(ReconnectLoopTest, AFullPeerWaitsTheLongestUnlessRetriedNow) {
  CountingSessions sessions(absl::ResourceExhaustedError("township full"));
  ReconnectLoop loop(sessions.session(),
                     {absl::Milliseconds(1), absl::Seconds(60)});
  loop.Start();
  ASSERT_TRUE(WaitFor([&] { return sessions.count() >= 1; }, absl::Seconds(10),
                      absl::Milliseconds(5)));
  absl::SleepFor(absl::Milliseconds(300));  // many 1 ms backoffs would fit
  EXPECT_EQ(sessions.count(), 1u);
  EXPECT_EQ(loop.last_error().code(), absl::StatusCode::kResourceExhausted);
  loop.RetryNow();
  EXPECT_TRUE(WaitFor([&] { return sessions.count() >= 2; }, absl::Seconds(10),
                      absl::Milliseconds(5)));
  const absl::Time stop_started = absl::Now();
  loop.Stop();  // during a 30-60 s wait
  EXPECT_LT(absl::Now() - stop_started, absl::Seconds(5));
}

TEST(ReconnectLoopTest, StopEndsARunningSessionAndAcknowledgementClearsErrors) {
  std::atomic<int> runs{0};
  ReconnectLoop* loop_ptr = nullptr;
  ReconnectLoop loop(
      [&](grpc::ClientContext*, bool* progressed) {
        if (runs.fetch_add(1) == 0) return absl::UnavailableError("first");
        loop_ptr->SetLinkState("connected");
        loop_ptr->MarkAcknowledged();
        *progressed = true;
        while (!loop_ptr->stopping()) absl::SleepFor(absl::Milliseconds(1));
        return absl::OkStatus();
      },
      {absl::Milliseconds(1), absl::Milliseconds(2)});
  loop_ptr = &loop;
  loop.Start();
  std::string state, error;
  int64_t last_ack = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        loop.Read(&state, &last_ack, &error);
        return state == "connected";
      },
      absl::Seconds(10), absl::Milliseconds(5)));
  EXPECT_GT(last_ack, 0);
  EXPECT_EQ(error, "");  // "first" is history once the link works
  EXPECT_TRUE(loop.last_error().ok());
  loop.Stop();
  EXPECT_EQ(runs.load(), 2);
}

}  // namespace
}  // namespace sanji

#include "common/worker_pool.h"

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace sanji {
namespace {

TEST(WorkerPoolTest, RunsEveryTaskOnItsOwnFewThreads) {
  absl::Mutex mu;
  std::set<std::thread::id> threads;
  int ran = 0;
  {
    WorkerPool pool(3);
    EXPECT_EQ(pool.size(), 3);
    for (int i = 0; i < 200; ++i) {
      pool.Schedule([&] {
        absl::MutexLock lock(&mu);
        threads.insert(std::this_thread::get_id());
        ++ran;
      });
    }
  }  // the destructor runs what was scheduled, then joins
  EXPECT_EQ(ran, 200);
  EXPECT_LE(threads.size(), 3u);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
}

// A task blocked on one thread does not hold up the others (a synced write
// of one stream must not stop the rest), and a task may schedule another.
TEST(WorkerPoolTest, ABlockedTaskLeavesTheOtherThreadsWorking) {
  absl::Notification release, second_ran;
  std::atomic<int> ran{0};
  WorkerPool pool(2);
  pool.Schedule([&] {
    release.WaitForNotification();
    ++ran;
  });
  pool.Schedule([&] {
    pool.Schedule([&] {
      ++ran;
      second_ran.Notify();
    });
  });
  EXPECT_TRUE(second_ran.WaitForNotificationWithTimeout(absl::Seconds(30)));
  release.Notify();
}

TEST(WorkerPoolTest, AtLeastOneThread) {
  absl::Notification ran;
  WorkerPool pool(0);
  EXPECT_EQ(pool.size(), 1);
  pool.Schedule([&] { ran.Notify(); });
  EXPECT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(30)));
}

}  // namespace
}  // namespace sanji

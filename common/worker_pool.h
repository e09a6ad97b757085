// WorkerPool: a fixed number of threads that run the tasks scheduled on it,
// oldest first. It is where a server's callback reactors hand their blocking
// work (a synced RocksDB write takes milliseconds), so that gRPC's few
// callback threads never block and the number of threads does not grow with
// the number of streams.
//
// Thread-safety: Schedule may be called from any thread, a task's own
// included. Ownership: the pool owns its threads and the tasks until they
// have run; the destructor runs every task already scheduled, then joins.
#ifndef SANJI_COMMON_WORKER_POOL_H_
#define SANJI_COMMON_WORKER_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace sanji {

class WorkerPool {
 public:
  // `threads` is at least 1.
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `task` on one of the pool's threads.
  void Schedule(std::function<void()> task) ABSL_LOCKS_EXCLUDED(mu_);

  int size() const { return static_cast<int>(threads_.size()); }

 private:
  void Work() ABSL_LOCKS_EXCLUDED(mu_);
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace sanji

#endif  // SANJI_COMMON_WORKER_POOL_H_

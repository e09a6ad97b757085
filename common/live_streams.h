// LiveStreams: how many reactors of a service are alive, so that the service
// can wait for the last of them before what they use (its worker pool, the
// store their sessions write to) goes away.
//
// Thread-safety: thread-safe. Owns nothing.
#ifndef SANJI_COMMON_LIVE_STREAMS_H_
#define SANJI_COMMON_LIVE_STREAMS_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace sanji {

class LiveStreams {
 public:
  void Add() ABSL_LOCKS_EXCLUDED(mu_);
  void Remove() ABSL_LOCKS_EXCLUDED(mu_);
  int count() const ABSL_LOCKS_EXCLUDED(mu_);
  // Returns once count() is 0.
  void WaitNone() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  bool None() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return count_ == 0; }

  mutable absl::Mutex mu_;
  int count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sanji

#endif  // SANJI_COMMON_LIVE_STREAMS_H_

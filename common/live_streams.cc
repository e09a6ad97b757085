#include "common/live_streams.h"

namespace sanji {

void LiveStreams::Add() {
  absl::MutexLock lock(&mu_);
  ++count_;
}

void LiveStreams::Remove() {
  absl::MutexLock lock(&mu_);
  --count_;
}

int LiveStreams::count() const {
  absl::MutexLock lock(&mu_);
  return count_;
}

void LiveStreams::WaitNone() const {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(this, &LiveStreams::None));
}

}  // namespace sanji

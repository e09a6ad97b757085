#include "tests/fault/harness_log.h"

#include <cstdio>

#include "absl/base/const_init.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace sanji::fault {
namespace {

ABSL_CONST_INIT absl::Mutex log_mu(absl::kConstInit);
absl::Time run_start;  // written once by StartRunClock, before any thread

}  // namespace

void StartRunClock() { run_start = absl::Now(); }

double SecondsSince(absl::Time t) {
  return absl::ToDoubleSeconds(absl::Now() - t);
}

void Log(const std::string& line) {
  absl::MutexLock lock(&log_mu);
  std::fprintf(stderr, "[%8.2fs] %s\n", SecondsSince(run_start), line.c_str());
  std::fflush(stderr);
}

}  // namespace sanji::fault

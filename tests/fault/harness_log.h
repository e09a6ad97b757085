// The fault harness's log: timestamped lines on stderr, the time counted from
// the start of the run.
//
// Thread-safe: Log() may be called from any thread; one mutex keeps the lines
// whole. StartRunClock() is called once, by main, before any other thread runs.
#ifndef SANJI_TESTS_FAULT_HARNESS_LOG_H_
#define SANJI_TESTS_FAULT_HARNESS_LOG_H_

#include <string>

#include "absl/time/time.h"

namespace sanji::fault {

// Sets the time that Log() counts from to now.
void StartRunClock();

double SecondsSince(absl::Time t);

// Writes "[   12.34s] line" to stderr.
void Log(const std::string& line);

}  // namespace sanji::fault

#endif  // SANJI_TESTS_FAULT_HARNESS_LOG_H_

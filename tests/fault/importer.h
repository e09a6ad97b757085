// The fault harness's importers: one thread per village runs
// `village_agent import` of the village's chunks (workload.h), each at its
// planned time, and retries until the agent acknowledges it, through every
// fault. It judges each answer (a re-import must come back all "duplicate", a
// chunk's attempts may accept at most its rows, the refused rows must be
// refused) and, after a wipe of the agent's data directory, first re-imports
// every chunk acknowledged so far, as a clinic restoring from its source files
// would.
//
// Thread-safety and ownership: RunVillageImporter runs on its own thread and
// is the only writer of its VillagePlan until it returns. The ImportProbe and
// the ImportCounters are shared with the fault runner (faults.h) and the main
// thread: atomics only. The caller owns all of them and keeps them alive
// until the thread is joined.
#ifndef SANJI_TESTS_FAULT_IMPORTER_H_
#define SANJI_TESTS_FAULT_IMPORTER_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "tests/fault/workload.h"
#include "tests/support/local_county.h"

namespace sanji::fault {

// What the fault runner sees of a village's importer: a kill aimed at an
// import waits for the next import to start.
struct ImportProbe {
  std::atomic<int64_t> started{0};        // import attempts started
  std::atomic<int64_t> last_start_ns{0};  // absl::ToUnixNanos of the latest
  std::atomic<int64_t> rows{0};           // rows of the import started last
  // From the imports that worked: the shortest (about the time to start the
  // CLI and connect), and the latest estimate of the time per row after that.
  std::atomic<int64_t> min_ns{0};
  std::atomic<int64_t> per_row_ns{0};
  // Times the fault runner wiped the agent's data directory; the importer
  // then restores every acknowledged chunk before going on.
  std::atomic<int> wipes{0};

  // When to kill the agent to hit the import started last at `fraction` of
  // its Submits (0: as it connects; 1: as it finishes).
  absl::Time KillTime(double fraction) const;
  // Notes an import of `rows_done` rows that worked and took `took_ns`.
  void Observe(int64_t rows_done, int64_t took_ns);
};

// What the importers report for the summary line.
struct ImportCounters {
  std::atomic<int64_t> retries{0};        // failed attempts, retried
  std::atomic<int64_t> interrupted{0};    // of those, cut mid-import
  std::atomic<int64_t> disk_full{0};      // of those, refused for a full disk
  std::atomic<int64_t> restored_rows{0};  // rows re-imported after wipes
};

// Where an importer is told when to stop and when the faults are over.
struct ImporterSignals {
  absl::Time phase_start;  // the chunks' planned times count from here
  const std::atomic<bool>* stop = nullptr;  // give up (past the deadline)
  // Set once every fault has ended: no wipe can come after it.
  const std::atomic<bool>* faults_over = nullptr;
  bool verbose = false;  // log every import attempt
};

// Imports `plan`'s chunks in order, each at its planned time, retrying until
// the agent acknowledges it (or `stop` is set); keeps watching for wipes
// until `faults_over`. Problems go to plan->problems and its counts.
void RunVillageImporter(const test_support::LocalCounty& county,
                        VillagePlan* plan, ImportProbe* probe,
                        const ImporterSignals& signals,
                        ImportCounters* counters);

// Whether a product's error text says that a disk is (nearly) full.
bool SaysDiskFull(const std::string& text);

}  // namespace sanji::fault

#endif  // SANJI_TESTS_FAULT_IMPORTER_H_

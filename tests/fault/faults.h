// The fault harness's faults: the schedule drawn from the seed (which fault,
// when, for how long, on which process, link or disk) and the runner that
// carries it out against a LocalCounty: SIGKILL and restart, SIGSTOP/SIGCONT,
// TcpProxy cuts, delays, bandwidth caps, stalls, resets and truncations, wiped
// agent data directories and full disks (tests/support/small_disk.h). It also
// restarts, counts and reports any product process that exits on its own.
//
// Thread-safety and ownership: FaultRunner runs on the main thread only (the
// children must be started from it); it reads the importers' ImportProbes and
// ImportCounters (atomics) and bumps ImportProbe::wipes. It does not own the
// county, the fault log, the probes, the disks or the counters: the caller
// keeps them alive while the runner lives. The schedule passed to Run() must
// outlive Heal().
#ifndef SANJI_TESTS_FAULT_FAULTS_H_
#define SANJI_TESTS_FAULT_FAULTS_H_

#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tests/fault/importer.h"
#include "tests/support/local_county.h"
#include "tests/support/small_disk.h"
#include "tools/seeded_rng.h"

namespace sanji::fault {

enum class FaultKind {
  kKillAgent,
  kKillTownship,
  kKillHub,
  kPause,
  kCut,
  kDelay,
  kBandwidth,
  kStall,
  kResetAll,
  kTruncate,
  kWipeAgent,  // SIGKILL, delete the data directory, restart: a new epoch
  kDiskFull,   // fill the tmpfs under a village's or township's data
};

struct Fault {
  FaultKind kind;
  double at = 0;        // planned start, seconds into the fault phase
  double duration = 0;  // until the end action (0: instant)
  // kPause: "hub", "township" or "agent"; links: "village" or "township";
  // kDiskFull: "agent" or "township".
  std::string target_type;
  std::string target;  // org id (empty for the hub)
  int64_t param = 0;   // delay ms, bytes/s, truncate bytes, free bytes left
  // A kill aimed at an import: at `at` it waits (up to 3 s) for the
  // village's next import to start, then kills the agent at `param` % of the
  // import's Submits, as estimated from the village's earlier imports
  // (ImportProbe::KillTime).
  bool aimed = false;

  bool IsKill() const;
  bool IsLink() const;
  // "hub", "agent 640522100201", ...: the process (or disk) it acts on.
  std::string ProcessKey() const;
  // "village link 640522100201", ...
  std::string LinkName() const;
  std::string Describe() const;
};

// Who the schedule can hit.
struct FaultTargets {
  std::vector<std::string> villages;
  std::vector<std::string> townships;
  // village -> (planned seconds, rows) of its imports (workload.h).
  std::map<std::string, std::vector<std::pair<double, int>>> import_times;
  // The two whose data directories get a small file system of their own.
  std::string disk_village;
  std::string disk_township;
};

// The fault schedule over [0, duration): gaps of 0.2-3.8 s (about one fault
// every 2 s); a process or link is never under two faults at once. Three in
// four agent kills are aimed at an import: planned just before the village's
// largest import in the next 4 s, they wait for the next import to start and
// kill the agent at -30%..130% of the time its Submits should take. An import
// takes 0.1-1 s, most of it starting the CLI and connecting; the Submits are
// the last part (a few hundred ms for a big file), so the estimate comes from
// the village's earlier imports (ImportProbe). Some agents die in the middle
// of an import, others just before it reached them or just after it answered.
// Full-disk faults hit the disk village or the disk township.
std::vector<Fault> MakeSchedule(SeededRng& rng, int duration,
                                const FaultTargets& targets);

// What the runner did, for the summary line.
struct FaultCounts {
  int processes_killed = 0;
  int pauses = 0;
  int link_faults = 0;
  int data_wipes = 0;
  int disk_faults = 0;
  // Full disks that refused work while full: an import refused at the
  // village, or the township's villages told so by the township.
  int disk_faults_felt = 0;
  int crashes = 0;  // product processes that exited on their own
};

// Runs the schedule against the county, from the main thread.
class FaultRunner {
 public:
  // `probes`: village -> its importer's probe; `disks`: org id -> the small
  // disk under its data directory; `log`: faults.log.
  FaultRunner(test_support::LocalCounty* county, std::ofstream* log,
              std::map<std::string, ImportProbe*> probes,
              std::map<std::string, test_support::SmallDisk*> disks,
              const ImportCounters* imports);

  // Runs the faults of `schedule` whose start falls before `duration`, and
  // their end actions; returns at the end of the phase with the end actions
  // of unfinished faults still to do (Heal() does them).
  void Run(const std::vector<Fault>& schedule, absl::Time phase_start,
           double duration);

  // Ends every unfinished fault, then makes sure every link is healed and
  // unlimited and every process is running.
  void Heal(absl::Time phase_start);

  // An exit the harness did not cause: log, count, restart.
  void WatchProcesses();

  const FaultCounts& counts() const { return counts_; }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  void Note(absl::Time phase_start, const std::string& what);
  test_support::ChildProcess& Process(const Fault& f);
  test_support::TcpProxy& Link(const Fault& f);
  void Restart(const std::string& key,
               const std::function<absl::Status()>& start);
  bool WaitForNextImport(const std::string& village, absl::Time phase_start);

  void Begin(const Fault& f, absl::Time phase_start);
  void BeginDiskFull(const Fault& f, absl::Time phase_start);
  void RestartOnFullDisk(const Fault& f, absl::Time phase_start);
  void BeginKill(const Fault& f);
  void BeginLinkFault(const Fault& f);
  void End(const Fault& f, absl::Time phase_start);
  void EndDiskFull(const Fault& f, absl::Time phase_start);
  void EndKill(const Fault& f, absl::Time phase_start);
  void EndLinkFault(const Fault& f, absl::Time phase_start);

  test_support::LocalCounty* county_;
  std::ofstream* log_;
  std::map<std::string, ImportProbe*> probes_;             // village -> probe
  std::map<std::string, test_support::SmallDisk*> disks_;  // org -> its disk
  const ImportCounters* imports_;
  FaultCounts counts_;
  std::vector<std::string> problems_;
  int64_t disk_refusals_before_ = 0;  // at the start of the disk fault
  std::set<std::string> down_;        // killed or stopped on purpose
  std::vector<const Fault*> pending_ends_;
};

}  // namespace sanji::fault

#endif  // SANJI_TESTS_FAULT_FAULTS_H_

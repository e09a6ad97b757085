// fault_harness: proves DESIGN.md's promises under faults, Jepsen-style.
//
// It runs a county of REAL processes on loopback
// (tests/support/local_county.h): one county_hub, --townships township_nodes
// and --villages_per_township village_agents per township, every child ->
// parent link through its own fault-injecting TcpProxy. It then
//   1. generates per-village record files in chunks (every kind of
//      spec/records.md, voids of earlier records, notifiable-disease reports,
//      identical re-imports of earlier chunks, and one file of rows that must
//      be refused) and imports them chunk by chunk all through the fault
//      phase, one importer thread per village;
//   2. for --duration seconds injects faults at random moments (about one
//      every 2 s): SIGKILL and restart of a village agent (most of them aimed
//      at an import in progress), a township or the hub; SIGSTOP then SIGCONT
//      after a random pause; on a random link: Cut for N s then Heal, added
//      latency, a bandwidth cap, Stall/Resume, ResetAll, TruncateAfter; now
//      and then an agent killed and its data directory deleted (it restarts
//      empty, under a new epoch, and its importer re-imports every chunk
//      acknowledged so far, as a clinic restoring from its source files
//      would); and a full disk: one village and one township keep their data
//      on a 512 MiB tmpfs of their own (tests/support/small_disk.h; needs
//      root, else these faults are skipped and the run says so) that a fault
//      fills to 128-320 KiB free for 5-20 s as an import starts (the village,
//      run with --min_free_disk_mb=0 so that RocksDB itself hits ENOSPC, and
//      its agent SIGKILLed and restarted on the full disk, which is then
//      filled to an eighth of that, so that it has no room for a write-ahead
//      log) or to 0-20 MB free for 2-20 s (the township, which
//      keeps its 16 MB margin). Each fault and its end is logged
//      with its time (stderr and faults.log);
//   3. heals everything (all links healed and unlimited, every process
//      running), finishes the imports and waits (bounded by
//      --converge_timeout) until no agent and no township has anything
//      pending;
//   4. accounts for every acknowledged record (see "Accounting" below) and
//      compares every cell the county reports with the oracle
//      (tests/support/oracle.h);
//   5. prints ONE summary line and exits 0 only on PASS, e.g.
//        fault_harness seed=123 duration=120s processes_killed=14 pauses=5
//        link_faults=37 data_wipes=1 disk_faults=6 disk_faults_felt=2
//        records_acknowledged=100000 lost=0 duplicated=0 unexpected=0
//        cells_matched=4212/4212 alerts_matched=87/87 import_retries=3
//        imports_interrupted=1 imports_refused_disk_full=1
//        rows_restored=2500 crashes=0 converge_seconds=6.3 result=PASS
//      (processes_killed includes the wipes; disk_faults_felt: full disks
//      that refused work while full, seen as an import refused at the
//      village or as "disk nearly full" in the status of the township's
//      villages; import_retries: import attempts that failed and were
//      retried; imports_interrupted: those that had reached the agent and
//      lost it mid-import; rows_restored: rows re-imported after wipes;
//      crashes: product processes that exited on their own).
//      On FAIL it prints the reasons and the differing cells (first 20;
//      all of them in differences.txt) and keeps the data directory (whose
//      path it prints; every process log and faults.log are there).
//
// Running it (after building fault_harness, village_agent, township_node and
// county_hub):
//   build/tests/fault/fault_harness                      # 120 s, random seed
//   build/tests/fault/fault_harness --seed=42 --duration=60 --records=30000
//   tests/fault/run.sh --duration=60 --seed=42           # same, log teed
// ctest runs a short run (label `fault`, 60 s, 30000 records, random seed):
//   ctest -L fault --output-on-failure
// A long soak, e.g. before a release: 30 min of faults (about 900 of them),
// with the records scaled up to keep a steady stream of imports:
//   tests/fault/run.sh --duration=1800 --records=500000 --converge_timeout=600
// Other flags: --full_disk=false leaves out the small disks; --keep_dir keeps
// the data directory on PASS too (the small disks' data as disk-ORG.kept);
// --verbose logs every import; --print_schedule prints the seed's planned
// faults and exits; --selftest_corrupt_truth checks the checker (moves one
// record in the truth: the run must FAIL with lost=1 duplicated=1).
//
// Determinism: ONE SeededRng (tools/seeded_rng.h: mt19937_64 with draws of
// our own, so the same on any standard library) seeded by --seed (printed at
// start; a random one when not given) draws every random choice, up front and
// in a fixed order: the workload (records, chunking, voids, re-imports, when
// each chunk is imported), the village and township on small disks, and then
// the fault schedule (which fault, when, for how long, on which process or
// link). Rerunning with the same --seed and the same
// --records/--duration/--townships/--villages_per_township replays exactly the
// same workload and the same planned schedule. What cannot be replayed is the
// timing of the processes themselves (how far a sync got when a fault hit,
// how long an import took, scheduling, gRPC back-off jitter; an aimed kill
// fires relative to when the import really started), so a seed reproduces
// the conditions of a failure, not necessarily the failure every time; rerun
// it a few times.
//
// Accounting (step 4): see tests/fault/accounting.h.
//
// Product processes must not exit on their own: an exit that the harness did
// not cause is logged, the process restarted, and the run fails (crashes=N).
//
// The files: this one (flags, the phases and the summary line),
// workload.{h,cc} (the record files and their truth), importer.{h,cc} (one
// importer thread per village), faults.{h,cc} (the schedule and the runner),
// accounting.{h,cc} (the truth against the county's reports and alerts) and
// harness_log.{h,cc}; the random generator is tools/seeded_rng.h.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/fault/accounting.h"
#include "tests/fault/faults.h"
#include "tests/fault/harness_log.h"
#include "tests/fault/importer.h"
#include "tests/fault/workload.h"
#include "tests/support/local_county.h"
#include "tests/support/small_disk.h"

ABSL_FLAG(std::string, seed, "",
          "Seed of the one random generator that drives the workload and the "
          "fault schedule (unsigned 64-bit); empty = a random seed (always "
          "printed).");
ABSL_FLAG(int, duration, 120, "Seconds of the fault phase.");
ABSL_FLAG(int64_t, records, 100000,
          "Rows imported in total (new records and voids; re-imports and "
          "refused rows not counted), spread over the villages.");
ABSL_FLAG(int, villages_per_township, 4, "Village agents per township.");
ABSL_FLAG(int, townships, 3, "Township nodes.");
ABSL_FLAG(int, converge_timeout, 300,
          "Seconds allowed, after the faults are healed, for the imports to "
          "finish and every agent and township to drain.");
ABSL_FLAG(bool, selftest_corrupt_truth, false,
          "Check the checker: after the run, drop one acknowledged outpatient "
          "visit from the truth and add one that was never imported; the run "
          "must then FAIL with lost=1 duplicated=1.");
ABSL_FLAG(bool, verbose, false, "Log every import attempt.");
ABSL_FLAG(bool, print_schedule, false,
          "Print the planned fault schedule of this seed and exit.");
ABSL_FLAG(bool, keep_dir, false,
          "Keep the data directory even on PASS (it is always kept on FAIL).");
ABSL_FLAG(bool, full_disk, true,
          "Put one village's and one township's data directory on a tmpfs of "
          "their own and fill it now and then (needs root to mount; without "
          "it the run goes on without these faults and says so).");

ABSL_FLAG(bool, tls, false,
          "Run every link and client command over mutual TLS, with a county "
          "CA and certificates made by deploy/pki.sh in the run's directory "
          "(default: --insecure, TLS is not what the harness tests).");

namespace sanji::fault {
namespace {

using test_support::CountyPki;
using test_support::LocalCounty;
using test_support::SmallDisk;

constexpr char kCounty[] = "640522";

// The flags, checked.
struct Options {
  uint64_t seed = 0;
  int duration = 0;
  int64_t records = 0;
  int townships = 0;
  int villages_per_township = 0;
  int converge_timeout = 0;
};

// Reads and checks the flags; false (after saying why) on bad usage.
bool ReadOptions(Options* o) {
  const std::string seed = absl::GetFlag(FLAGS_seed);
  if (seed.empty()) {
    std::random_device rd;
    o->seed = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  } else if (!absl::SimpleAtoi(seed, &o->seed)) {
    std::fprintf(stderr,
                 "fault_harness: --seed=%s is not an unsigned integer\n",
                 seed.c_str());
    return false;
  }
  o->duration = absl::GetFlag(FLAGS_duration);
  o->records = absl::GetFlag(FLAGS_records);
  o->townships = absl::GetFlag(FLAGS_townships);
  o->villages_per_township = absl::GetFlag(FLAGS_villages_per_township);
  o->converge_timeout = absl::GetFlag(FLAGS_converge_timeout);
  if (o->duration < 1 || o->records < 1 || o->townships < 1 ||
      o->townships > 899 || o->villages_per_township < 1 ||
      o->villages_per_township > 799 || o->converge_timeout < 1) {
    std::fprintf(stderr,
                 "fault_harness: --duration, --records, --townships (<900), "
                 "--villages_per_township (<800) and --converge_timeout must "
                 "be positive\n");
    return false;
  }
  const int villages = o->townships * o->villages_per_township;
  if (o->records < villages) {
    std::fprintf(stderr,
                 "fault_harness: --records=%lld is fewer than one per village "
                 "(%d villages)\n",
                 static_cast<long long>(o->records), villages);
    return false;
  }
  return true;
}

std::string MakeDataDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ =
      absl::StrCat(tmp && *tmp ? tmp : "/tmp", "/fault_harness.XXXXXX");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return "";
  return buf.data();
}

// Everything drawn from the seed, up front, in a fixed order.
struct Plan {
  std::vector<VillagePlan> villages;
  FaultTargets targets;
  std::vector<Fault> schedule;
  size_t imports = 0;
};

absl::Status MakePlan(const Options& o, const std::string& dir, Plan* plan) {
  FaultTargets& t = plan->targets;
  for (int i = 0; i < o.townships; ++i) {
    std::string town = absl::StrFormat("%s%03d", kCounty, 100 + i);
    t.townships.push_back(town);
    for (int v = 0; v < o.villages_per_township; ++v)
      t.villages.push_back(absl::StrFormat("%s%03d", town, 201 + v));
  }
  SeededRng rng(o.seed);
  if (absl::Status s = MakeWorkload(rng, dir + "/work", t.villages, o.records,
                                    o.duration, &plan->villages);
      !s.ok()) {
    return s;
  }
  t.disk_village = rng.Pick(t.villages);
  t.disk_township = rng.Pick(t.townships);
  t.import_times = ImportTimes(plan->villages);
  plan->schedule = MakeSchedule(rng, o.duration, t);
  for (const VillagePlan& p : plan->villages) plan->imports += p.chunks.size();
  return absl::OkStatus();
}

// The full-disk faults' file systems: 512 MiB each, far more than the data
// needs, so the disks are full only when a fault fills them.
struct Disks {
  std::map<std::string, std::unique_ptr<SmallDisk>> owned;
  std::map<std::string, SmallDisk*> by_org;
  std::string skipped;  // why there are none, if so
};

void MountDisks(const std::string& dir, const FaultTargets& targets,
                Disks* disks) {
  for (const std::string& org : {targets.disk_village, targets.disk_township}) {
    absl::StatusOr<std::unique_ptr<SmallDisk>> disk =
        SmallDisk::Mount(absl::StrCat(dir, "/disk-", org), 512 << 20);
    if (!disk.ok()) {
      disks->skipped = std::string(disk.status().message());
      Log(absl::StrCat("full-disk faults off: ", disks->skipped));
      disks->owned.clear();
      disks->by_org.clear();
      return;
    }
    Log(absl::StrCat("data directory of ", org, " on a 512 MiB tmpfs at ",
                     (*disk)->path()));
    disks->by_org[org] = disk->get();
    disks->owned[org] = std::move(*disk);
  }
}

// What a run found, for the summary line.
struct Outcome {
  std::vector<std::string> failures;  // reasons for FAIL besides the accounts
  Accounting acc;
  int64_t acknowledged = 0;
  double converge_seconds = -1;
  FaultCounts counts;

  bool Pass() const {
    return failures.empty() && acc.lost == 0 && acc.duplicated == 0 &&
           acc.unexpected == 0 && acc.cells > 0 &&
           acc.cells_matched == acc.cells &&
           acc.alerts_matched == acc.alerts_expected && counts.crashes == 0;
  }
};

// Phases 2-4 on a county of real processes: the faults while the importers
// import, the heal, the convergence, the checks. Main thread only; owns the
// county, the importer threads and the fault runner.
class CountyRun {
 public:
  CountyRun(const Options& options, const std::string& dir, Plan* plan,
            const Disks& disks, ImportCounters* counters, Outcome* outcome)
      : options_(options),
        dir_(dir),
        plan_(plan),
        disks_(disks),
        counters_(counters),
        outcome_(outcome) {}

  absl::Status Start() {
    county_ = std::make_unique<LocalCounty>(dir_, plan_->targets.villages);
    for (const auto& [org, disk] : disks_.by_org)
      county_->set_data_dir(org, disk->path() + "/data");
    // The village has no free-space margin, so that RocksDB itself runs out
    // of space; the township keeps the default 16 MB margin, so its refusals
    // come from our own check first.
    const std::string& disk_village = plan_->targets.disk_village;
    if (disks_.by_org.count(disk_village))
      county_->set_extra_flags(disk_village, {"--min_free_disk_mb=0"});
    if (absl::Status s = county_->Init(); !s.ok()) return s;
    if (absl::GetFlag(FLAGS_tls)) {
      pki_ = std::make_unique<CountyPki>(dir_ + "/pki");
      absl::Status s = pki_->Init(county_->county_id());
      if (s.ok()) s = county_->UseTls(pki_.get());
      if (!s.ok()) return s;
      Log("mutual TLS: certificates in " + dir_ + "/pki");
    }
    if (absl::Status s = county_->StartAll(); !s.ok()) {
      return absl::UnavailableError(
          absl::StrCat("cannot start the county: ", s.message()));
    }
    Log(absl::StrCat("county up: 1 hub, ", plan_->targets.townships.size(),
                     " townships, ", plan_->targets.villages.size(),
                     " villages"));
    return absl::OkStatus();
  }

  void Run() {
    fault_log_.open(dir_ + "/faults.log");
    std::map<std::string, ImportProbe*> probe_of;
    for (const VillagePlan& village : plan_->villages) {
      probes_.push_back(std::make_unique<ImportProbe>());
      probe_of[village.id] = probes_.back().get();
    }
    runner_ = std::make_unique<FaultRunner>(county_.get(), &fault_log_,
                                            probe_of, disks_.by_org, counters_);
    const absl::Time phase_start = absl::Now();
    StartImporters(phase_start, probe_of);
    // Phase 2: faults.
    runner_->Run(plan_->schedule, phase_start, options_.duration);
    // Phase 3: heal, finish the imports, drain.
    runner_->Heal(phase_start);
    faults_over_ = true;
    const absl::Time heal_time = absl::Now();
    const absl::Time deadline =
        heal_time + absl::Seconds(options_.converge_timeout);
    JoinImporters(deadline);
    Log(absl::StrFormat("imports finished %.1fs after healing",
                        SecondsSince(heal_time)));
    const bool synced = Converge(heal_time, deadline);
    // Phase 4: the truth, and the county's reports against it.
    Check(synced);
    outcome_->counts = runner_->counts();
    for (const std::string& p : runner_->problems())
      outcome_->failures.push_back(p);
    county_.reset();  // stops every process before the directory goes
  }

 private:
  void StartImporters(absl::Time phase_start,
                      const std::map<std::string, ImportProbe*>& probe_of) {
    ImporterSignals signals;
    signals.phase_start = phase_start;
    signals.stop = &stop_;
    signals.faults_over = &faults_over_;
    signals.verbose = absl::GetFlag(FLAGS_verbose);
    for (VillagePlan& village : plan_->villages) {
      importers_.emplace_back(RunVillageImporter, std::cref(*county_), &village,
                              probe_of.at(village.id), signals, counters_);
    }
  }

  // Waits for the importers, watching the processes meanwhile; past the
  // deadline, tells them to stop.
  void JoinImporters(absl::Time deadline) {
    std::atomic<int> finished{0};
    std::vector<std::thread> joiners;
    for (std::thread& t : importers_) {
      joiners.emplace_back([&t, &finished] {
        t.join();
        ++finished;
      });
    }
    while (finished.load() < static_cast<int>(importers_.size())) {
      runner_->WatchProcesses();
      if (absl::Now() > deadline && !stop_.load()) {
        stop_ = true;
        outcome_->failures.push_back(
            "imports did not finish within --converge_timeout");
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    for (std::thread& t : joiners) t.join();
  }

  // Waits until no agent and no township has anything pending.
  bool Converge(absl::Time heal_time, absl::Time deadline) {
    absl::Duration left = std::max(deadline - absl::Now(), absl::Seconds(1));
    absl::Status synced = county_->WaitAgentsSynced(left);
    if (synced.ok()) {
      left = std::max(deadline - absl::Now(), absl::Seconds(1));
      synced = county_->WaitTownshipsSynced(left);
    }
    outcome_->converge_seconds = SecondsSince(heal_time);
    runner_->WatchProcesses();
    if (!synced.ok()) {
      outcome_->failures.push_back(
          absl::StrCat("did not converge: ", synced.message()));
    }
    Log(absl::StrFormat("converged %.1fs after healing",
                        outcome_->converge_seconds));
    return synced.ok();
  }

  void Check(bool synced) {
    Truth truth =
        CollectTruth(plan_->villages, &outcome_->acc, &outcome_->failures);
    outcome_->acknowledged = truth.acknowledged;
    if (absl::GetFlag(FLAGS_selftest_corrupt_truth))
      CorruptTruth(&truth.records);
    if (!synced) return;
    if (absl::Status s =
            CompareReports(*county_, truth.records, &outcome_->acc);
        !s.ok()) {
      outcome_->failures.push_back(absl::StrCat("reports: ", s.message()));
    }
    if (absl::Status s = CompareAlerts(*county_, truth.alerts, &outcome_->acc);
        !s.ok()) {
      outcome_->failures.push_back(absl::StrCat("alerts: ", s.message()));
    }
  }

  const Options& options_;
  const std::string dir_;
  Plan* const plan_;
  const Disks& disks_;
  ImportCounters* const counters_;
  Outcome* const outcome_;
  std::unique_ptr<CountyPki> pki_;  // with --tls; outlives county_
  std::unique_ptr<LocalCounty> county_;
  std::ofstream fault_log_;
  std::vector<std::unique_ptr<ImportProbe>> probes_;
  std::unique_ptr<FaultRunner> runner_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> faults_over_{false};
  std::vector<std::thread> importers_;
};

// On FAIL: the reasons and the first differing cells on stdout, all of them
// in differences.txt.
void ReportFailure(const std::string& dir, const Outcome& out) {
  for (size_t i = 0; i < out.failures.size() && i < 20; ++i)
    std::printf("FAIL: %s\n", out.failures[i].c_str());
  if (!out.acc.diffs.empty()) {
    std::printf("differing cells (%zu, first 20):\n", out.acc.diffs.size());
    for (size_t i = 0; i < out.acc.diffs.size() && i < 20; ++i)
      std::printf("  %s\n", out.acc.diffs[i].c_str());
  }
  for (size_t i = 0; i < out.acc.notes.size() && i < 20; ++i)
    std::printf("  accounting: %s\n", out.acc.notes[i].c_str());
  std::ofstream all(dir + "/differences.txt");
  for (const std::string& f : out.failures) all << "FAIL: " << f << "\n";
  for (const std::string& d : out.acc.diffs) all << d << "\n";
  for (const std::string& n : out.acc.notes) all << "accounting: " << n << "\n";
  std::printf(
      "data kept in %s (process logs, faults.log, differences.txt, work/)\n",
      dir.c_str());
}

void PrintSummary(const Options& o, const Outcome& out,
                  const ImportCounters& counters) {
  const FaultCounts& f = out.counts;
  const Accounting& acc = out.acc;
  std::printf(
      "fault_harness seed=%" PRIu64
      " duration=%ds processes_killed=%d pauses=%d link_faults=%d "
      "data_wipes=%d disk_faults=%d disk_faults_felt=%d "
      "records_acknowledged=%lld lost=%lld duplicated=%lld unexpected=%lld "
      "cells_matched=%lld/%lld alerts_matched=%lld/%lld import_retries=%lld "
      "imports_interrupted=%lld imports_refused_disk_full=%lld "
      "rows_restored=%lld "
      "crashes=%d converge_seconds=%.1f result=%s\n",
      o.seed, o.duration, f.processes_killed, f.pauses, f.link_faults,
      f.data_wipes, f.disk_faults, f.disk_faults_felt,
      static_cast<long long>(out.acknowledged),
      static_cast<long long>(acc.lost), static_cast<long long>(acc.duplicated),
      static_cast<long long>(acc.unexpected),
      static_cast<long long>(acc.cells_matched),
      static_cast<long long>(acc.cells),
      static_cast<long long>(acc.alerts_matched),
      static_cast<long long>(acc.alerts_expected),
      static_cast<long long>(counters.retries.load()),
      static_cast<long long>(counters.interrupted.load()),
      static_cast<long long>(counters.disk_full.load()),
      static_cast<long long>(counters.restored_rows.load()), f.crashes,
      out.converge_seconds, out.Pass() ? "PASS" : "FAIL");
  std::fflush(stdout);
}

void RemoveDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// Runs the county and checks it; the summary line's exit status.
int RunAndCheck(const Options& o, const std::string& dir, Plan* plan) {
  Disks disks;
  if (absl::GetFlag(FLAGS_full_disk)) MountDisks(dir, plan->targets, &disks);
  ImportCounters counters;
  Outcome out;
  {
    CountyRun run(o, dir, plan, disks, &counters, &out);
    if (absl::Status s = run.Start(); !s.ok()) {
      std::fprintf(stderr, "fault_harness: %s\n",
                   std::string(s.message()).c_str());
      return 1;
    }
    run.Run();
  }
  const bool pass = out.Pass();
  for (const auto& [org, disk] : disks.owned) {
    if (!pass || absl::GetFlag(FLAGS_keep_dir))
      disk->CopyTo(disk->path() + ".kept");
  }
  disks.owned.clear();  // unmounted before the directory goes
  if (!disks.skipped.empty()) {
    std::printf("full-disk faults were skipped: %s\n", disks.skipped.c_str());
  }
  if (!pass) {
    ReportFailure(dir, out);
  } else if (absl::GetFlag(FLAGS_keep_dir)) {
    std::printf("data kept in %s\n", dir.c_str());
  } else {
    RemoveDir(dir);
  }
  PrintSummary(o, out, counters);
  return pass ? 0 : 1;
}

int Main() {
  StartRunClock();
  Options o;
  if (!ReadOptions(&o)) return 2;
  std::printf(
      "fault_harness: seed=%" PRIu64 " (rerun with --seed=%" PRIu64
      " and the same flags to replay the same workload and fault schedule; "
      "process timing is not deterministic)\n",
      o.seed, o.seed);
  std::fflush(stdout);
  const std::string dir = MakeDataDir();
  if (dir.empty()) {
    std::fprintf(stderr, "fault_harness: cannot create a data directory\n");
    return 1;
  }
  Log(absl::StrCat("data directory ", dir));
  Plan plan;
  if (absl::Status s = MakePlan(o, dir, &plan); !s.ok()) {
    std::fprintf(stderr, "fault_harness: harness bug: %s\n",
                 std::string(s.message()).c_str());
    return 1;
  }
  if (absl::GetFlag(FLAGS_print_schedule)) {
    for (const Fault& f : plan.schedule)
      std::printf("t=%.2fs %s\n", f.at, f.Describe().c_str());
    RemoveDir(dir);
    return 0;
  }
  Log(absl::StrCat("workload of ", o.records, " rows in ", plan.imports,
                   " imports; ", plan.schedule.size(), " faults planned"));
  return RunAndCheck(o, dir, &plan);
}

}  // namespace
}  // namespace sanji::fault

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "fault_harness [--seed=N] [--duration=S] [--records=N] "
      "[--townships=N] [--villages_per_township=N] [--converge_timeout=S] "
      "[--keep_dir]: a county of real processes under faults, checked "
      "against the oracle (see the top of tests/fault/fault_harness.cc).");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "fault_harness: unexpected argument %s\n", rest[1]);
    return 2;
  }
  return sanji::fault::Main();
}

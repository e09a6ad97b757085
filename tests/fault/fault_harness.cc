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
// Determinism: ONE std::mt19937_64 seeded by --seed (printed at start; a
// random one when not given) draws every random choice, up front and in a
// fixed order: the workload (records, chunking, voids, re-imports, when each
// chunk is imported), the village and township on small disks, and then the
// fault schedule (which fault, when, for how
// long, on which process or link). Rerunning with the same --seed and the same
// --records/--duration/--townships/--villages_per_township replays exactly the
// same workload and the same planned schedule. What cannot be replayed is the
// timing of the processes themselves (how far a sync got when a fault hit,
// how long an import took, scheduling, gRPC back-off jitter; an aimed kill
// fires relative to when the import really started), so a seed reproduces
// the conditions of a failure, not necessarily the failure every time; rerun
// it a few times.
//
// Accounting (step 4). The county never sees individual records, only rollup
// cells, so records are accounted for through per-record count indicators:
// every `new` record adds exactly 1 to exactly one of the 18 per-kind counts
// (outpatient_visits, hypertension_followups, ...) of its village and of the
// month it falls in. For each village, each kind count and each month of 2025
// (plus the day 2025-12-31, on which only refused rows were ever submitted),
// the oracle's value E (over the acknowledged records, voids applied) is
// compared with the county's value R:
//   R < E            -> E - R records lost (their effect is missing);
//   R > E, E > 0     -> R - E records duplicated (counted more than once);
//   R > E, E == 0    -> R records unexpected (present, never acknowledged).
// A lost void shows up as an excess (its record still counted), so it is
// reported as "duplicated"; a lost record and a duplicated one of the same
// village, kind and month cancel in these counts, but not in the cells (sums,
// distinct people), which are all compared as well. Notifiable-disease reports
// are also checked one by one on the alerts line list (`county_hub alerts
// --format=json`): each acknowledged report must be exactly one alert of the
// right village, record_id and disease, "withdrawn" exactly when its void was
// acknowledged: a missing alert (or a void not applied) is lost, a repeated
// one duplicated, one never acknowledged (or withdrawn without a void)
// unexpected. Rows of organisations not in the county, breakdown codes
// (infectious_disease_reports.X, referrals.X) that should be absent and
// agent-side double acceptance count as unexpected/duplicated as well. Last,
// the agents themselves are checked: a re-import of an acknowledged chunk must
// come back all "duplicate" (anything accepted again was forgotten = lost at
// the agent), and the rows a chunk's attempts accepted must add up to at most
// its size. A wipe resets both checks for that agent (it is meant to forget):
// what it had acknowledged but not yet synced is lost at the village until
// the clinic re-imports it, so the truth stays every acknowledged row, and the
// township must recognise the re-imported rows it already has (same
// record_id, same content, new epoch) as duplicates, voids included.
//
// A record counts as acknowledged only when `village_agent import` of its
// chunk exited 0 with accepted + duplicate = rows and rejected = 0. An import
// that fails (the agent was just killed or is paused past the deadline) is
// retried until it succeeds; rows stored by the failed attempt then come back
// as duplicates, which is fine: the truth is every row of the chunk, in file
// order (voids only ever target earlier chunks, so the order is unambiguous).
//
// Product processes must not exit on their own: an exit that the harness did
// not cause is logged, the process restarted, and the run fails (crashes=N).
#include <signal.h>
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
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/record_file.h"
#include "common/record_parse.h"
#include "nlohmann/json.hpp"
#include "tests/support/local_county.h"
#include "tests/support/oracle.h"
#include "tests/support/process.h"
#include "tests/support/report_csv.h"
#include "tests/support/small_disk.h"
#include "tests/support/tcp_proxy.h"

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

namespace sanji::fault {
namespace {

using test_support::ChildProcess;
using test_support::CommandResult;
using test_support::LocalCounty;
using test_support::OracleValues;
using test_support::OrgLevel;
using test_support::ReportCsv;
using test_support::SmallDisk;
using test_support::TcpProxy;
using test_support::VillageRecords;
using test_support::WaitFor;

constexpr char kCounty[] = "640522";

// ---------------------------------------------------------------------------
// Logging: timestamped lines on stderr (and faults in <dir>/faults.log).

absl::Mutex log_mu;
absl::Time run_start;

double SecondsSince(absl::Time t) {
  return absl::ToDoubleSeconds(absl::Now() - t);
}

void Log(const std::string& line) {
  absl::MutexLock lock(&log_mu);
  std::fprintf(stderr, "[%8.2fs] %s\n", SecondsSince(run_start), line.c_str());
  std::fflush(stderr);
}

// ---------------------------------------------------------------------------
// The one random generator.

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  int64_t Int(int64_t lo, int64_t hi) {  // inclusive
    return std::uniform_int_distribution<int64_t>(lo, hi)(gen_);
  }
  double Real(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(gen_);
  }
  bool Chance(double p) { return Real(0, 1) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int64_t>(v.size()) - 1))];
  }
  // An index drawn with the given weights.
  size_t Weighted(const std::vector<double>& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = Real(0, total);
    for (size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  std::mt19937_64 gen_;
};

// ---------------------------------------------------------------------------
// Workload.

const std::vector<std::string>& Diseases() {
  // Every code of spec/records.md; the four urgent ones first.
  static const auto* d =
      new std::vector<std::string>{"plague",
                                   "cholera",
                                   "sars",
                                   "anthrax_pulmonary",
                                   "hiv_aids",
                                   "viral_hepatitis",
                                   "polio",
                                   "measles",
                                   "hfrs",
                                   "rabies",
                                   "japanese_encephalitis",
                                   "dengue",
                                   "anthrax",
                                   "dysentery",
                                   "tuberculosis",
                                   "typhoid",
                                   "meningococcal",
                                   "pertussis",
                                   "diphtheria",
                                   "neonatal_tetanus",
                                   "scarlet_fever",
                                   "brucellosis",
                                   "gonorrhea",
                                   "syphilis",
                                   "leptospirosis",
                                   "schistosomiasis",
                                   "malaria",
                                   "h7n9",
                                   "covid19",
                                   "mpox",
                                   "influenza",
                                   "mumps",
                                   "rubella",
                                   "hand_foot_mouth",
                                   "infectious_diarrhea",
                                   "acute_hemorrhagic_conjunctivitis",
                                   "leprosy",
                                   "typhus",
                                   "kala_azar",
                                   "echinococcosis",
                                   "filariasis"};
  return *d;
}

struct Person {
  std::string id;
  std::string sex;
  absl::CivilDay birth;
};

// Patient pools, shared by all villages (the same health-record number in two
// villages is counted in each, spec/indicators.md "Levels").
struct Pools {
  std::vector<Person> general;   // anyone born 1930-2015
  std::vector<Person> ht;        // hypertension, about half 65+
  std::vector<Person> dm;        // diabetes
  std::vector<Person> children;  // born 2019-07-01..2024-12-31: 0-6 all 2025
  std::vector<Person> elderly;   // born 1925-1959: 65+ all 2025
  std::vector<Person> women;     // F, born 1985-2003
};

absl::CivilDay RandomDay(Rng& rng, absl::CivilDay first, absl::CivilDay last) {
  return first + rng.Int(0, last - first);
}

std::vector<Person> MakePool(Rng& rng, const std::string& prefix, int n,
                             absl::CivilDay first, absl::CivilDay last,
                             bool female_only = false) {
  std::vector<Person> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Person{absl::StrCat(prefix, "-", i),
                         female_only || rng.Chance(0.5) ? "F" : "M",
                         RandomDay(rng, first, last)});
  }
  return out;
}

Pools MakePools(Rng& rng) {
  using absl::CivilDay;
  Pools p;
  p.general =
      MakePool(rng, "GP", 400, CivilDay(1930, 1, 1), CivilDay(2015, 12, 31));
  p.ht = MakePool(rng, "HT", 60, CivilDay(1935, 1, 1), CivilDay(1985, 12, 31));
  p.dm = MakePool(rng, "DM", 40, CivilDay(1940, 1, 1), CivilDay(1985, 12, 31));
  p.children =
      MakePool(rng, "CH", 80, CivilDay(2019, 7, 1), CivilDay(2024, 12, 31));
  p.elderly =
      MakePool(rng, "EL", 90, CivilDay(1925, 1, 1), CivilDay(1959, 12, 31));
  p.women = MakePool(rng, "WM", 30, CivilDay(1985, 1, 1),
                     CivilDay(2003, 12, 31), /*female_only=*/true);
  return p;
}

std::string Day(absl::CivilDay d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

using Fields = std::map<std::string, std::string, std::less<>>;

std::string CsvLine(const Fields& f) {
  std::vector<std::string> cells;
  for (absl::string_view c : KnownColumns()) {
    auto it = f.find(c);
    cells.push_back(it == f.end() ? "" : it->second);
  }
  return absl::StrCat(absl::StrJoin(cells, ","), "\n");
}

std::string Yuan(Rng& rng, int lo, int hi) {
  return absl::StrFormat("%d.%02d", rng.Int(lo, hi), rng.Int(0, 99));
}

// One `new` row of a random kind for a village, dated 2025-01-01..2025-12-30
// (2025-12-31 is kept for the refused rows).
class RecordMaker {
 public:
  RecordMaker(const Pools& pools) : pools_(pools) {}

  Fields Make(Rng& rng, const std::string& record_id) {
    static const std::vector<std::pair<std::string, double>> kKinds = {
        {"outpatient_visit", 30},     {"hypertension_followup", 14},
        {"diabetes_followup", 9},     {"child_health_check", 6},
        {"elderly_health_check", 5},  {"vaccination", 5},
        {"prenatal_visit", 3},        {"postpartum_visit", 2},
        {"health_record_created", 3}, {"inpatient_admission", 3},
        {"smi_followup", 2},          {"tb_followup", 2},
        {"family_doctor_signing", 4}, {"infectious_disease_report", 1.5},
        {"death_report", 0.7},        {"referral", 2.5},
        {"health_education", 1.5},    {"supervision_patrol", 1}};
    std::vector<double> weights;
    for (const auto& k : kKinds) weights.push_back(k.second);
    const std::string& kind = kKinds[rng.Weighted(weights)].first;

    absl::CivilDay day = RandomDay(rng, absl::CivilDay(2025, 1, 1),
                                   absl::CivilDay(2025, 12, 30));
    std::string when = absl::StrFormat("%sT%02d:%02d", Day(day), rng.Int(7, 20),
                                       rng.Int(0, 59));
    Fields f{{"record_id", record_id}, {"action", "new"}, {"kind", kind}};
    const Person* who = nullptr;
    if (kind == "outpatient_visit") {
      who = &rng.Pick(pools_.general);
      f["cost_yuan"] = Yuan(rng, 0, 300);
      if (rng.Chance(0.3)) f["icd10"] = rng.Chance(0.5) ? "J06.9" : "I10";
    } else if (kind == "inpatient_admission") {
      who = &rng.Pick(pools_.general);
      f["cost_yuan"] = Yuan(rng, 300, 30000);
    } else if (kind == "hypertension_followup" || kind == "diabetes_followup") {
      bool ht = kind == "hypertension_followup";
      who = &rng.Pick(ht ? pools_.ht : pools_.dm);
      // Sometimes at exactly the time of the patient's last follow-up, so
      // that the "several share the latest occurred_at" rule is exercised.
      std::string& last = last_followup_[kind + who->id];
      if (!last.empty() && rng.Chance(0.05)) when = last;
      last = when;
      if (ht) {
        f["systolic"] = absl::StrCat(rng.Int(105, 175));
        f["diastolic"] = absl::StrCat(rng.Int(60, 104));
      } else {
        f["fasting_glucose"] =
            absl::StrFormat("%d.%d", rng.Int(4, 11), rng.Int(0, 9));
      }
    } else if (kind == "child_health_check") {
      who = &rng.Pick(pools_.children);
    } else if (kind == "vaccination") {
      who = &rng.Pick(pools_.children);
      static const std::vector<std::string> kVaccines = {
          "HepB", "BCG", "DTaP", "MMR", "IPV", "JE", "MenA", "HepA"};
      f["vaccine"] = rng.Pick(kVaccines);
      f["dose"] = absl::StrCat(rng.Int(1, 4));
    } else if (kind == "elderly_health_check") {
      who = &rng.Pick(pools_.elderly);
    } else if (kind == "prenatal_visit" || kind == "postpartum_visit") {
      who = &rng.Pick(pools_.women);
    } else if (kind == "smi_followup" || kind == "tb_followup" ||
               kind == "family_doctor_signing" ||
               kind == "health_record_created") {
      // A small sub-pool, so that distinct counts differ from visit counts.
      who = &pools_.general[static_cast<size_t>(rng.Int(0, 49))];
    } else if (kind == "infectious_disease_report") {
      who = &rng.Pick(pools_.general);
      // One in ten is one of the four urgent diseases.
      f["disease"] = rng.Chance(0.1)
                         ? Diseases()[rng.Int(0, 3)]
                         : Diseases()[rng.Int(
                               4, static_cast<int64_t>(Diseases().size()) - 1)];
    } else if (kind == "death_report") {
      who = &rng.Pick(pools_.general);
      if (rng.Chance(0.5)) f["icd10"] = "I21.9";
    } else if (kind == "referral") {
      who = &rng.Pick(pools_.general);
      static const std::vector<std::string> kTargets = {"township", "county",
                                                        "outside"};
      f["referred_to"] = rng.Pick(kTargets);
    } else if (kind == "health_education") {
      f["participants"] = absl::StrCat(rng.Int(5, 300));
    }
    // supervision_patrol: no further fields.
    f["occurred_at"] = when;
    if (who != nullptr) {
      f["patient_id"] = who->id;
      f["sex"] = who->sex;
      f["birth_date"] = Day(who->birth);
    }
    return f;
  }

 private:
  const Pools& pools_;
  std::map<std::string, std::string> last_followup_;
};

// Rows that every agent must refuse: each has one invalid field. Dated
// 2025-12-31, a day with no valid record, so that any of them counted shows
// up as "unexpected".
std::string PoisonRows(int* rows) {
  std::vector<Fields> bad = {
      // negative cost
      {{"record_id", "poison-1"},
       {"kind", "outpatient_visit"},
       {"occurred_at", "2025-12-31T10:00"},
       {"patient_id", "GP-1"},
       {"sex", "M"},
       {"birth_date", "1970-01-01"},
       {"cost_yuan", "-1.00"}},
      // an adult's child health check
      {{"record_id", "poison-2"},
       {"kind", "child_health_check"},
       {"occurred_at", "2025-12-31T10:00"},
       {"patient_id", "GP-2"},
       {"sex", "F"},
       {"birth_date", "1980-01-01"}},
      // born after the visit
      {{"record_id", "poison-3"},
       {"kind", "outpatient_visit"},
       {"occurred_at", "2025-12-31T10:00"},
       {"patient_id", "GP-3"},
       {"sex", "M"},
       {"birth_date", "2026-01-01"},
       {"cost_yuan", "5.00"}},
      // a resident identity number as patient id
      {{"record_id", "poison-4"},
       {"kind", "death_report"},
       {"occurred_at", "2025-12-31T10:00"},
       {"patient_id", "11010519491231002X"},
       {"sex", "F"},
       {"birth_date", "1949-12-31"}},
      // a disease that is not notifiable
      {{"record_id", "poison-5"},
       {"kind", "infectious_disease_report"},
       {"occurred_at", "2025-12-31T10:00"},
       {"patient_id", "GP-5"},
       {"sex", "F"},
       {"birth_date", "1990-01-01"},
       {"disease", "common_cold"}},
  };
  std::string text = absl::StrCat(absl::StrJoin(KnownColumns(), ","), "\n");
  for (const Fields& f : bad) text += CsvLine(f);
  *rows = static_cast<int>(bad.size());
  return text;
}

// One file to import into one village.
struct Chunk {
  enum Type { kNew, kReplay, kPoison };
  Type type = kNew;
  int number = 0;  // chunk number within the village (replays: the original's)
  std::string path;
  int rows = 0;
  double at = 0;  // planned seconds after the fault phase starts
  // Outcome, written by the village's importer thread.
  bool done = false;
  int attempts = 0;
  uint64_t accepted_total = 0;  // over all attempts
};

struct AlertTruth {
  std::string disease;
  bool withdrawn = false;
};

struct VillagePlan {
  std::string id;
  std::vector<Chunk> chunks;  // in import order
  // Per kNew chunk number: its records (parsed from the file).
  std::map<int, std::vector<Record>> chunk_records;
  // Problems seen by the importer (agent-side loss or double acceptance).
  std::vector<std::string> problems;
  uint64_t agent_lost = 0;        // re-imports accepted again
  uint64_t agent_duplicated = 0;  // attempts accepting more than the rows
  uint64_t poison_accepted = 0;   // refused rows accepted
};

// Parses a generated file as the agent does, for the oracle. Any row that
// does not parse is a harness bug.
absl::StatusOr<std::vector<Record>> ParseFile(const std::string& path) {
  absl::StatusOr<RecordFileContents> contents =
      ReadRecordFile(path, FileEncoding::kAuto);
  if (!contents.ok()) return contents.status();
  if (!contents->malformed.empty()) {
    return absl::InternalError(
        absl::StrCat(path, ": malformed line ", contents->malformed[0].line));
  }
  absl::CivilSecond now = NowLocal();
  std::vector<Record> out;
  for (const RawRow& row : contents->rows) {
    std::string bad;
    absl::StatusOr<Record> rec = ParseRow(row, now, &bad);
    if (!rec.ok()) {
      return absl::InternalError(absl::StrCat(path, ":", row.line(), ": ", bad,
                                              ": ", rec.status().message()));
    }
    out.push_back(*rec);
  }
  return out;
}

// Every row of the file must fail ParseRow (the agent's own rules).
absl::Status CheckAllRefused(const std::string& path) {
  absl::StatusOr<RecordFileContents> contents =
      ReadRecordFile(path, FileEncoding::kAuto);
  if (!contents.ok()) return contents.status();
  for (const RawRow& row : contents->rows) {
    std::string bad;
    if (ParseRow(row, NowLocal(), &bad).ok()) {
      return absl::InternalError(
          absl::StrCat(path, ":", row.line(), ": a refused row parses"));
    }
  }
  return absl::OkStatus();
}

// Generates every village's chunks (files written under `dir`) with their
// planned import times in [0, 0.85 * duration].
absl::Status MakeWorkload(Rng& rng, const std::string& dir,
                          const std::vector<std::string>& villages,
                          int64_t records, int duration,
                          std::vector<VillagePlan>* plans) {
  Pools pools = MakePools(rng);
  std::filesystem::create_directories(dir);
  const std::string header =
      absl::StrCat(absl::StrJoin(KnownColumns(), ","), "\n");
  const int64_t n_villages = static_cast<int64_t>(villages.size());
  for (int64_t vi = 0; vi < n_villages; ++vi) {
    VillagePlan plan;
    plan.id = villages[vi];
    RecordMaker maker(pools);
    const int64_t rows = records / n_villages + (vi < records % n_villages);
    // About one chunk per 3 s of fault phase. Sizes are uniform around the
    // mean, except that one in ten is large: more than 1000 rows, so its
    // import takes several Submits (the CLI sends 1000 rows per call) and an
    // agent killed during it leaves the chunk partly stored.
    const int64_t mean = std::max<int64_t>(1, rows / std::max(4, duration / 3));
    std::vector<int64_t> sizes;
    for (int64_t left = rows; left > 0;) {
      int64_t n =
          rng.Chance(1.0 / 10)
              ? rng.Int(1001, std::max<int64_t>(
                                  1001, std::min<int64_t>(4000, rows / 2)))
              : rng.Int(1, 2 * mean);
      n = std::min(n, left);
      sizes.push_back(n);
      left -= n;
    }
    const int64_t n_chunks = static_cast<int64_t>(sizes.size());
    std::vector<double> times;
    for (int64_t i = 0; i < n_chunks; ++i)
      times.push_back(rng.Real(0, 0.85 * duration));
    std::sort(times.begin(), times.end());

    int64_t next_id = 0;
    // Records of earlier chunks that may be voided: (record_id, kind).
    std::vector<std::pair<std::string, std::string>> voidable;
    int poison_before = static_cast<int>(rng.Int(0, n_chunks - 1));
    for (int64_t c = 0; c < n_chunks; ++c) {
      const int64_t size = sizes[c];
      std::string text = header;
      std::vector<std::pair<std::string, std::string>> added;
      for (int64_t i = 0; i < size; ++i) {
        if (!voidable.empty() && rng.Chance(0.02)) {
          size_t k = static_cast<size_t>(
              rng.Int(0, static_cast<int64_t>(voidable.size()) - 1));
          std::swap(voidable[k], voidable.back());
          auto [id, kind] = voidable.back();
          voidable.pop_back();
          text +=
              CsvLine({{"record_id", id}, {"action", "void"}, {"kind", kind}});
        } else {
          std::string id = absl::StrFormat("R%06d", next_id++);
          Fields f = maker.Make(rng, id);
          added.emplace_back(id, f["kind"]);
          text += CsvLine(f);
        }
      }
      voidable.insert(voidable.end(), added.begin(), added.end());
      if (size == 0) continue;
      if (c == poison_before) {
        Chunk poison;
        poison.type = Chunk::kPoison;
        poison.path = absl::StrCat(dir, "/v", plan.id, "-poison.csv");
        std::ofstream(poison.path) << PoisonRows(&poison.rows);
        poison.at = times[c];
        if (absl::Status s = CheckAllRefused(poison.path); !s.ok()) return s;
        plan.chunks.push_back(poison);
      }
      Chunk chunk;
      chunk.number = static_cast<int>(c);
      chunk.path = absl::StrCat(dir, "/v", plan.id, "-c", c, ".csv");
      chunk.rows = static_cast<int>(size);
      chunk.at = times[c];
      std::ofstream(chunk.path) << text;
      absl::StatusOr<std::vector<Record>> parsed = ParseFile(chunk.path);
      if (!parsed.ok()) return parsed.status();
      plan.chunk_records[chunk.number] = std::move(*parsed);
      plan.chunks.push_back(chunk);
      // Now and then, an identical re-import of an earlier chunk: the agent
      // must answer "duplicate" for every row.
      if (plan.chunk_records.size() > 1 && rng.Chance(0.06)) {
        std::vector<const Chunk*> earlier;
        for (const Chunk& e : plan.chunks) {
          if (e.type == Chunk::kNew && e.number != chunk.number)
            earlier.push_back(&e);
        }
        Chunk replay = *rng.Pick(earlier);
        replay.type = Chunk::kReplay;
        replay.at = times[c];
        plan.chunks.push_back(replay);
      }
    }
    plans->push_back(std::move(plan));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Importing.

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
  absl::Time KillTime(double fraction) const {
    int64_t start = min_ns.load();
    if (start == 0) start = 100'000'000;  // nothing observed yet: 100 ms
    int64_t per_row = per_row_ns.load();
    if (per_row == 0) per_row = 50'000;  // 50 us
    return absl::FromUnixNanos(last_start_ns.load()) +
           absl::Nanoseconds(start) +
           absl::Nanoseconds(static_cast<int64_t>(fraction * per_row *
                                                  static_cast<double>(rows)));
  }
  void Observe(int64_t rows_done, int64_t took_ns) {
    if (min_ns.load() == 0 || took_ns < min_ns.load()) min_ns = took_ns;
    if (rows_done >= 200 && took_ns > min_ns.load())
      per_row_ns = (took_ns - min_ns.load()) / rows_done;
  }
};

struct ImportSummary {
  uint64_t accepted = 0, duplicate = 0, rejected = 0;
};

std::optional<ImportSummary> ParseSummary(const std::string& output) {
  std::optional<ImportSummary> out;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    unsigned long long a, d, r;
    if (std::sscanf(std::string(line).c_str(),
                    "accepted=%llu duplicate=%llu rejected=%llu", &a, &d,
                    &r) == 3) {
      out = ImportSummary{a, d, r};
    }
  }
  return out;
}

std::string OneLine(std::string s) {
  absl::StrReplaceAll({{"\n", " | "}}, &s);
  if (s.size() > 300) s = s.substr(0, 300) + "...";
  return s;
}

// Whether a product's error text says that a disk is (nearly) full.
bool SaysDiskFull(const std::string& text) {
  return absl::StrContains(text, "disk is full") ||
         absl::StrContains(text, "disk nearly full");
}

// What the importers report for the summary line.
struct ImportCounters {
  std::atomic<int64_t> retries{0};        // failed attempts, retried
  std::atomic<int64_t> interrupted{0};    // of those, cut mid-import
  std::atomic<int64_t> disk_full{0};      // of those, refused for a full disk
  std::atomic<int64_t> restored_rows{0};  // rows re-imported after wipes
};

struct ImportAttempt {
  CommandResult result;
  std::optional<ImportSummary> summary;
  bool Complete(int rows) const {
    return result.exit_code == 0 && summary.has_value() &&
           summary->rejected == 0 &&
           summary->accepted + summary->duplicate ==
               static_cast<uint64_t>(rows);
  }
};

// One `village_agent import` of `chunk`, observed by `probe`.
ImportAttempt ImportOnce(const LocalCounty& county, const std::string& village,
                         const Chunk& chunk, ImportProbe* probe) {
  const absl::Time import_start = absl::Now();
  probe->last_start_ns = absl::ToUnixNanos(import_start);
  probe->rows = chunk.rows;
  ++probe->started;
  ImportAttempt a;
  a.result = county.Import(village, {chunk.path});
  if (a.result.exit_code == 0) {
    probe->Observe(chunk.rows,
                   absl::ToInt64Nanoseconds(absl::Now() - import_start));
  }
  if (absl::GetFlag(FLAGS_verbose)) {
    Log(absl::StrFormat(
        "village %s chunk %d (%d rows, planned t=%.2fs): import took %.0f ms, "
        "exit %d: %s",
        village, chunk.number, chunk.rows, chunk.at,
        absl::ToDoubleMilliseconds(absl::Now() - import_start),
        a.result.exit_code, OneLine(a.result.output)));
  }
  a.summary = ParseSummary(a.result.output);
  return a;
}

// Counts and logs a failed attempt, then waits a little before the retry.
void NoteFailedAttempt(const std::string& what, int attempt,
                       const CommandResult& r, ImportCounters* counters) {
  ++counters->retries;
  // The CLI had reached the agent and lost it mid-import.
  if (absl::StrContains(r.errors, "rows before that line are stored")) {
    ++counters->interrupted;
  }
  if (SaysDiskFull(r.errors)) ++counters->disk_full;
  Log(absl::StrCat(
      what, ": import attempt ", attempt, " failed (exit ", r.exit_code,
      "): ", OneLine(r.errors.empty() ? r.output : r.errors), "; retrying"));
  absl::SleepFor(absl::Milliseconds(300));
}

// Imports one village's chunks in order, each at its planned time, retrying
// until the agent acknowledges it (or `stop` is set). After a wipe of the
// agent's data directory it first re-imports every chunk acknowledged so far,
// in order, as a clinic restoring from its source files would; it keeps
// watching for wipes until `faults_over`.
void ImportVillage(const LocalCounty& county, VillagePlan* plan,
                   ImportProbe* probe, absl::Time phase_start,
                   const std::atomic<bool>* stop,
                   const std::atomic<bool>* faults_over,
                   ImportCounters* counters) {
  int seen_wipes = 0;
  // Returns true if it restored (the agent forgot everything before).
  auto restore_if_wiped = [&]() -> bool {
    bool restored = false;
    while (probe->wipes.load() != seen_wipes && !stop->load()) {
      seen_wipes = probe->wipes.load();
      restored = true;
      int chunks = 0;
      int64_t rows = 0;
      for (const Chunk& c : plan->chunks) {
        if (c.type != Chunk::kNew || !c.done) continue;
        if (probe->wipes.load() != seen_wipes) break;  // wiped again
        const std::string what = absl::StrFormat(
            "village %s chunk %d (restore after a wipe)", plan->id, c.number);
        for (int attempt = 1; !stop->load(); ++attempt) {
          ImportAttempt a = ImportOnce(county, plan->id, c, probe);
          if (a.Complete(c.rows)) break;
          if (a.summary.has_value() && a.summary->rejected > 0) {
            plan->problems.push_back(absl::StrCat(
                what, ": valid rows rejected: ", OneLine(a.result.output)));
            break;
          }
          NoteFailedAttempt(what, attempt, a.result, counters);
        }
        ++chunks;
        rows += c.rows;
      }
      counters->restored_rows += rows;
      Log(
          absl::StrFormat("village %s: restored %d acknowledged chunks (%d "
                          "rows) into the wiped agent",
                          plan->id, chunks, rows));
    }
    return restored;
  };

  for (Chunk& chunk : plan->chunks) {
    absl::Time when = phase_start + absl::Seconds(chunk.at);
    while (absl::Now() < when && !stop->load()) {
      absl::SleepFor(std::min(when - absl::Now(), absl::Milliseconds(200)));
    }
    while (!chunk.done && !stop->load()) {
      // A wiped agent knows none of this chunk's earlier attempts.
      if (restore_if_wiped()) chunk.accepted_total = 0;
      ++chunk.attempts;
      ImportAttempt a = ImportOnce(county, plan->id, chunk, probe);
      std::string what =
          absl::StrFormat("village %s chunk %d%s", plan->id, chunk.number,
                          chunk.type == Chunk::kReplay   ? " (re-import)"
                          : chunk.type == Chunk::kPoison ? " (refused rows)"
                                                         : "");
      if (probe->wipes.load() != seen_wipes) {
        // Wiped during the attempt: part of it may have gone to the old
        // agent, part to the new. Restore, then do it again.
        Log(absl::StrCat(what,
                         ": the agent was wiped during the import; "
                         "retrying after the restore"));
        continue;
      }
      const CommandResult& r = a.result;
      const std::optional<ImportSummary>& s = a.summary;
      if (s.has_value()) chunk.accepted_total += s->accepted;
      switch (chunk.type) {
        case Chunk::kNew:
          if (a.Complete(chunk.rows)) {
            chunk.done = true;
          } else if (s.has_value() && s->rejected > 0) {
            // Generated rows are all valid (ParseFile checked them).
            plan->problems.push_back(
                absl::StrCat(what, ": valid rows rejected: ", OneLine(r.output),
                             OneLine(r.errors)));
            chunk.done = true;  // retrying cannot help; the run fails
          }
          if (chunk.accepted_total > static_cast<uint64_t>(chunk.rows)) {
            plan->agent_duplicated += chunk.accepted_total - chunk.rows;
            plan->problems.push_back(absl::StrCat(
                what, ": attempts accepted ", chunk.accepted_total, " rows of ",
                chunk.rows, " (some accepted twice)"));
            chunk.accepted_total = chunk.rows;
          }
          break;
        case Chunk::kReplay:
          if (s.has_value() && s->accepted > 0) {
            plan->agent_lost += s->accepted;
            plan->problems.push_back(absl::StrCat(
                what, ": re-import of acknowledged rows accepted ", s->accepted,
                " again (the agent had forgotten them)"));
          }
          if (r.exit_code == 0 && s.has_value() &&
              s->accepted + s->duplicate == static_cast<uint64_t>(chunk.rows)) {
            chunk.done = true;
          }
          break;
        case Chunk::kPoison:
          if (s.has_value() && s->accepted > 0) {
            plan->poison_accepted += s->accepted;
            plan->problems.push_back(
                absl::StrCat(what, ": invalid rows accepted: ", s->accepted));
          }
          if (r.exit_code == 1 && s.has_value() &&
              s->accepted + s->rejected == static_cast<uint64_t>(chunk.rows)) {
            chunk.done = true;
          }
          break;
      }
      if (!chunk.done) NoteFailedAttempt(what, chunk.attempts, r, counters);
    }
    if (stop->load() && !chunk.done) return;
  }
  // Every chunk is in; a wipe may still come until the faults are over.
  while (!faults_over->load() && !stop->load()) {
    restore_if_wiped();
    absl::SleepFor(absl::Milliseconds(100));
  }
  restore_if_wiped();
}

// ---------------------------------------------------------------------------
// Faults.

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

  bool IsKill() const {
    return kind == FaultKind::kKillAgent || kind == FaultKind::kKillTownship ||
           kind == FaultKind::kKillHub || kind == FaultKind::kWipeAgent;
  }
  bool IsLink() const {
    return !IsKill() && kind != FaultKind::kPause &&
           kind != FaultKind::kDiskFull;
  }

  std::string Describe() const {
    std::string who =
        target_type == "hub" ? "hub" : absl::StrCat(target_type, " ", target);
    std::string link = absl::StrCat(target_type, " link ", target);
    switch (kind) {
      case FaultKind::kKillAgent:
      case FaultKind::kKillTownship:
      case FaultKind::kKillHub:
        return absl::StrFormat(
            "SIGKILL %s%s, restart after %.1fs", who,
            aimed ? absl::StrFormat(" at %d%% of its next import's Submits",
                                    param)
                  : "",
            duration);
      case FaultKind::kPause:
        return absl::StrFormat("SIGSTOP %s, SIGCONT after %.1fs", who,
                               duration);
      case FaultKind::kCut:
        return absl::StrFormat("cut %s for %.1fs", link, duration);
      case FaultKind::kDelay:
        return absl::StrFormat("delay %dms on %s for %.1fs", param, link,
                               duration);
      case FaultKind::kBandwidth:
        return absl::StrFormat("bandwidth %d B/s on %s for %.1fs", param, link,
                               duration);
      case FaultKind::kStall:
        return absl::StrFormat("stall %s for %.1fs", link, duration);
      case FaultKind::kResetAll:
        return absl::StrFormat("reset connections of %s", link);
      case FaultKind::kTruncate:
        return absl::StrFormat("truncate connections of %s after %d bytes",
                               link, param);
      case FaultKind::kWipeAgent:
        return absl::StrFormat(
            "SIGKILL %s, delete its data directory, restart after %.1fs (a new "
            "epoch; the clinic then re-imports its files)",
            who, duration);
      case FaultKind::kDiskFull:
        return absl::StrFormat(
            "fill the disk of %s, leaving %d KiB free, for %.1fs", who,
            param >> 10, duration);
    }
    return "?";
  }
};

// The fault schedule over [0, duration): gaps of 0.2-3.8 s (about one fault
// every 2 s); a process or link is never under two faults at once. Three in
// four agent kills are aimed at an import: planned just before the village's
// largest import in the next 4 s (`import_times`: village -> (seconds, rows)),
// they wait for the next import to start and kill the agent at -30%..130% of
// the time its Submits should take. An import takes 0.1-1 s, most of it
// starting the CLI and connecting; the Submits are the last part (a few
// hundred ms for a big file), so the estimate comes from the village's
// earlier imports (ImportProbe). Some agents die in the middle of an import,
// others just before it reached them or just after it answered.
//
// Full-disk faults hit `disk_village` or `disk_township`, the two whose data
// directories get a small file system of their own.
std::vector<Fault> MakeSchedule(
    Rng& rng, int duration, const std::vector<std::string>& villages,
    const std::vector<std::string>& townships,
    const std::map<std::string, std::vector<std::pair<double, int>>>&
        import_times,
    const std::string& disk_village, const std::string& disk_township) {
  std::vector<Fault> out;
  // "agent 6405..", "hub", "link village 6405..." -> [start, end] of faults.
  std::map<std::string, std::vector<std::pair<double, double>>> busy;
  auto process_key = [](const std::string& type, const std::string& id) {
    return type == "hub" ? std::string("hub") : absl::StrCat(type, " ", id);
  };
  double t = rng.Real(0.5, 3);
  const std::vector<double> weights = {
      4,    // kill agent
      2,    // kill township
      1,    // kill hub
      2,    // pause
      3,    // cut
      1.5,  // delay
      1.5,  // bandwidth
      1.5,  // stall
      2,    // reset all
      2,    // truncate
      0.4,  // wipe an agent's data directory
      1.5,  // full disk
  };
  while (t < duration) {
    Fault f;
    f.kind = static_cast<FaultKind>(rng.Weighted(weights));
    f.at = t;
    switch (f.kind) {
      case FaultKind::kKillAgent: {
        f.target_type = "agent";
        f.target = rng.Pick(villages);
        f.duration = rng.Real(0, 5);
        if (rng.Chance(0.75)) {
          // The largest import planned in the next 4 s.
          std::optional<std::pair<double, int>> aim;
          for (const auto& [at, rows] : import_times.at(f.target)) {
            if (at >= t && at < t + 4 && (!aim || rows > aim->second)) {
              aim.emplace(at, rows);
            }
          }
          if (aim.has_value()) {
            f.at = std::max(t, aim->first - 0.2);
            f.aimed = true;
            f.param = rng.Int(-30, 130);
          }
        }
        break;
      }
      case FaultKind::kKillTownship:
        f.target_type = "township";
        f.target = rng.Pick(townships);
        f.duration = rng.Real(0, 5);
        break;
      case FaultKind::kKillHub:
        f.target_type = "hub";
        f.duration = rng.Real(0, 5);
        break;
      case FaultKind::kWipeAgent:
        f.target_type = "agent";
        f.target = rng.Pick(villages);
        f.duration = rng.Real(0, 3);
        break;
      case FaultKind::kDiskFull:
        f.target_type = rng.Chance(0.5) ? "agent" : "township";
        f.target = f.target_type == "agent" ? disk_village : disk_township;
        // The village runs with no free-space margin, so the fill leaves it
        // next to nothing (and it is restarted on it: FaultRunner::Begin);
        // the township's 16 MB margin refuses below that.
        f.duration =
            f.target_type == "agent" ? rng.Real(5, 20) : rng.Real(2, 20);
        f.param = f.target_type == "agent" ? rng.Int(128 << 10, 320 << 10)
                                           : rng.Int(0, 20 << 20);
        break;
      case FaultKind::kPause: {
        size_t k = rng.Weighted({6, 3, 1});
        f.target_type = k == 0 ? "agent" : k == 1 ? "township" : "hub";
        f.target = k == 0   ? rng.Pick(villages)
                   : k == 1 ? rng.Pick(townships)
                            : "";
        f.duration = rng.Real(0.5, 8);
        break;
      }
      default:
        f.target_type = rng.Chance(0.3) ? "township" : "village";
        f.target = f.target_type == "township" ? rng.Pick(townships)
                                               : rng.Pick(villages);
        break;
    }
    switch (f.kind) {
      case FaultKind::kCut:
        f.duration = rng.Real(1, 10);
        break;
      case FaultKind::kDelay:
        f.duration = rng.Real(2, 15);
        f.param = rng.Int(10, 500);
        break;
      case FaultKind::kBandwidth:
        f.duration = rng.Real(2, 15);
        f.param = rng.Int(2 << 10, 200 << 10);
        break;
      case FaultKind::kStall:
        f.duration = rng.Real(1, 10);
        break;
      case FaultKind::kTruncate:
        f.param = rng.Int(0, 4096);
        break;
      default:
        break;
    }
    std::string key = f.IsLink()
                          ? absl::StrCat("link ", f.target_type, " ", f.target)
                          : process_key(f.target_type, f.target);
    bool free = f.at < duration;
    for (const auto& [start, end] : busy[key]) {
      if (f.at <= end + 0.05 && start <= f.at + f.duration + 0.05) free = false;
    }
    if (free) {
      busy[key].emplace_back(f.at, f.at + f.duration);
      out.push_back(f);
    }  // else: the target is under another fault then; skip this one.
    t += rng.Real(0.2, 3.8);
  }
  return out;
}

// Runs the schedule against the county, from the main thread (children must
// be started from it).
class FaultRunner {
 public:
  // `disks`: org id -> the small disk under its data directory.
  FaultRunner(LocalCounty* county, std::ofstream* log,
              std::map<std::string, ImportProbe*> probes,
              std::map<std::string, SmallDisk*> disks,
              const ImportCounters* imports)
      : county_(county),
        log_(log),
        probes_(std::move(probes)),
        disks_(std::move(disks)),
        imports_(imports) {}

  int processes_killed = 0;
  int pauses = 0;
  int link_faults = 0;
  int data_wipes = 0;
  int disk_faults = 0;
  // Full disks that refused work while full: an import refused at the
  // village, or the township's villages told so by the township.
  int disk_faults_felt = 0;
  int crashes = 0;
  std::vector<std::string> problems;

  // Runs the faults of `schedule` whose start falls before `duration`, and
  // their end actions; returns at the end of the phase with the end actions
  // of unfinished faults still to do (Heal() does them).
  void Run(const std::vector<Fault>& schedule, absl::Time phase_start,
           double duration) {
    struct Event {
      double at;
      size_t fault;
      bool end;
    };
    std::vector<Event> events;
    for (size_t i = 0; i < schedule.size(); ++i) {
      events.push_back({schedule[i].at, i, false});
      if (schedule[i].duration > 0 || schedule[i].IsKill()) {
        events.push_back({schedule[i].at + schedule[i].duration, i, true});
      }
    }
    std::stable_sort(
        events.begin(), events.end(),
        [](const Event& a, const Event& b) { return a.at < b.at; });
    for (const Event& e : events) {
      absl::Time when = phase_start + absl::Seconds(e.at);
      if (e.at >= duration) {
        if (e.end) pending_ends_.push_back(&schedule[e.fault]);
        continue;
      }
      while (absl::Now() < when) {
        WatchProcesses();
        absl::SleepFor(std::min(when - absl::Now(), absl::Milliseconds(100)));
      }
      WatchProcesses();
      const Fault& f = schedule[e.fault];
      if (e.end) {
        End(f, phase_start);
      } else {
        Begin(f, phase_start);
      }
    }
    absl::Time end = phase_start + absl::Seconds(duration);
    while (absl::Now() < end) {
      WatchProcesses();
      absl::SleepFor(std::min(end - absl::Now(), absl::Milliseconds(100)));
    }
  }

  // Ends every unfinished fault, then makes sure every link is healed and
  // unlimited and every process is running.
  void Heal(absl::Time phase_start) {
    for (const Fault* f : pending_ends_) End(*f, phase_start);
    pending_ends_.clear();
    for (const auto& [org, disk] : disks_) disk->Free();
    for (const std::string& v : county_->villages())
      ClearLink(county_->village_link(v));
    for (const std::string& t : county_->townships())
      ClearLink(county_->township_link(t));
    WatchProcesses();
    Note(phase_start,
         "healed: every link up and unlimited, every process running");
  }

  // An exit the harness did not cause: log, count, restart.
  void WatchProcesses() {
    auto check = [&](const std::string& key, ChildProcess& child,
                     const std::function<absl::Status()>& start) {
      if (down_.count(key) || child.Running()) return;
      ++crashes;
      std::string msg = absl::StrCat(key, " exited on its own (status ",
                                     child.exit_status().value_or(0), "); see ",
                                     child.log_path(), "; restarting it");
      problems.push_back(msg);
      Log(msg);
      Restart(key, start);
    };
    check("hub", county_->hub(), [&] { return county_->StartHub(); });
    for (const std::string& t : county_->townships()) {
      check("township " + t, county_->township(t),
            [&, t] { return county_->StartTownship(t); });
    }
    for (const std::string& v : county_->villages()) {
      check("agent " + v, county_->agent(v),
            [&, v] { return county_->StartAgent(v); });
    }
  }

 private:
  static void ClearLink(TcpProxy& link) {
    link.Heal();
    link.Resume();
    link.SetDelay(absl::ZeroDuration());
    link.SetBandwidth(0);
  }

  void Note(absl::Time phase_start, const std::string& what) {
    std::string line =
        absl::StrFormat("t=%.2fs %s", SecondsSince(phase_start), what);
    Log("fault: " + line);
    *log_ << line << "\n";
    log_->flush();
  }

  ChildProcess& Process(const Fault& f) {
    if (f.target_type == "hub") return county_->hub();
    if (f.target_type == "township") return county_->township(f.target);
    return county_->agent(f.target);
  }
  std::string Key(const Fault& f) const {
    return f.target_type == "hub" ? std::string("hub")
                                  : absl::StrCat(f.target_type, " ", f.target);
  }
  TcpProxy& Link(const Fault& f) {
    return f.target_type == "township" ? county_->township_link(f.target)
                                       : county_->village_link(f.target);
  }

  void Restart(const std::string& key,
               const std::function<absl::Status()>& start) {
    for (int attempt = 1; attempt <= 3; ++attempt) {
      absl::Status s = start();
      if (s.ok()) return;
      std::string msg = absl::StrCat("restart of ", key, " failed (attempt ",
                                     attempt, "): ", s.message());
      Log(msg);
      if (attempt == 3) problems.push_back(msg);
      absl::SleepFor(absl::Seconds(1));
    }
  }

  // Waits up to 3 s for the village's next import to start; says so if none
  // did.
  bool WaitForNextImport(const std::string& village, absl::Time phase_start) {
    ImportProbe* probe = probes_.at(village);
    const int64_t before = probe->started.load();
    WaitFor(
        [&] {
          WatchProcesses();
          return probe->started.load() > before;
        },
        absl::Seconds(3), absl::Milliseconds(5));
    if (probe->started.load() > before) return true;
    Note(phase_start, "(no import started within 3 s)");
    return false;
  }

  void Begin(const Fault& f, absl::Time phase_start) {
    if (f.aimed && WaitForNextImport(f.target, phase_start)) {
      absl::Time kill_at = probes_.at(f.target)->KillTime(f.param / 100.0);
      absl::SleepFor(std::max(kill_at - absl::Now(), absl::ZeroDuration()));
    }
    if (f.kind == FaultKind::kDiskFull) {
      if (!disks_.count(f.target)) return;  // no tmpfs: said at the start
      // A village's disk fills while it imports, so that the import meets it.
      if (f.target_type == "agent") WaitForNextImport(f.target, phase_start);
      Note(phase_start, f.Describe());
      ++disk_faults;
      disk_refusals_before_ = imports_->disk_full.load();
      if (absl::Status s = disks_.at(f.target)->Fill(f.param); !s.ok()) {
        Log(std::string(s.message()));
      }
      if (f.target_type == "agent" && !down_.count(Key(f))) {
        // The clinic PC restarts on the full disk: the agent opens with no
        // room for its write-ahead log (the room RocksDB reserves for one
        // lasts a village ~85k rows), so the next import is refused: the
        // path that aborted agents on RocksDB 7.8 (issue 14).
        Note(phase_start,
             absl::StrCat("SIGKILL and restart ", Key(f), " on the full disk"));
        ++processes_killed;
        Process(f).Kill();
        if (absl::Status s = county_->StartAgent(f.target); !s.ok()) {
          // Opening RocksDB writes a new MANIFEST: with next to nothing free
          // the agent cannot start, and says so. That is not what this fault
          // tests: free the disk and start it.
          Note(phase_start,
               absl::StrCat("the agent cannot start on the full disk (",
                            s.message(), "); freeing it"));
          disks_.at(f.target)->Free();
          Restart(Key(f), [&] { return county_->StartAgent(f.target); });
          return;
        }
        // Opening needed the room; an import of a chunk (tens of KiB) must
        // not find it.
        if (absl::Status s = disks_.at(f.target)->Fill(f.param / 8); !s.ok()) {
          Log(std::string(s.message()));
        }
      }
      return;
    }
    Note(phase_start, f.Describe());
    if (f.IsKill()) {
      ++processes_killed;
      down_.insert(Key(f));
      Process(f).Kill();
      if (f.kind == FaultKind::kWipeAgent) {
        ++data_wipes;
        std::error_code ec;
        std::filesystem::remove_all(county_->data_dir(f.target), ec);
        if (ec) {
          problems.push_back(absl::StrCat("wiping ", f.target,
                                          "'s data directory: ", ec.message()));
        }
        ++probes_.at(f.target)->wipes;  // before the new agent starts
      }
      return;
    }
    if (f.kind == FaultKind::kPause) {
      ++pauses;
      down_.insert(Key(f));  // stopped, not exited; Running() stays true
      Process(f).Signal(SIGSTOP);
      return;
    }
    ++link_faults;
    TcpProxy& link = Link(f);
    switch (f.kind) {
      case FaultKind::kCut:
        link.Cut();
        break;
      case FaultKind::kDelay:
        link.SetDelay(absl::Milliseconds(f.param));
        break;
      case FaultKind::kBandwidth:
        link.SetBandwidth(static_cast<uint64_t>(f.param));
        break;
      case FaultKind::kStall:
        link.Stall();
        break;
      case FaultKind::kResetAll:
        link.ResetAll();
        break;
      case FaultKind::kTruncate:
        link.TruncateAfter(static_cast<uint64_t>(f.param));
        break;
      default:
        break;
    }
  }

  void End(const Fault& f, absl::Time phase_start) {
    if (f.kind == FaultKind::kDiskFull) {
      if (!disks_.count(f.target)) return;
      int refused = 0;
      if (f.target_type == "township") {
        for (const std::string& v : county_->villages()) {
          if (v.substr(0, 9) == f.target &&
              SaysDiskFull(county_->AgentStatus(v))) {
            ++refused;
          }
        }
      } else {
        refused = static_cast<int>(imports_->disk_full.load() -
                                   disk_refusals_before_);
      }
      if (refused > 0) ++disk_faults_felt;
      Note(phase_start,
           absl::StrCat("free the disk of ", Key(f), " (",
                        f.target_type == "township"
                            ? "villages told the disk is full: "
                            : "imports refused for the full disk: ",
                        refused, ")"));
      disks_.at(f.target)->Free();
      return;
    }
    if (f.IsKill()) {
      Note(phase_start, absl::StrCat("restart ", Key(f)));
      const std::string key = Key(f);
      if (f.kind == FaultKind::kKillHub) {
        Restart(key, [&] { return county_->StartHub(); });
      } else if (f.kind == FaultKind::kKillTownship) {
        Restart(key, [&] { return county_->StartTownship(f.target); });
      } else {
        Restart(key, [&] { return county_->StartAgent(f.target); });
      }
      down_.erase(key);
      return;
    }
    if (f.kind == FaultKind::kPause) {
      Note(phase_start, absl::StrCat("SIGCONT ", Key(f)));
      Process(f).Signal(SIGCONT);
      down_.erase(Key(f));
      return;
    }
    TcpProxy& link = Link(f);
    std::string link_name = absl::StrCat(f.target_type, " link ", f.target);
    switch (f.kind) {
      case FaultKind::kCut:
        Note(phase_start, "heal " + link_name);
        link.Heal();
        break;
      case FaultKind::kDelay:
        Note(phase_start, "no delay on " + link_name);
        link.SetDelay(absl::ZeroDuration());
        break;
      case FaultKind::kBandwidth:
        Note(phase_start, "unlimited bandwidth on " + link_name);
        link.SetBandwidth(0);
        break;
      case FaultKind::kStall:
        Note(phase_start, "resume " + link_name);
        link.Resume();
        break;
      default:
        break;
    }
  }

  LocalCounty* county_;
  std::ofstream* log_;
  std::map<std::string, ImportProbe*> probes_;  // village -> its importer
  std::map<std::string, SmallDisk*> disks_;     // org -> its small disk
  const ImportCounters* imports_;
  int64_t disk_refusals_before_ = 0;  // at the start of the disk fault
  std::set<std::string> down_;        // killed or stopped on purpose
  std::vector<const Fault*> pending_ends_;
};

// ---------------------------------------------------------------------------
// Accounting.

struct Accounting {
  int64_t lost = 0;
  int64_t duplicated = 0;
  int64_t unexpected = 0;
  int64_t cells = 0;
  int64_t cells_matched = 0;
  int64_t alerts_expected = 0;
  int64_t alerts_matched = 0;
  std::vector<std::string> diffs;  // every differing cell / alert
  std::vector<std::string> notes;  // where lost/duplicated/unexpected came from
};

// The 18 per-record counts: each `new` record adds 1 to exactly one of them.
// They are the oracle's count codes less the sums (money, participants).
const std::vector<std::string>& PerRecordCounts() {
  static const auto* c = [] {
    auto* codes = new std::vector<std::string>;
    for (const std::string& code : test_support::CountIndicatorCodes()) {
      if (absl::EndsWith(code, "_yuan") ||
          code == "health_education_participants") {
        continue;
      }
      codes->push_back(code);
    }
    return codes;
  }();
  return *c;
}

bool IsPerRecordCount(const std::string& code) {
  const auto& c = PerRecordCounts();
  return std::find(c.begin(), c.end(), code) != c.end();
}

// Periods compared: the year, halves, quarters, every month, the day of the
// refused rows and one range of days.
std::vector<std::string> Periods() {
  std::vector<std::string> p = {"2025",    "2025-H1", "2025-H2", "2025-Q1",
                                "2025-Q2", "2025-Q3", "2025-Q4"};
  for (int m = 1; m <= 12; ++m) p.push_back(absl::StrFormat("2025-%02d", m));
  p.push_back("2025-12-31");
  p.push_back("2025-06-03..2025-08-17");  // a range: counts and sums only
  return p;
}

// The periods of the record accounting: every month, and the refused rows'
// day. Each record falls in exactly one of them.
bool IsAccountingPeriod(const std::string& period) {
  return period == "2025-12-31" ||
         (period.size() == 7 && absl::ascii_isdigit(period[5]));
}

// Rates whose numerator and denominator both come from the records
// (spec/indicators.md "Rates"): percentages rounded half up to 2 places,
// empty when the denominator is zero. The other rates need the population file,
// which this county does not load, so they must be empty.
std::vector<std::pair<std::string, std::string>> RecordRates(
    const OracleValues& values, const std::string& org) {
  auto rate = [&](const char* num, const char* den) -> std::string {
    int64_t n = test_support::ValueOf(values, org, num);
    int64_t d = test_support::ValueOf(values, org, den);
    if (d == 0) return "";
    int64_t hundredths = (n * 10000 * 2 + d) / (2 * d);
    return absl::StrFormat("%d.%02d", hundredths / 100, hundredths % 100);
  };
  return {
      {"hypertension_standardized_rate",
       rate("hypertension_standardized", "hypertension_managed")},
      {"hypertension_control_rate",
       rate("hypertension_controlled", "hypertension_managed")},
      {"diabetes_standardized_rate",
       rate("diabetes_standardized", "diabetes_managed")},
      {"diabetes_control_rate",
       rate("diabetes_controlled", "diabetes_managed")},
  };
}

absl::Status CompareReports(const LocalCounty& county,
                            const VillageRecords& truth, Accounting* acc) {
  std::set<std::string> our_orgs = {county.county_id()};
  for (const std::string& t : county.townships()) our_orgs.insert(t);
  for (const std::string& v : county.villages()) our_orgs.insert(v);
  for (const std::string& period : Periods()) {
    absl::StatusOr<OracleValues> village_values =
        test_support::ComputeVillageValues(truth, period);
    if (!village_values.ok()) return village_values.status();
    for (OrgLevel level :
         {OrgLevel::kVillage, OrgLevel::kTownship, OrgLevel::kCounty}) {
      const std::string level_name = test_support::LevelName(level);
      OracleValues expected = test_support::RollUp(*village_values, level);
      absl::StatusOr<ReportCsv> report = county.Report(period, level_name);
      if (!report.ok()) return report.status();
      std::vector<std::string> orgs =
          level == OrgLevel::kVillage ? county.villages()
          : level == OrgLevel::kTownship
              ? county.townships()
              : std::vector<std::string>{county.county_id()};
      std::set<std::pair<std::string, std::string>> compared;
      for (const std::string& org : orgs) {
        // The four rates that need no population file.
        const bool range = absl::StrContains(period, "..");
        for (const auto& [code, want] :
             range ? std::vector<std::pair<std::string, std::string>>{}
                   : RecordRates(expected, org)) {
          compared.insert({org, code});
          std::optional<std::string> got = report->Value(level_name, org, code);
          ++acc->cells;
          if (got.has_value() && *got == want) {
            ++acc->cells_matched;
          } else {
            acc->diffs.push_back(absl::StrFormat(
                "%s %s %s %s: reported=%s expected=%s", period, level_name, org,
                code, got.value_or("<missing>"), want));
          }
        }
        for (const std::string& code :
             test_support::IndicatorsOf(expected, org)) {
          compared.insert({org, code});
          std::string want = test_support::FormatValue(expected, org, code);
          std::optional<std::string> got = report->Value(level_name, org, code);
          ++acc->cells;
          if (got.has_value() && *got == want) {
            ++acc->cells_matched;
          } else {
            acc->diffs.push_back(absl::StrFormat(
                "%s %s %s %s: reported=%s expected=%s", period, level_name, org,
                code, got.value_or("<missing>"), want));
          }
          // Record accounting on per-village, per-month kind counts.
          if (level == OrgLevel::kVillage && IsAccountingPeriod(period) &&
              IsPerRecordCount(code)) {
            int64_t e = test_support::ValueOf(expected, org, code);
            int64_t r = 0;
            if (!got.has_value() || !absl::SimpleAtoi(*got, &r)) r = 0;
            if (r < e) {
              acc->lost += e - r;
              acc->notes.push_back(absl::StrFormat("lost %d: %s %s %s", e - r,
                                                   period, org, code));
            } else if (r > e && e > 0) {
              acc->duplicated += r - e;
              acc->notes.push_back(absl::StrFormat("duplicated %d: %s %s %s",
                                                   r - e, period, org, code));
            } else if (r > e) {
              acc->unexpected += r;
              acc->notes.push_back(absl::StrFormat("unexpected %d: %s %s %s", r,
                                                   period, org, code));
            }
          }
        }
      }
      // Rows the oracle does not list: rates (empty without a population
      // file) are fine; anything else with a value is unexpected.
      for (const test_support::ReportCsvRow& row : report->rows()) {
        if (!our_orgs.count(row.org_id)) {
          ++acc->cells;
          acc->diffs.push_back(absl::StrFormat(
              "%s %s %s %s: reported=%s for an organisation not in the county",
              period, level_name, row.org_id, row.indicator, row.value));
          int64_t n = 0;
          if (IsPerRecordCount(row.indicator) && level == OrgLevel::kVillage &&
              IsAccountingPeriod(period) && absl::SimpleAtoi(row.value, &n)) {
            acc->unexpected += n;
          }
          continue;
        }
        if (compared.count({row.org_id, row.indicator}) || row.value.empty()) {
          continue;
        }
        ++acc->cells;
        acc->diffs.push_back(absl::StrFormat(
            "%s %s %s %s: reported=%s expected=<absent>", period, level_name,
            row.org_id, row.indicator, row.value));
        int64_t n = 0;
        if (level == OrgLevel::kVillage && IsAccountingPeriod(period) &&
            absl::StrContains(row.indicator, ".") &&
            absl::SimpleAtoi(row.value, &n)) {
          acc->unexpected += n;
          acc->notes.push_back(absl::StrFormat(
              "unexpected %d: %s %s %s", n, period, row.org_id, row.indicator));
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CompareAlerts(
    const LocalCounty& county,
    const std::map<std::pair<std::string, std::string>, AlertTruth>& truth,
    Accounting* acc) {
  CommandResult r = test_support::RunCommand(
      test_support::BinaryPath("county_hub"),
      {"alerts", "--hub=" + county.hub_addr(), "--format=json"},
      absl::Minutes(2));
  if (r.exit_code != 0) {
    return absl::UnavailableError(
        absl::StrCat("county_hub alerts failed: ", r.errors));
  }
  std::map<std::pair<std::string, std::string>, std::vector<nlohmann::json>>
      seen;
  for (absl::string_view line :
       absl::StrSplit(r.output, '\n', absl::SkipEmpty())) {
    nlohmann::json a = nlohmann::json::parse(line, nullptr, false);
    if (a.is_discarded() || !a.is_object()) {
      return absl::DataLossError(absl::StrCat("unparsable alert line: ", line));
    }
    seen[{a.value("village_id", ""), a.value("record_id", "")}].push_back(a);
  }
  acc->alerts_expected = static_cast<int64_t>(truth.size());
  for (const auto& [key, want] : truth) {
    auto it = seen.find(key);
    std::string name = absl::StrCat("alert ", key.first, "/", key.second);
    if (it == seen.end()) {
      ++acc->lost;
      acc->diffs.push_back(
          absl::StrCat(name, " (", want.disease, "): missing"));
      acc->notes.push_back(absl::StrCat("lost 1: ", name));
      continue;
    }
    const std::vector<nlohmann::json>& got = it->second;
    if (got.size() > 1) {
      acc->duplicated += static_cast<int64_t>(got.size()) - 1;
      acc->diffs.push_back(
          absl::StrCat(name, ": listed ", got.size(), " times"));
      acc->notes.push_back(
          absl::StrCat("duplicated ", got.size() - 1, ": ", name));
    }
    const nlohmann::json& a = got[0];
    std::string status = a.value("status", "");
    bool withdrawn = status == "withdrawn";
    bool ok = got.size() == 1 && a.value("disease", "") == want.disease &&
              withdrawn == want.withdrawn;
    if (withdrawn != want.withdrawn) {
      if (want.withdrawn) {
        ++acc->lost;  // the void's effect is missing
        acc->notes.push_back(absl::StrCat("lost 1 (void): ", name));
      } else {
        ++acc->unexpected;  // withdrawn without an acknowledged void
        acc->notes.push_back(absl::StrCat("unexpected 1 (void): ", name));
      }
    }
    if (ok) {
      ++acc->alerts_matched;
    } else if (got.size() == 1) {
      acc->diffs.push_back(
          absl::StrCat(name, ": disease=", a.value("disease", ""),
                       " status=", status, "; expected disease=", want.disease,
                       " status=", want.withdrawn ? "withdrawn" : "new"));
    }
  }
  for (const auto& [key, got] : seen) {
    if (truth.count(key)) continue;
    acc->unexpected += static_cast<int64_t>(got.size());
    std::string name = absl::StrCat("alert ", key.first, "/", key.second);
    acc->diffs.push_back(absl::StrCat(name, ": never acknowledged"));
    acc->notes.push_back(absl::StrCat("unexpected ", got.size(), ": ", name));
  }
  return absl::OkStatus();
}

// --selftest_corrupt_truth: the first village's first outpatient visit that
// is never voided leaves the truth (the county still counts it: duplicated),
// and a copy of it under a new id joins the last village's truth (the county
// never had it: lost).
void CorruptTruth(VillageRecords* truth) {
  std::vector<Record>& first = truth->begin()->second;
  std::set<std::string> voided;
  for (const Record& r : first) {
    if (r.is_void()) voided.insert(r.record_id());
  }
  for (auto it = first.begin(); it != first.end(); ++it) {
    if (it->kind() != "outpatient_visit" || it->is_void() ||
        voided.count(it->record_id())) {
      continue;
    }
    Record copy = *it;
    copy.set_record_id("SELFTEST-1");
    first.erase(it);
    truth->rbegin()->second.push_back(copy);
    Log("selftest: moved one outpatient visit in the truth");
    return;
  }
}

// ---------------------------------------------------------------------------

std::string MakeDataDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ =
      absl::StrCat(tmp && *tmp ? tmp : "/tmp", "/fault_harness.XXXXXX");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return "";
  return buf.data();
}

int Main() {
  run_start = absl::Now();
  uint64_t seed = 0;
  std::string seed_flag = absl::GetFlag(FLAGS_seed);
  if (seed_flag.empty()) {
    std::random_device rd;
    seed = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  } else if (!absl::SimpleAtoi(seed_flag, &seed)) {
    std::fprintf(stderr,
                 "fault_harness: --seed=%s is not an unsigned integer\n",
                 seed_flag.c_str());
    return 2;
  }
  const int duration = absl::GetFlag(FLAGS_duration);
  const int64_t n_records = absl::GetFlag(FLAGS_records);
  const int n_townships = absl::GetFlag(FLAGS_townships);
  const int per_township = absl::GetFlag(FLAGS_villages_per_township);
  const int converge_timeout = absl::GetFlag(FLAGS_converge_timeout);
  if (duration < 1 || n_records < 1 || n_townships < 1 || n_townships > 899 ||
      per_township < 1 || per_township > 799 || converge_timeout < 1) {
    std::fprintf(stderr,
                 "fault_harness: --duration, --records, --townships (<900), "
                 "--villages_per_township (<800) and --converge_timeout must "
                 "be positive\n");
    return 2;
  }
  if (n_records < int64_t{n_townships} * per_township) {
    std::fprintf(stderr,
                 "fault_harness: --records=%lld is fewer than one per village "
                 "(%d villages)\n",
                 static_cast<long long>(n_records), n_townships * per_township);
    return 2;
  }
  std::printf(
      "fault_harness: seed=%" PRIu64 " (rerun with --seed=%" PRIu64
      " and the same flags to replay the same workload and fault schedule; "
      "process timing is not deterministic)\n",
      seed, seed);
  std::fflush(stdout);

  const std::string dir = MakeDataDir();
  if (dir.empty()) {
    std::fprintf(stderr, "fault_harness: cannot create a data directory\n");
    return 1;
  }
  Log(absl::StrCat("data directory ", dir));

  std::vector<std::string> villages;
  std::vector<std::string> townships;
  for (int t = 0; t < n_townships; ++t) {
    std::string town = absl::StrFormat("%s%03d", kCounty, 100 + t);
    townships.push_back(town);
    for (int v = 0; v < per_township; ++v)
      villages.push_back(absl::StrFormat("%s%03d", town, 201 + v));
  }

  // Everything random is drawn here, up front, in a fixed order.
  Rng rng(seed);
  std::vector<VillagePlan> plans;
  if (absl::Status s = MakeWorkload(rng, dir + "/work", villages, n_records,
                                    duration, &plans);
      !s.ok()) {
    std::fprintf(stderr, "fault_harness: harness bug: %s\n",
                 std::string(s.message()).c_str());
    return 1;
  }
  const std::string disk_village = rng.Pick(villages);
  const std::string disk_township = rng.Pick(townships);
  std::vector<Fault> schedule = MakeSchedule(
      rng, duration, villages, townships,
      [&] {
        std::map<std::string, std::vector<std::pair<double, int>>> times;
        for (const VillagePlan& p : plans) {
          for (const Chunk& c : p.chunks)
            times[p.id].emplace_back(c.at, c.rows);
        }
        return times;
      }(),
      disk_village, disk_township);
  if (absl::GetFlag(FLAGS_print_schedule)) {
    for (const Fault& f : schedule)
      std::printf("t=%.2fs %s\n", f.at, f.Describe().c_str());
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return 0;
  }
  Log(absl::StrCat(
      "workload of ", n_records, " rows in ",
      [&] {
        size_t n = 0;
        for (const auto& p : plans) n += p.chunks.size();
        return n;
      }(),
      " imports; ", schedule.size(), " faults planned"));

  std::vector<std::string> failures;  // reasons for FAIL besides the accounts
  Accounting acc;
  int64_t acknowledged = 0;
  double converge_seconds = -1;
  int processes_killed = 0, pauses = 0, link_faults = 0, crashes = 0;
  int data_wipes = 0, disk_faults = 0, disk_faults_felt = 0;
  ImportCounters counters;
  // The full-disk faults' file systems: 512 MiB each, far more than the
  // data needs, so the disks are full only when a fault fills them.
  std::map<std::string, std::unique_ptr<SmallDisk>> small_disks;
  std::map<std::string, SmallDisk*> disks;
  std::string disks_skipped;
  if (absl::GetFlag(FLAGS_full_disk)) {
    for (const std::string& org : {disk_village, disk_township}) {
      absl::StatusOr<std::unique_ptr<SmallDisk>> disk =
          SmallDisk::Mount(absl::StrCat(dir, "/disk-", org), 512 << 20);
      if (!disk.ok()) {
        disks_skipped = std::string(disk.status().message());
        Log(absl::StrCat("full-disk faults off: ", disks_skipped));
        small_disks.clear();
        disks.clear();
        break;
      }
      Log(absl::StrCat("data directory of ", org, " on a 512 MiB tmpfs at ",
                       (*disk)->path()));
      disks[org] = disk->get();
      small_disks[org] = std::move(*disk);
    }
  }
  {
    auto county = std::make_unique<LocalCounty>(dir, villages);
    for (const auto& [org, disk] : disks)
      county->set_data_dir(org, disk->path() + "/data");
    // The village has no free-space margin, so that RocksDB itself runs out
    // of space; the township keeps the default 16 MB margin, so its refusals
    // come from our own check first.
    if (disks.count(disk_village))
      county->set_extra_flags(disk_village, {"--min_free_disk_mb=0"});
    if (absl::Status s = county->Init(); !s.ok()) {
      std::fprintf(stderr, "fault_harness: %s\n",
                   std::string(s.message()).c_str());
      return 1;
    }
    if (absl::Status s = county->StartAll(); !s.ok()) {
      std::fprintf(stderr, "fault_harness: cannot start the county: %s\n",
                   std::string(s.message()).c_str());
      return 1;
    }
    Log(absl::StrCat("county up: 1 hub, ", townships.size(), " townships, ",
                     villages.size(), " villages"));

    std::ofstream fault_log(dir + "/faults.log");
    std::vector<std::unique_ptr<ImportProbe>> probes;
    std::map<std::string, ImportProbe*> probe_of;
    for (const VillagePlan& plan : plans) {
      probes.push_back(std::make_unique<ImportProbe>());
      probe_of[plan.id] = probes.back().get();
    }
    FaultRunner runner(county.get(), &fault_log, probe_of, disks, &counters);
    std::atomic<bool> stop{false};
    std::atomic<bool> faults_over{false};
    const absl::Time phase_start = absl::Now();
    std::vector<std::thread> importers;
    for (VillagePlan& plan : plans) {
      importers.emplace_back(ImportVillage, std::cref(*county), &plan,
                             probe_of.at(plan.id), phase_start, &stop,
                             &faults_over, &counters);
    }

    // Phase 2: faults.
    runner.Run(schedule, phase_start, duration);
    // Phase 3: heal, finish the imports, drain.
    runner.Heal(phase_start);
    faults_over = true;
    const absl::Time heal_time = absl::Now();
    const absl::Time deadline = heal_time + absl::Seconds(converge_timeout);
    // Wait for the importers, watching the processes meanwhile; past the
    // deadline, tell them to stop.
    std::atomic<int> finished{0};
    std::vector<std::thread> joiners;
    for (std::thread& t : importers) {
      joiners.emplace_back([&t, &finished] {
        t.join();
        ++finished;
      });
    }
    while (finished.load() < static_cast<int>(importers.size())) {
      runner.WatchProcesses();
      if (absl::Now() > deadline && !stop.load()) {
        stop = true;
        failures.push_back("imports did not finish within --converge_timeout");
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    for (std::thread& t : joiners) t.join();
    Log(absl::StrFormat("imports finished %.1fs after healing",
                        SecondsSince(heal_time)));
    absl::Duration left = std::max(deadline - absl::Now(), absl::Seconds(1));
    absl::Status synced = county->WaitAgentsSynced(left);
    if (synced.ok()) {
      left = std::max(deadline - absl::Now(), absl::Seconds(1));
      synced = county->WaitTownshipsSynced(left);
    }
    converge_seconds = SecondsSince(heal_time);
    runner.WatchProcesses();
    if (!synced.ok()) {
      failures.push_back(absl::StrCat("did not converge: ", synced.message()));
    }
    Log(absl::StrFormat("converged %.1fs after healing", converge_seconds));

    // Phase 4: the truth, from the acknowledged chunks in import order.
    VillageRecords truth;
    std::map<std::pair<std::string, std::string>, AlertTruth> alerts;
    for (VillagePlan& plan : plans) {
      std::vector<Record>& accepted = truth[plan.id];
      for (const Chunk& chunk : plan.chunks) {
        if (chunk.type != Chunk::kNew) continue;
        if (!chunk.done) {
          failures.push_back(absl::StrCat("village ", plan.id, " chunk ",
                                          chunk.number,
                                          " was never acknowledged"));
          continue;
        }
        for (const Record& r : plan.chunk_records[chunk.number]) {
          accepted.push_back(r);
          ++acknowledged;
          if (r.kind() != "infectious_disease_report") continue;
          if (r.is_void()) {
            alerts[{plan.id, r.record_id()}].withdrawn = true;
          } else {
            alerts[{plan.id, r.record_id()}].disease = r.disease();
          }
        }
      }
      acc.lost += static_cast<int64_t>(plan.agent_lost);
      acc.duplicated += static_cast<int64_t>(plan.agent_duplicated);
      acc.unexpected += static_cast<int64_t>(plan.poison_accepted);
      for (const std::string& p : plan.problems) {
        failures.push_back(p);
      }
    }
    if (absl::GetFlag(FLAGS_selftest_corrupt_truth)) CorruptTruth(&truth);
    if (synced.ok()) {
      if (absl::Status s = CompareReports(*county, truth, &acc); !s.ok()) {
        failures.push_back(absl::StrCat("reports: ", s.message()));
      }
      if (absl::Status s = CompareAlerts(*county, alerts, &acc); !s.ok()) {
        failures.push_back(absl::StrCat("alerts: ", s.message()));
      }
    }
    processes_killed = runner.processes_killed;
    pauses = runner.pauses;
    link_faults = runner.link_faults;
    data_wipes = runner.data_wipes;
    disk_faults = runner.disk_faults;
    disk_faults_felt = runner.disk_faults_felt;
    crashes = runner.crashes;
    for (const std::string& p : runner.problems) failures.push_back(p);
    county.reset();  // stops every process before the directory goes
  }

  const bool pass = failures.empty() && acc.lost == 0 && acc.duplicated == 0 &&
                    acc.unexpected == 0 && acc.cells > 0 &&
                    acc.cells_matched == acc.cells &&
                    acc.alerts_matched == acc.alerts_expected && crashes == 0;
  for (const auto& [org, disk] : small_disks) {
    if (!pass || absl::GetFlag(FLAGS_keep_dir))
      disk->CopyTo(disk->path() + ".kept");
  }
  small_disks.clear();  // unmounted before the directory goes
  if (!disks_skipped.empty()) {
    std::printf("full-disk faults were skipped: %s\n", disks_skipped.c_str());
  }
  if (!pass) {
    for (size_t i = 0; i < failures.size() && i < 20; ++i)
      std::printf("FAIL: %s\n", failures[i].c_str());
    if (!acc.diffs.empty()) {
      std::printf("differing cells (%zu, first 20):\n", acc.diffs.size());
      for (size_t i = 0; i < acc.diffs.size() && i < 20; ++i)
        std::printf("  %s\n", acc.diffs[i].c_str());
    }
    for (size_t i = 0; i < acc.notes.size() && i < 20; ++i)
      std::printf("  accounting: %s\n", acc.notes[i].c_str());
    std::ofstream all(dir + "/differences.txt");
    for (const std::string& f : failures) all << "FAIL: " << f << "\n";
    for (const std::string& d : acc.diffs) all << d << "\n";
    for (const std::string& n : acc.notes) all << "accounting: " << n << "\n";
    std::printf(
        "data kept in %s (process logs, faults.log, differences.txt, work/)\n",
        dir.c_str());
  } else if (absl::GetFlag(FLAGS_keep_dir)) {
    std::printf("data kept in %s\n", dir.c_str());
  } else {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::printf(
      "fault_harness seed=%" PRIu64
      " duration=%ds processes_killed=%d pauses=%d link_faults=%d "
      "data_wipes=%d disk_faults=%d disk_faults_felt=%d "
      "records_acknowledged=%lld lost=%lld duplicated=%lld unexpected=%lld "
      "cells_matched=%lld/%lld alerts_matched=%lld/%lld import_retries=%lld "
      "imports_interrupted=%lld imports_refused_disk_full=%lld "
      "rows_restored=%lld "
      "crashes=%d converge_seconds=%.1f result=%s\n",
      seed, duration, processes_killed, pauses, link_faults, data_wipes,
      disk_faults, disk_faults_felt, static_cast<long long>(acknowledged),
      static_cast<long long>(acc.lost), static_cast<long long>(acc.duplicated),
      static_cast<long long>(acc.unexpected),
      static_cast<long long>(acc.cells_matched),
      static_cast<long long>(acc.cells),
      static_cast<long long>(acc.alerts_matched),
      static_cast<long long>(acc.alerts_expected),
      static_cast<long long>(counters.retries.load()),
      static_cast<long long>(counters.interrupted.load()),
      static_cast<long long>(counters.disk_full.load()),
      static_cast<long long>(counters.restored_rows.load()), crashes,
      converge_seconds, pass ? "PASS" : "FAIL");
  std::fflush(stdout);
  return pass ? 0 : 1;
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

#include "tests/fault/faults.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "tests/fault/harness_log.h"
#include "tests/support/process.h"
#include "tests/support/tcp_proxy.h"

namespace sanji::fault {

using test_support::ChildProcess;
using test_support::LocalCounty;
using test_support::SmallDisk;
using test_support::TcpProxy;
using test_support::WaitFor;

bool Fault::IsKill() const {
  return kind == FaultKind::kKillAgent || kind == FaultKind::kKillTownship ||
         kind == FaultKind::kKillHub || kind == FaultKind::kWipeAgent;
}

bool Fault::IsLink() const {
  return !IsKill() && kind != FaultKind::kPause && kind != FaultKind::kDiskFull;
}

std::string Fault::ProcessKey() const {
  return target_type == "hub" ? std::string("hub")
                              : absl::StrCat(target_type, " ", target);
}

std::string Fault::LinkName() const {
  return absl::StrCat(target_type, " link ", target);
}

std::string Fault::Describe() const {
  const std::string who = ProcessKey();
  const std::string link = LinkName();
  switch (kind) {
    case FaultKind::kKillAgent:
    case FaultKind::kKillTownship:
    case FaultKind::kKillHub:
      return absl::StrFormat(
          "SIGKILL %s%s, restart after %.1fs", who,
          aimed
              ? absl::StrFormat(" at %d%% of its next import's Submits", param)
              : "",
          duration);
    case FaultKind::kPause:
      return absl::StrFormat("SIGSTOP %s, SIGCONT after %.1fs", who, duration);
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
      return absl::StrFormat("truncate connections of %s after %d bytes", link,
                             param);
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

namespace {

// Three in four agent kills: aimed at the largest import planned in the next
// 4 s, if there is one.
void MaybeAimAtImport(SeededRng& rng, double t, const FaultTargets& targets,
                      Fault* f) {
  if (!rng.Chance(0.75)) return;
  std::optional<std::pair<double, int>> aim;
  for (const auto& [at, rows] : targets.import_times.at(f->target)) {
    if (at >= t && at < t + 4 && (!aim || rows > aim->second)) {
      aim.emplace(at, rows);
    }
  }
  if (!aim.has_value()) return;
  f->at = std::max(t, aim->first - 0.2);
  f->aimed = true;
  f->param = rng.Int(-30, 130);
}

void DrawDiskFull(SeededRng& rng, const FaultTargets& targets, Fault* f) {
  f->target_type = rng.Chance(0.5) ? "agent" : "township";
  const bool agent = f->target_type == "agent";
  f->target = agent ? targets.disk_village : targets.disk_township;
  // The village runs with no free-space margin, so the fill leaves it next
  // to nothing (and it is restarted on it: FaultRunner::BeginDiskFull); the
  // township's 16 MB margin refuses below that.
  f->duration = agent ? rng.Uniform(5, 20) : rng.Uniform(2, 20);
  f->param = agent ? rng.Int(128 << 10, 320 << 10) : rng.Int(0, 20 << 20);
}

// The fault's target (and, for process faults, its duration).
void DrawTarget(SeededRng& rng, double t, const FaultTargets& targets,
                Fault* f) {
  switch (f->kind) {
    case FaultKind::kKillAgent:
      f->target_type = "agent";
      f->target = rng.Pick(targets.villages);
      f->duration = rng.Uniform(0, 5);
      MaybeAimAtImport(rng, t, targets, f);
      break;
    case FaultKind::kKillTownship:
      f->target_type = "township";
      f->target = rng.Pick(targets.townships);
      f->duration = rng.Uniform(0, 5);
      break;
    case FaultKind::kKillHub:
      f->target_type = "hub";
      f->duration = rng.Uniform(0, 5);
      break;
    case FaultKind::kWipeAgent:
      f->target_type = "agent";
      f->target = rng.Pick(targets.villages);
      f->duration = rng.Uniform(0, 3);
      break;
    case FaultKind::kDiskFull:
      DrawDiskFull(rng, targets, f);
      break;
    case FaultKind::kPause: {
      size_t k = rng.Weighted({6, 3, 1});
      f->target_type = k == 0 ? "agent" : k == 1 ? "township" : "hub";
      f->target = k == 0   ? rng.Pick(targets.villages)
                  : k == 1 ? rng.Pick(targets.townships)
                           : "";
      f->duration = rng.Uniform(0.5, 8);
      break;
    }
    default:
      f->target_type = rng.Chance(0.3) ? "township" : "village";
      f->target = f->target_type == "township" ? rng.Pick(targets.townships)
                                               : rng.Pick(targets.villages);
      break;
  }
}

// A link fault's duration and parameter.
void DrawLinkParams(SeededRng& rng, Fault* f) {
  switch (f->kind) {
    case FaultKind::kCut:
      f->duration = rng.Uniform(1, 10);
      break;
    case FaultKind::kDelay:
      f->duration = rng.Uniform(2, 15);
      f->param = rng.Int(10, 500);
      break;
    case FaultKind::kBandwidth:
      f->duration = rng.Uniform(2, 15);
      f->param = rng.Int(2 << 10, 200 << 10);
      break;
    case FaultKind::kStall:
      f->duration = rng.Uniform(1, 10);
      break;
    case FaultKind::kTruncate:
      f->param = rng.Int(0, 4096);
      break;
    default:
      break;
  }
}

}  // namespace

std::vector<Fault> MakeSchedule(SeededRng& rng, int duration,
                                const FaultTargets& targets) {
  static const auto* kWeights = new std::vector<double>{
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
  std::vector<Fault> out;
  // "agent 6405..", "hub", "link village 6405..." -> [start, end] of faults.
  std::map<std::string, std::vector<std::pair<double, double>>> busy;
  for (double t = rng.Uniform(0.5, 3); t < duration;
       t += rng.Uniform(0.2, 3.8)) {
    Fault f;
    f.kind = static_cast<FaultKind>(rng.Weighted(*kWeights));
    f.at = t;
    DrawTarget(rng, t, targets, &f);
    DrawLinkParams(rng, &f);
    const std::string key =
        f.IsLink() ? absl::StrCat("link ", f.target_type, " ", f.target)
                   : f.ProcessKey();
    bool free = f.at < duration;
    for (const auto& [start, end] : busy[key]) {
      if (f.at <= end + 0.05 && start <= f.at + f.duration + 0.05) free = false;
    }
    // Else the target is under another fault then: skip this one.
    if (!free) continue;
    busy[key].emplace_back(f.at, f.at + f.duration);
    out.push_back(f);
  }
  return out;
}

FaultRunner::FaultRunner(LocalCounty* county, std::ofstream* log,
                         std::map<std::string, ImportProbe*> probes,
                         std::map<std::string, SmallDisk*> disks,
                         const ImportCounters* imports)
    : county_(county),
      log_(log),
      probes_(std::move(probes)),
      disks_(std::move(disks)),
      imports_(imports) {}

void FaultRunner::Run(const std::vector<Fault>& schedule,
                      absl::Time phase_start, double duration) {
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
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.at < b.at; });
  auto wait_until = [this](absl::Time when) {
    while (absl::Now() < when) {
      WatchProcesses();
      absl::SleepFor(std::min(when - absl::Now(), absl::Milliseconds(100)));
    }
  };
  for (const Event& e : events) {
    if (e.at >= duration) {
      if (e.end) pending_ends_.push_back(&schedule[e.fault]);
      continue;
    }
    wait_until(phase_start + absl::Seconds(e.at));
    WatchProcesses();
    const Fault& f = schedule[e.fault];
    if (e.end) {
      End(f, phase_start);
    } else {
      Begin(f, phase_start);
    }
  }
  wait_until(phase_start + absl::Seconds(duration));
}

void FaultRunner::Heal(absl::Time phase_start) {
  auto clear = [](TcpProxy& link) {
    link.Heal();
    link.Resume();
    link.SetDelay(absl::ZeroDuration());
    link.SetBandwidth(0);
  };
  for (const Fault* f : pending_ends_) End(*f, phase_start);
  pending_ends_.clear();
  for (const auto& [org, disk] : disks_) disk->Free();
  for (const std::string& v : county_->villages())
    clear(county_->village_link(v));
  for (const std::string& t : county_->townships())
    clear(county_->township_link(t));
  WatchProcesses();
  Note(phase_start,
       "healed: every link up and unlimited, every process running");
}

void FaultRunner::WatchProcesses() {
  auto check = [&](const std::string& key, ChildProcess& child,
                   const std::function<absl::Status()>& start) {
    if (down_.count(key) || child.Running()) return;
    ++counts_.crashes;
    std::string msg = absl::StrCat(key, " exited on its own (status ",
                                   child.exit_status().value_or(0), "); see ",
                                   child.log_path(), "; restarting it");
    problems_.push_back(msg);
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

void FaultRunner::Note(absl::Time phase_start, const std::string& what) {
  std::string line =
      absl::StrFormat("t=%.2fs %s", SecondsSince(phase_start), what);
  Log("fault: " + line);
  *log_ << line << "\n";
  log_->flush();
}

ChildProcess& FaultRunner::Process(const Fault& f) {
  if (f.target_type == "hub") return county_->hub();
  if (f.target_type == "township") return county_->township(f.target);
  return county_->agent(f.target);
}

TcpProxy& FaultRunner::Link(const Fault& f) {
  return f.target_type == "township" ? county_->township_link(f.target)
                                     : county_->village_link(f.target);
}

void FaultRunner::Restart(const std::string& key,
                          const std::function<absl::Status()>& start) {
  for (int attempt = 1; attempt <= 3; ++attempt) {
    absl::Status s = start();
    if (s.ok()) return;
    std::string msg = absl::StrCat("restart of ", key, " failed (attempt ",
                                   attempt, "): ", s.message());
    Log(msg);
    if (attempt == 3) problems_.push_back(msg);
    absl::SleepFor(absl::Seconds(1));
  }
}

// Waits up to 3 s for the village's next import to start; says so if none
// did.
bool FaultRunner::WaitForNextImport(const std::string& village,
                                    absl::Time phase_start) {
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

void FaultRunner::Begin(const Fault& f, absl::Time phase_start) {
  if (f.aimed && WaitForNextImport(f.target, phase_start)) {
    absl::Time kill_at = probes_.at(f.target)->KillTime(f.param / 100.0);
    absl::SleepFor(std::max(kill_at - absl::Now(), absl::ZeroDuration()));
  }
  if (f.kind == FaultKind::kDiskFull) {
    BeginDiskFull(f, phase_start);
    return;
  }
  Note(phase_start, f.Describe());
  if (f.IsKill()) {
    BeginKill(f);
  } else if (f.kind == FaultKind::kPause) {
    ++counts_.pauses;
    down_.insert(f.ProcessKey());  // stopped, not exited; Running() stays true
    Process(f).Signal(SIGSTOP);
  } else {
    BeginLinkFault(f);
  }
}

void FaultRunner::BeginDiskFull(const Fault& f, absl::Time phase_start) {
  if (!disks_.count(f.target)) return;  // no tmpfs: said at the start
  // A village's disk fills while it imports, so that the import meets it.
  if (f.target_type == "agent") WaitForNextImport(f.target, phase_start);
  Note(phase_start, f.Describe());
  ++counts_.disk_faults;
  disk_refusals_before_ = imports_->disk_full.load();
  if (absl::Status s = disks_.at(f.target)->Fill(f.param); !s.ok()) {
    Log(std::string(s.message()));
  }
  if (f.target_type == "agent" && !down_.count(f.ProcessKey())) {
    RestartOnFullDisk(f, phase_start);
  }
}

// The clinic PC restarts on the full disk: the agent opens with no room for
// its write-ahead log (the room RocksDB reserves for one lasts a village ~85k
// rows), so the next import is refused: the path that aborted agents on
// RocksDB 7.8 (issue 14).
void FaultRunner::RestartOnFullDisk(const Fault& f, absl::Time phase_start) {
  Note(phase_start, absl::StrCat("SIGKILL and restart ", f.ProcessKey(),
                                 " on the full disk"));
  ++counts_.processes_killed;
  Process(f).Kill();
  if (absl::Status s = county_->StartAgent(f.target); !s.ok()) {
    // Opening RocksDB writes a new MANIFEST: with next to nothing free the
    // agent cannot start, and says so. That is not what this fault tests:
    // free the disk and start it.
    Note(phase_start, absl::StrCat("the agent cannot start on the full disk (",
                                   s.message(), "); freeing it"));
    disks_.at(f.target)->Free();
    Restart(f.ProcessKey(), [&] { return county_->StartAgent(f.target); });
    return;
  }
  // Opening needed the room; an import of a chunk (tens of KiB) must not
  // find it.
  if (absl::Status s = disks_.at(f.target)->Fill(f.param / 8); !s.ok()) {
    Log(std::string(s.message()));
  }
}

void FaultRunner::BeginKill(const Fault& f) {
  ++counts_.processes_killed;
  down_.insert(f.ProcessKey());
  Process(f).Kill();
  if (f.kind != FaultKind::kWipeAgent) return;
  ++counts_.data_wipes;
  std::error_code ec;
  std::filesystem::remove_all(county_->data_dir(f.target), ec);
  if (ec) {
    problems_.push_back(
        absl::StrCat("wiping ", f.target, "'s data directory: ", ec.message()));
  }
  ++probes_.at(f.target)->wipes;  // before the new agent starts
}

void FaultRunner::BeginLinkFault(const Fault& f) {
  ++counts_.link_faults;
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

void FaultRunner::End(const Fault& f, absl::Time phase_start) {
  if (f.kind == FaultKind::kDiskFull) {
    EndDiskFull(f, phase_start);
  } else if (f.IsKill()) {
    EndKill(f, phase_start);
  } else if (f.kind == FaultKind::kPause) {
    Note(phase_start, absl::StrCat("SIGCONT ", f.ProcessKey()));
    Process(f).Signal(SIGCONT);
    down_.erase(f.ProcessKey());
  } else {
    EndLinkFault(f, phase_start);
  }
}

void FaultRunner::EndDiskFull(const Fault& f, absl::Time phase_start) {
  if (!disks_.count(f.target)) return;
  const bool township = f.target_type == "township";
  int refused = 0;
  if (township) {
    for (const std::string& v : county_->villages()) {
      if (v.substr(0, 9) == f.target && SaysDiskFull(county_->AgentStatus(v))) {
        ++refused;
      }
    }
  } else {
    refused =
        static_cast<int>(imports_->disk_full.load() - disk_refusals_before_);
  }
  if (refused > 0) ++counts_.disk_faults_felt;
  Note(phase_start,
       absl::StrCat("free the disk of ", f.ProcessKey(), " (",
                    township ? "villages told the disk is full: "
                             : "imports refused for the full disk: ",
                    refused, ")"));
  disks_.at(f.target)->Free();
}

void FaultRunner::EndKill(const Fault& f, absl::Time phase_start) {
  const std::string key = f.ProcessKey();
  Note(phase_start, absl::StrCat("restart ", key));
  if (f.kind == FaultKind::kKillHub) {
    Restart(key, [&] { return county_->StartHub(); });
  } else if (f.kind == FaultKind::kKillTownship) {
    Restart(key, [&] { return county_->StartTownship(f.target); });
  } else {
    Restart(key, [&] { return county_->StartAgent(f.target); });
  }
  down_.erase(key);
}

void FaultRunner::EndLinkFault(const Fault& f, absl::Time phase_start) {
  TcpProxy& link = Link(f);
  const std::string link_name = f.LinkName();
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

}  // namespace sanji::fault

#include "tests/fault/importer.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/fault/harness_log.h"
#include "tests/support/process.h"

namespace sanji::fault {

using test_support::CommandResult;
using test_support::LocalCounty;

absl::Time ImportProbe::KillTime(double fraction) const {
  int64_t start = min_ns.load();
  if (start == 0) start = 100'000'000;  // nothing observed yet: 100 ms
  int64_t per_row = per_row_ns.load();
  if (per_row == 0) per_row = 50'000;  // 50 us
  return absl::FromUnixNanos(last_start_ns.load()) + absl::Nanoseconds(start) +
         absl::Nanoseconds(static_cast<int64_t>(fraction * per_row *
                                                static_cast<double>(rows)));
}

void ImportProbe::Observe(int64_t rows_done, int64_t took_ns) {
  if (min_ns.load() == 0 || took_ns < min_ns.load()) min_ns = took_ns;
  if (rows_done >= 200 && took_ns > min_ns.load())
    per_row_ns = (took_ns - min_ns.load()) / rows_done;
}

bool SaysDiskFull(const std::string& text) {
  return absl::StrContains(text, "disk is full") ||
         absl::StrContains(text, "disk nearly full");
}

namespace {

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

// One village's importer (see RunVillageImporter).
class VillageImporter {
 public:
  VillageImporter(const LocalCounty& county, VillagePlan* plan,
                  ImportProbe* probe, const ImporterSignals& signals,
                  ImportCounters* counters)
      : county_(county),
        plan_(plan),
        probe_(probe),
        signals_(signals),
        counters_(counters) {}

  void Run() {
    for (Chunk& chunk : plan_->chunks) {
      absl::Time when = signals_.phase_start + absl::Seconds(chunk.at);
      while (absl::Now() < when && !Stopped()) {
        absl::SleepFor(std::min(when - absl::Now(), absl::Milliseconds(200)));
      }
      ImportUntilDone(chunk);
      if (Stopped() && !chunk.done) return;
    }
    // Every chunk is in; a wipe may still come until the faults are over.
    while (!signals_.faults_over->load() && !Stopped()) {
      RestoreIfWiped();
      absl::SleepFor(absl::Milliseconds(100));
    }
    RestoreIfWiped();
  }

 private:
  bool Stopped() const { return signals_.stop->load(); }

  // One `village_agent import` of `chunk`, observed by the probe.
  ImportAttempt ImportOnce(const Chunk& chunk) {
    const absl::Time import_start = absl::Now();
    probe_->last_start_ns = absl::ToUnixNanos(import_start);
    probe_->rows = chunk.rows;
    ++probe_->started;
    ImportAttempt a;
    a.result = county_.Import(plan_->id, {chunk.path});
    if (a.result.exit_code == 0) {
      probe_->Observe(chunk.rows,
                      absl::ToInt64Nanoseconds(absl::Now() - import_start));
    }
    if (signals_.verbose) {
      Log(absl::StrFormat(
          "village %s chunk %d (%d rows, planned t=%.2fs): import took %.0f "
          "ms, exit %d: %s",
          plan_->id, chunk.number, chunk.rows, chunk.at,
          absl::ToDoubleMilliseconds(absl::Now() - import_start),
          a.result.exit_code, OneLine(a.result.output)));
    }
    a.summary = ParseSummary(a.result.output);
    return a;
  }

  // Counts and logs a failed attempt, then waits a little before the retry.
  void NoteFailedAttempt(const std::string& what, int attempt,
                         const CommandResult& r) {
    ++counters_->retries;
    // The CLI had reached the agent and lost it mid-import.
    if (absl::StrContains(r.errors, "rows before that line are stored")) {
      ++counters_->interrupted;
    }
    if (SaysDiskFull(r.errors)) ++counters_->disk_full;
    Log(absl::StrCat(
        what, ": import attempt ", attempt, " failed (exit ", r.exit_code,
        "): ", OneLine(r.errors.empty() ? r.output : r.errors), "; retrying"));
    absl::SleepFor(absl::Milliseconds(300));
  }

  // Re-imports an acknowledged chunk into the wiped agent until it is in.
  void RestoreChunk(const Chunk& c) {
    const std::string what = absl::StrFormat(
        "village %s chunk %d (restore after a wipe)", plan_->id, c.number);
    for (int attempt = 1; !Stopped(); ++attempt) {
      ImportAttempt a = ImportOnce(c);
      if (a.Complete(c.rows)) return;
      if (a.summary.has_value() && a.summary->rejected > 0) {
        plan_->problems.push_back(absl::StrCat(
            what, ": valid rows rejected: ", OneLine(a.result.output)));
        return;
      }
      NoteFailedAttempt(what, attempt, a.result);
    }
  }

  // After a wipe, re-imports every chunk acknowledged so far, in order;
  // returns true if it did (the agent forgot everything before).
  bool RestoreIfWiped() {
    bool restored = false;
    while (probe_->wipes.load() != seen_wipes_ && !Stopped()) {
      seen_wipes_ = probe_->wipes.load();
      restored = true;
      int chunks = 0;
      int64_t rows = 0;
      for (const Chunk& c : plan_->chunks) {
        if (c.type != Chunk::kNew || !c.done) continue;
        if (probe_->wipes.load() != seen_wipes_) break;  // wiped again
        RestoreChunk(c);
        ++chunks;
        rows += c.rows;
      }
      counters_->restored_rows += rows;
      Log(absl::StrFormat(
          "village %s: restored %d acknowledged chunks (%d rows) into the "
          "wiped agent",
          plan_->id, chunks, rows));
    }
    return restored;
  }

  // Imports `chunk` until the agent acknowledges it (or the importer stops).
  void ImportUntilDone(Chunk& chunk) {
    const std::string what =
        absl::StrFormat("village %s chunk %d%s", plan_->id, chunk.number,
                        chunk.type == Chunk::kReplay   ? " (re-import)"
                        : chunk.type == Chunk::kPoison ? " (refused rows)"
                                                       : "");
    while (!chunk.done && !Stopped()) {
      // A wiped agent knows none of this chunk's earlier attempts.
      if (RestoreIfWiped()) chunk.accepted_total = 0;
      ++chunk.attempts;
      ImportAttempt a = ImportOnce(chunk);
      if (probe_->wipes.load() != seen_wipes_) {
        // Wiped during the attempt: part of it may have gone to the old
        // agent, part to the new. Restore, then do it again.
        Log(absl::StrCat(what,
                         ": the agent was wiped during the import; "
                         "retrying after the restore"));
        continue;
      }
      if (a.summary.has_value()) chunk.accepted_total += a.summary->accepted;
      switch (chunk.type) {
        case Chunk::kNew:
          JudgeNew(what, a, chunk);
          break;
        case Chunk::kReplay:
          JudgeReplay(what, a, chunk);
          break;
        case Chunk::kPoison:
          JudgePoison(what, a, chunk);
          break;
      }
      if (!chunk.done) NoteFailedAttempt(what, chunk.attempts, a.result);
    }
  }

  void JudgeNew(const std::string& what, const ImportAttempt& a, Chunk& chunk) {
    if (a.Complete(chunk.rows)) {
      chunk.done = true;
    } else if (a.summary.has_value() && a.summary->rejected > 0) {
      // Generated rows are all valid (the workload parsed them).
      plan_->problems.push_back(absl::StrCat(
          what, ": valid rows rejected: ", OneLine(a.result.output),
          OneLine(a.result.errors)));
      chunk.done = true;  // retrying cannot help; the run fails
    }
    if (chunk.accepted_total > static_cast<uint64_t>(chunk.rows)) {
      plan_->agent_duplicated += chunk.accepted_total - chunk.rows;
      plan_->problems.push_back(
          absl::StrCat(what, ": attempts accepted ", chunk.accepted_total,
                       " rows of ", chunk.rows, " (some accepted twice)"));
      chunk.accepted_total = chunk.rows;
    }
  }

  void JudgeReplay(const std::string& what, const ImportAttempt& a,
                   Chunk& chunk) {
    const std::optional<ImportSummary>& s = a.summary;
    if (s.has_value() && s->accepted > 0) {
      plan_->agent_lost += s->accepted;
      plan_->problems.push_back(
          absl::StrCat(what, ": re-import of acknowledged rows accepted ",
                       s->accepted, " again (the agent had forgotten them)"));
    }
    if (a.result.exit_code == 0 && s.has_value() &&
        s->accepted + s->duplicate == static_cast<uint64_t>(chunk.rows)) {
      chunk.done = true;
    }
  }

  void JudgePoison(const std::string& what, const ImportAttempt& a,
                   Chunk& chunk) {
    const std::optional<ImportSummary>& s = a.summary;
    if (s.has_value() && s->accepted > 0) {
      plan_->poison_accepted += s->accepted;
      plan_->problems.push_back(
          absl::StrCat(what, ": invalid rows accepted: ", s->accepted));
    }
    if (a.result.exit_code == 1 && s.has_value() &&
        s->accepted + s->rejected == static_cast<uint64_t>(chunk.rows)) {
      chunk.done = true;
    }
  }

  const LocalCounty& county_;
  VillagePlan* const plan_;
  ImportProbe* const probe_;
  const ImporterSignals signals_;
  ImportCounters* const counters_;
  int seen_wipes_ = 0;  // probe_->wipes as of the last restore
};

}  // namespace

void RunVillageImporter(const LocalCounty& county, VillagePlan* plan,
                        ImportProbe* probe, const ImporterSignals& signals,
                        ImportCounters* counters) {
  VillageImporter(county, plan, probe, signals, counters).Run();
}

}  // namespace sanji::fault

// The fault harness's workload: for every village, the record files it imports
// during the fault phase (chunks), when each is planned, and the records each
// holds, parsed as the agent parses them (the truth the oracle is fed).
//
// Each village gets chunks of `new` records of every kind of spec/records.md
// (notifiable-disease reports among them), with voids of records of earlier
// chunks; now and then an identical re-import of an earlier chunk; and one
// file of rows that every agent must refuse. Everything is drawn from the
// caller's SeededRng, in a fixed order, so a seed replays the same files.
//
// Ownership and thread-safety: MakeWorkload fills plain structs that the
// caller owns. Afterwards each VillagePlan is written by its village's
// importer thread only (importer.h) and read by the main thread after that
// thread has been joined.
#ifndef SANJI_TESTS_FAULT_WORKLOAD_H_
#define SANJI_TESTS_FAULT_WORKLOAD_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "proto/records.pb.h"
#include "tools/seeded_rng.h"

namespace sanji::fault {

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

// Generates every village's chunks (files written under `dir`) with their
// planned import times in [0, 0.85 * duration]; `records` rows in all. An
// error is a harness bug (a generated row that does not parse, or a row
// meant to be refused that parses).
absl::Status MakeWorkload(SeededRng& rng, const std::string& dir,
                          const std::vector<std::string>& villages,
                          int64_t records, int duration,
                          std::vector<VillagePlan>* plans);

// village -> (planned seconds, rows) of each of its imports.
std::map<std::string, std::vector<std::pair<double, int>>> ImportTimes(
    const std::vector<VillagePlan>& plans);

}  // namespace sanji::fault

#endif  // SANJI_TESTS_FAULT_WORKLOAD_H_

// ImportClient: `village_agent import` (spec/interfaces.md): sends record
// files to a running agent's intake and prints what it judged.
//
// A file is read a chunk at a time (village_agent/record_file.h), so the
// client's memory does not grow with the file, and chunks are pipelined: while
// the agent validates and syncs one chunk, the client reads the next and the
// agent already parses it (kWindow Submits in flight). Rows go as a RowTable
// (proto/records.proto), which the agent parses without a map per row; an
// agent from before tables answers one with no outcomes, having stored
// nothing, and gets the rows again as RawRows. Outcomes are printed in
// file order (one line per rejected row, malformed rows included, by line),
// then the summary line; a chunk the agent refuses as a whole ends the import
// after the calls in flight have answered, so every count printed is what the
// agent stored.
//
// Thread-safety: Run is called from one thread; gRPC's threads only complete
// calls. Does not own the stub.
#ifndef SANJI_VILLAGE_AGENT_IMPORT_CLIENT_H_
#define SANJI_VILLAGE_AGENT_IMPORT_CLIENT_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "proto/village_sync.grpc.pb.h"
#include "village_agent/record_file.h"

namespace sanji {

class ImportClient {
 public:
  // Rows per Submit, and Submits in flight: with two, the agent parses one
  // chunk while it syncs the one before.
  static constexpr size_t kChunkRows = 1000;
  static constexpr size_t kWindow = 2;

  ImportClient(VillageIntake::Stub* stub, FileEncoding encoding);
  // Waits for any call still in flight.
  ~ImportClient();
  ImportClient(const ImportClient&) = delete;
  ImportClient& operator=(const ImportClient&) = delete;

  // Imports `files` in order; prints per-row lines and the summary on stdout.
  // OK when every row was judged (rows may be rejected: see rejected()), else
  // the reason to print (the summary line is printed either way).
  absl::Status Run(const std::vector<std::string>& files);

  uint64_t accepted() const { return accepted_; }
  uint64_t duplicate() const { return duplicate_; }
  uint64_t rejected() const { return rejected_; }

 private:
  struct Call;

  absl::Status ImportFile(const std::string& file);
  // Sends `call` (when it has rows) and queues it; finishes the oldest first
  // when the window is full.
  absl::Status Send(std::unique_ptr<Call> call);
  // Waits for the oldest call and prints and counts its outcomes.
  absl::Status FinishOldest();
  // Starts `call`'s Submit.
  void Start(Call* call);
  // Sends `call`'s table again as RawRows and waits for the answer.
  void Resend(Call* call);
  // After a failure: waits for every call in flight, counting what they did.
  void Drain();
  void PrintSummary() const;

  VillageIntake::Stub* const stub_;
  const FileEncoding encoding_;
  std::deque<std::unique_ptr<Call>> in_flight_;
  // The agent ignores tables (it is from before them): rows go as RawRows.
  bool legacy_agent_ = false;
  uint64_t accepted_ = 0;
  uint64_t duplicate_ = 0;
  uint64_t rejected_ = 0;
};

}  // namespace sanji

#endif  // SANJI_VILLAGE_AGENT_IMPORT_CLIENT_H_

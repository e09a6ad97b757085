// Fuzz target: what a township node accepts on its TownshipSync service.
//
// Input: a sequence of calls (see SplitCalls in fuzz_util.h for the framing):
// call 1 is a VillageMessage on the Sync stream, call 2 an UrgentReports
// request (SendUrgent). Each message goes through protobuf parsing and then
// the code the township's service runs: the Sync stream's VillageSession
// (township_node/village_session.h); an error ends the stream, and the next
// message opens a new session, like a reconnect. SendUrgent is
// VillageSession::HandleUrgent. Then the changed alerts and cells are taken,
// batch by batch, from the forwarder's RollupBatcher to a county's
// PushSession (county_hub/push_session.h), which must accept every batch.
//
// State: one aggregator and one county store in a real RocksDB directory under
// $TMPDIR, recreated every kInputsPerStore inputs. Each input's epochs are
// mapped to epochs no earlier input used (consistently within the input), so
// that an input's seq numbers mean the same whatever ran before it; record ids
// stay shared, as between a village's old and new epochs.
//
// Invariants checked: a session ends only with InvalidArgument or
// PermissionDenied (a bad hello or message), Aborted (a seq gap) or
// ResourceExhausted (backpressure); SendUrgent only with those of a bad
// village or ResourceExhausted, and it reports every seq it was sent as
// handled; watermarks never go back;
// every alert and cell the township emits is accepted by the county, and every
// cell is >= 0 (counts, sums and distinct counts of validated records; a
// negative one means something was subtracted twice); the changed marks drain.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "county_hub/alert_book.h"
#include "county_hub/cell_store.h"
#include "county_hub/push_session.h"
#include "proto/rollup_sync.pb.h"
#include "proto/village_sync.pb.h"
#include "tests/fuzz/fuzz_util.h"
#include "township_node/aggregator.h"
#include "township_node/rollup_batcher.h"
#include "township_node/village_session.h"

namespace {

constexpr int kInputsPerStore = 1000;
constexpr size_t kMaxMessages = 64;
// Call numbers of the input framing.
constexpr int kSync = 1;        // TownshipSync.Sync: one VillageMessage
constexpr int kSendUrgent = 2;  // TownshipSync.SendUrgent: UrgentReports
constexpr char kCounty[] = "640522";
constexpr char kTownship[] = "640522100";

struct State {
  std::unique_ptr<sanji::TownshipAggregator> township;
  std::unique_ptr<sanji::CountyCellStore> county;
  std::unique_ptr<sanji::CountyAlertBook> alerts;
  int uses = 0;
  uint64_t next_epoch = 1;

  void Refresh() {
    if (township != nullptr && ++uses <= kInputsPerStore) return;
    township.reset();
    alerts.reset();
    county.reset();
    const std::string base = sanji::fuzz::ProcessTempDir();
    std::error_code ec;
    std::filesystem::remove_all(base + "/township", ec);
    std::filesystem::remove_all(base + "/county", ec);
    sanji::AggregatorOptions options;
    options.township_id = kTownship;
    options.min_free_disk_bytes = 0;
    auto t = sanji::TownshipAggregator::Open(base + "/township", options);
    SANJI_FUZZ_CHECK(t.ok(), t.status().ToString());
    township = std::move(*t);
    auto c = sanji::CountyCellStore::Open(base + "/county", kCounty);
    SANJI_FUZZ_CHECK(c.ok(), c.status().ToString());
    county = std::move(*c);
    auto a = sanji::CountyAlertBook::Open(county->mutable_store());
    SANJI_FUZZ_CHECK(a.ok(), a.status().ToString());
    alerts = std::move(*a);
    uses = 1;
  }
};

State& GetState() {
  static auto* state = new State();
  return *state;
}

void Forward(State& state) {
  sanji::PushSession county(kCounty, state.county.get(), state.alerts.get());
  sanji::RollupUp hello;
  hello.mutable_hello()->set_township_id(kTownship);
  absl::StatusOr<sanji::RollupDown> welcome = county.OnMessage(hello);
  SANJI_FUZZ_CHECK(welcome.ok(), welcome.status().ToString());
  sanji::RollupBatcher batcher(state.township.get());
  for (int round = 0; round < 128; ++round) {
    absl::StatusOr<std::optional<sanji::CellBatch>> batch = batcher.Next();
    SANJI_FUZZ_CHECK(batch.ok(), batch.status().ToString());
    if (!batch->has_value()) return;
    for (const sanji::Cell& cell : (*batch)->cells()) {
      SANJI_FUZZ_CHECK(cell.value() >= 0, cell.ShortDebugString());
    }
    sanji::RollupUp up;
    *up.mutable_batch() = std::move(**batch);
    absl::StatusOr<sanji::RollupDown> ack = county.OnMessage(up);
    SANJI_FUZZ_CHECK(ack.ok(), ack.status().ToString());
    absl::Status marked = batcher.Acknowledged(ack->acked_batch_id());
    SANJI_FUZZ_CHECK(marked.ok(), marked.ToString());
  }
  SANJI_FUZZ_CHECK(false, "changed cells and alerts do not drain");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<sanji::fuzz::Frame> calls =
      sanji::fuzz::SplitCalls(data, size, kMaxMessages);
  if (calls.empty()) return 0;
  State& state = GetState();
  state.Refresh();
  sanji::TownshipAggregator* township = state.township.get();

  std::map<uint64_t, uint64_t> epochs;  // epoch in the input -> epoch used
  std::optional<sanji::VillageSession> session;
  for (const sanji::fuzz::Frame& call : calls) {
    if (call.call == kSendUrgent) {
      sanji::UrgentReports request;
      if (!request.ParseFromArray(call.bytes.data(),
                                  static_cast<int>(call.bytes.size()))) {
        continue;
      }
      absl::StatusOr<sanji::UrgentAck> ack =
          sanji::VillageSession::HandleUrgent(kTownship, township, request);
      if (!ack.ok()) {
        SANJI_FUZZ_CHECK(absl::IsResourceExhausted(ack.status()) ||
                             absl::IsInvalidArgument(ack.status()) ||
                             absl::IsPermissionDenied(ack.status()),
                         ack.status().ToString());
        continue;
      }
      SANJI_FUZZ_CHECK(ack->seqs_size() == request.records().records_size(),
                       "urgent seqs not all handled");
      continue;
    }
    if (call.call != kSync) continue;
    sanji::VillageMessage message;
    if (!message.ParseFromArray(call.bytes.data(),
                                static_cast<int>(call.bytes.size()))) {
      session.reset();  // gRPC fails the stream
      continue;
    }
    if (!session.has_value()) session.emplace(kTownship, township);
    if (message.has_hello() && !session->open()) {
      // The input's epochs, mapped to epochs no earlier input used.
      auto [it, fresh] = epochs.try_emplace(message.hello().epoch(), 0);
      if (fresh)
        it->second = message.hello().epoch() == 0 ? 0 : state.next_epoch++;
      message.mutable_hello()->set_epoch(it->second);
    }
    const bool batch = session->open() && message.has_batch();
    const uint64_t before =
        batch ? township->Watermark(session->village_id(), session->epoch())
              : 0;
    absl::StatusOr<sanji::TownshipMessage> reply = session->OnMessage(message);
    if (!reply.ok()) {
      const absl::Status& s = reply.status();
      SANJI_FUZZ_CHECK(absl::IsInvalidArgument(s) ||
                           absl::IsPermissionDenied(s) || absl::IsAborted(s) ||
                           absl::IsResourceExhausted(s),
                       s.ToString());
      session.reset();
      continue;
    }
    SANJI_FUZZ_CHECK(reply->watermark() >= before, "watermark went back");
    SANJI_FUZZ_CHECK(
        township->Watermark(session->village_id(), session->epoch()) ==
            reply->watermark(),
        "watermark not kept");
  }
  Forward(state);
  return 0;
}

// Fuzz target: what a township node accepts on its TownshipSync service.
//
// Input: a sequence of calls (see SplitCalls in fuzz_util.h for the framing):
// call 1 is a VillageMessage on the Sync stream, call 2 an UrgentReports
// request (SendUrgent). Each message goes through protobuf parsing and what
// township_node/sync_service.cc does with it: a Sync stream must open with a
// hello from a village of the township with a non-zero epoch; every batch
// after it goes to TownshipAggregator::ApplyBatch; an error or a message out of
// place ends the stream (the next hello opens a new one, like a reconnect).
// SendUrgent checks the village and calls ApplyUrgent. Then the changed alerts
// and cells are forwarded as township_node/forwarder.cc does (alerts first) to
// a county store (CountyAlertBook::Apply, CountyCellStore::ApplyBatch), which
// must accept them, and marked forwarded.
//
// State: one aggregator and one county store in a real RocksDB directory under
// $TMPDIR, recreated every kInputsPerStore inputs. Each input's epochs are
// mapped to epochs no earlier input used (consistently within the input), so
// that an input's seq numbers mean the same whatever ran before it; record ids
// stay shared, as between a village's old and new epochs.
//
// Invariants checked: ApplyBatch fails only with FailedPrecondition (a seq gap)
// or ResourceExhausted (backpressure), ApplyUrgent only with ResourceExhausted,
// and it reports every seq it was sent as handled; watermarks never go back;
// every alert and cell the township emits is accepted by the county, and every
// cell is >= 0 (counts, sums and distinct counts of validated records; a
// negative one means something was subtracted twice); the changed marks drain.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "county_hub/alert_book.h"
#include "county_hub/cell_store.h"
#include "proto/rollup_sync.pb.h"
#include "proto/village_sync.pb.h"
#include "tests/fuzz/fuzz_util.h"
#include "township_node/aggregator.h"

namespace {

constexpr int kInputsPerStore = 1000;
constexpr size_t kMaxMessages = 64;
// Call numbers of the input framing.
constexpr int kSync = 1;        // TownshipSync.Sync: one VillageMessage
constexpr int kSendUrgent = 2;  // TownshipSync.SendUrgent: UrgentReports
constexpr char kCounty[] = "640522";
constexpr char kTownship[] = "640522100";

// As township_node/sync_service.cc: 12 digits starting with the township's 9.
bool IsVillageOf(const std::string& village) {
  if (village.size() != 12 || !absl::StartsWith(village, kTownship)) {
    return false;
  }
  for (char c : village) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

struct State {
  std::unique_ptr<sanji::TownshipAggregator> township;
  std::unique_ptr<sanji::CountyCellStore> county;
  std::unique_ptr<sanji::CountyAlertBook> alerts;
  int uses = 0;
  uint64_t next_epoch = 1;
  uint64_t batch_id = 0;

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
  for (int round = 0; round < 64; ++round) {
    std::vector<sanji::Alert> alerts;
    absl::Status read = state.township->ReadChangedAlerts(500, &alerts);
    SANJI_FUZZ_CHECK(read.ok(), read.ToString());
    if (alerts.empty()) break;
    sanji::CellBatch batch;
    batch.set_batch_id(++state.batch_id);
    for (const sanji::Alert& alert : alerts) *batch.add_alerts() = alert;
    absl::Status applied = state.alerts->Apply(kTownship, batch.alerts());
    SANJI_FUZZ_CHECK(applied.ok(), applied.ToString());
    applied = state.county->ApplyBatch(kTownship, batch);
    SANJI_FUZZ_CHECK(applied.ok(), applied.ToString());
    absl::Status marked = state.township->MarkAlertsForwarded(alerts);
    SANJI_FUZZ_CHECK(marked.ok(), marked.ToString());
    SANJI_FUZZ_CHECK(round < 63, "changed alerts do not drain");
  }
  for (int round = 0; round < 64; ++round) {
    std::vector<sanji::Cell> cells;
    absl::Status read = state.township->ReadChangedCells(512, &cells);
    SANJI_FUZZ_CHECK(read.ok(), read.ToString());
    if (cells.empty()) return;
    sanji::CellBatch batch;
    batch.set_batch_id(++state.batch_id);
    for (const sanji::Cell& cell : cells) {
      SANJI_FUZZ_CHECK(cell.value() >= 0, cell.ShortDebugString());
      *batch.add_cells() = cell;
    }
    absl::Status applied = state.county->ApplyBatch(kTownship, batch);
    SANJI_FUZZ_CHECK(applied.ok(), applied.ToString());
    absl::Status marked = state.township->MarkForwarded(cells);
    SANJI_FUZZ_CHECK(marked.ok(), marked.ToString());
  }
  SANJI_FUZZ_CHECK(false, "changed cells do not drain");
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
  bool streaming = false;
  std::string village;
  uint64_t epoch = 0;
  for (const sanji::fuzz::Frame& call : calls) {
    if (call.call == kSendUrgent) {
      sanji::UrgentReports request;
      if (!request.ParseFromArray(call.bytes.data(),
                                  static_cast<int>(call.bytes.size()))) {
        continue;
      }
      if (!IsVillageOf(request.village_id())) continue;  // PERMISSION_DENIED
      absl::StatusOr<std::vector<uint64_t>> handled =
          township->ApplyUrgent(request.village_id(), request.records());
      if (!handled.ok()) {
        SANJI_FUZZ_CHECK(absl::IsResourceExhausted(handled.status()),
                         handled.status().ToString());
        continue;
      }
      SANJI_FUZZ_CHECK(handled->size() == static_cast<size_t>(
                                              request.records().records_size()),
                       "urgent seqs not all handled");
      continue;
    }
    if (call.call != kSync) continue;
    sanji::VillageMessage message;
    if (!message.ParseFromArray(call.bytes.data(),
                                static_cast<int>(call.bytes.size()))) {
      streaming = false;  // gRPC fails the stream
      continue;
    }
    if (!streaming) {
      if (!message.has_hello()) continue;  // INVALID_ARGUMENT
      village = message.hello().village_id();
      if (!IsVillageOf(village)) continue;         // PERMISSION_DENIED
      if (message.hello().epoch() == 0) continue;  // INVALID_ARGUMENT
      auto [it, fresh] = epochs.try_emplace(message.hello().epoch(), 0);
      if (fresh) it->second = state.next_epoch++;
      epoch = it->second;
      (void)township->Watermark(village, epoch);  // the Welcome
      streaming = true;
      continue;
    }
    if (!message.has_batch()) {
      streaming = false;  // INVALID_ARGUMENT
      continue;
    }
    const uint64_t before = township->Watermark(village, epoch);
    absl::StatusOr<uint64_t> watermark =
        township->ApplyBatch(village, epoch, message.batch());
    if (!watermark.ok()) {
      SANJI_FUZZ_CHECK(absl::IsFailedPrecondition(watermark.status()) ||
                           absl::IsResourceExhausted(watermark.status()),
                       watermark.status().ToString());
      streaming = false;
      continue;
    }
    SANJI_FUZZ_CHECK(*watermark >= before, "watermark went back");
    SANJI_FUZZ_CHECK(township->Watermark(village, epoch) == *watermark,
                     "watermark not kept");
  }
  Forward(state);
  return 0;
}

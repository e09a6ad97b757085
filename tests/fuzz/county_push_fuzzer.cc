// Fuzz target: what the county hub accepts on CountyHub.Push, ReviewAlert and
// WatchAlerts.
//
// Input: a sequence of calls (see SplitCalls in fuzz_util.h for the framing):
// call 1 is a RollupUp on the Push stream, call 2 a ReviewAlertRequest, call 3
// a WatchAlertsRequest. Each message goes through protobuf parsing and then
// the code the hub's service runs: the Push stream's PushSession
// (county_hub/push_session.h); an error ends the stream, and the next message
// opens a new session, like a reconnect. ReviewAlert calls
// CountyAlertBook::Review; WatchAlerts lists ChangedAfter(0, since) (what a
// call sends before its caught_up marker). Then the report engine reads what
// was stored: for (up to kMaxReports) village and period of an accepted cell,
// a village, township and county report of that period, as CSV and JSON.
//
// State: one county store in a real RocksDB directory under $TMPDIR, recreated
// every kInputsPerStore inputs.
//
// Invariants checked: a session ends only with InvalidArgument or
// PermissionDenied, Review only with InvalidArgument or NotFound; a refused
// batch stores none of its alerts; after an accepted batch every one of its
// cells is stored with at least its version (the county keeps the highest
// version) and the ack names the batch; the alert book lists each alert once,
// in change order, and only those since the time asked for; a report of an
// accepted cell's period succeeds.
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/rollup_layout.h"
#include "county_hub/alert_book.h"
#include "county_hub/cell_store.h"
#include "county_hub/push_session.h"
#include "county_hub/report_engine.h"
#include "proto/rollup_sync.pb.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

constexpr int kInputsPerStore = 1000;
constexpr size_t kMaxMessages = 64;
// Call numbers of the input framing.
constexpr int kPush = 1;         // CountyHub.Push: one RollupUp
constexpr int kReviewAlert = 2;  // CountyHub.ReviewAlert
constexpr int kWatchAlerts = 3;  // CountyHub.WatchAlerts
constexpr size_t kMaxReports = 4;
constexpr char kCounty[] = "640522";

struct State {
  std::unique_ptr<sanji::CountyCellStore> cells;
  std::unique_ptr<sanji::CountyAlertBook> alerts;
  std::unique_ptr<sanji::ReportEngine> reports;
  int uses = 0;

  void Refresh() {
    if (cells != nullptr && ++uses <= kInputsPerStore) return;
    reports.reset();
    alerts.reset();
    cells.reset();
    const std::string dir = sanji::fuzz::ProcessTempDir() + "/county_push";
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    auto c = sanji::CountyCellStore::Open(dir, kCounty);
    SANJI_FUZZ_CHECK(c.ok(), c.status().ToString());
    cells = std::move(*c);
    auto a = sanji::CountyAlertBook::Open(cells->mutable_store());
    SANJI_FUZZ_CHECK(a.ok(), a.status().ToString());
    alerts = std::move(*a);
    reports = std::make_unique<sanji::ReportEngine>(
        kCounty, cells->store(), cells->cells(), /*orgs=*/nullptr);
    uses = 1;
  }
};

State& GetState() {
  static auto* state = new State();
  return *state;
}

void Report(const sanji::ReportEngine& engine, const std::string& period,
            const std::string& level, const std::string& org) {
  for (const char* format : {"csv", "json"}) {
    sanji::ReportQuery query;
    query.period = period;
    query.level = level;
    query.org = org;
    query.format = format;
    absl::StatusOr<std::string> content = engine.Render(query);
    SANJI_FUZZ_CHECK(content.ok(),
                     absl::StrCat(period, " ", level, " ", org, ": ",
                                  content.status().ToString()));
  }
}

// Every cell of an accepted batch is stored with at least its version.
void CheckStored(const State& state, const sanji::CellBatch& batch,
                 std::set<std::pair<std::string, std::string>>* to_report) {
  for (const sanji::Cell& cell : batch.cells()) {
    absl::StatusOr<std::optional<std::string>> stored =
        state.cells->store()->Get(
            state.cells->cells(),
            sanji::EncodeCellKey(cell.village_id(), cell.indicator(),
                                 cell.period()));
    SANJI_FUZZ_CHECK(stored.ok() && stored->has_value(),
                     cell.ShortDebugString());
    sanji::CellValue value;
    SANJI_FUZZ_CHECK(sanji::DecodeCellValue(**stored, &value),
                     cell.ShortDebugString());
    SANJI_FUZZ_CHECK(value.version >= cell.version(), cell.ShortDebugString());
    if (to_report->size() < kMaxReports) {
      to_report->emplace(cell.village_id(), cell.period());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<sanji::fuzz::Frame> calls =
      sanji::fuzz::SplitCalls(data, size, kMaxMessages);
  if (calls.empty()) return 0;
  State& state = GetState();
  state.Refresh();

  std::set<std::pair<std::string, std::string>> to_report;  // village, period
  std::optional<sanji::PushSession> session;
  for (const sanji::fuzz::Frame& call : calls) {
    if (call.call == kReviewAlert) {
      sanji::ReviewAlertRequest request;
      if (!request.ParseFromArray(call.bytes.data(),
                                  static_cast<int>(call.bytes.size()))) {
        continue;
      }
      absl::StatusOr<sanji::AlertEntry> entry =
          state.alerts->Review(request.id(), request.by());
      if (!entry.ok()) {
        SANJI_FUZZ_CHECK(absl::IsInvalidArgument(entry.status()) ||
                             absl::IsNotFound(entry.status()),
                         entry.status().ToString());
        continue;
      }
      SANJI_FUZZ_CHECK(
          entry->id() == request.id() && entry->reviewed_by() == request.by(),
          entry->ShortDebugString());
      continue;
    }
    if (call.call == kWatchAlerts) {
      sanji::WatchAlertsRequest request;
      if (!request.ParseFromArray(call.bytes.data(),
                                  static_cast<int>(call.bytes.size()))) {
        continue;
      }
      uint64_t last_change = 0;
      for (const sanji::AlertEntry& e :
           state.alerts->ChangedAfter(0, request.since())) {
        SANJI_FUZZ_CHECK(e.change() > last_change, e.ShortDebugString());
        SANJI_FUZZ_CHECK(e.alert().occurred_at() >= request.since(),
                         e.ShortDebugString());
        last_change = e.change();
      }
      continue;
    }
    if (call.call != kPush) continue;
    sanji::RollupUp up;
    if (!up.ParseFromArray(call.bytes.data(),
                           static_cast<int>(call.bytes.size()))) {
      session.reset();  // gRPC fails the stream
      continue;
    }
    if (!session.has_value()) {
      session.emplace(kCounty, state.cells.get(), state.alerts.get());
    }
    const bool batch = session->open() && up.has_batch();
    const size_t alerts_before = state.alerts->size();
    absl::StatusOr<sanji::RollupDown> ack = session->OnMessage(up);
    if (!ack.ok()) {
      SANJI_FUZZ_CHECK(absl::IsInvalidArgument(ack.status()) ||
                           absl::IsPermissionDenied(ack.status()),
                       ack.status().ToString());
      SANJI_FUZZ_CHECK(state.alerts->size() == alerts_before,
                       "a refused batch stored alerts");
      session.reset();
      continue;
    }
    if (!batch) continue;
    SANJI_FUZZ_CHECK(ack->acked_batch_id() == up.batch().batch_id(),
                     ack->ShortDebugString());
    CheckStored(state, up.batch(), &to_report);
  }
  // WatchAlerts from the start: every alert once, in change order.
  std::vector<sanji::AlertEntry> entries =
      state.alerts->ChangedAfter(0, std::numeric_limits<int64_t>::min());
  SANJI_FUZZ_CHECK(entries.size() == state.alerts->size(), "alert listing");
  uint64_t last_change = 0;
  for (const sanji::AlertEntry& e : entries) {
    SANJI_FUZZ_CHECK(e.change() > last_change, e.ShortDebugString());
    last_change = e.change();
  }
  SANJI_FUZZ_CHECK(last_change == state.alerts->last_change(), "last change");
  for (const auto& [village, period] : to_report) {
    Report(*state.reports, period, "village", village);
    Report(*state.reports, period, "township", village.substr(0, 9));
    Report(*state.reports, period, "county", "");
  }
  return 0;
}

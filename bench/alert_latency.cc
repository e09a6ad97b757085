// alert_latency: how long an urgent notifiable-disease report takes from
// `village_agent import` returning to the alert being visible at the county,
// with the links idle and with a 100,000-record backlog draining behind it.
//
// Real binaries on loopback (tests/support/LocalCounty: hub, one township, one
// village, links through pass-through proxies). Each report is submitted with
// the agent's Submit call, what `import` does per chunk; the clock starts when
// Submit returns (the row is durable), and stops when the county's
// WatchAlerts stream delivers the alert. Prints p50/p90/p99/max per scenario.
//
//   build/bench/alert_latency [--samples=50] [--backlog=100000] [--rounds=3]
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "proto/rollup_sync.grpc.pb.h"
#include "proto/village_sync.grpc.pb.h"
#include "tests/support/local_county.h"
#include "tests/support/process.h"

ABSL_FLAG(int, samples, 50, "Urgent reports timed with idle links.");
ABSL_FLAG(int, backlog, 100000, "Ordinary records queued behind each round.");
ABSL_FLAG(int, rounds, 3, "Backlog rounds.");
ABSL_FLAG(int, per_round, 20, "Urgent reports timed per backlog round.");

namespace sanji::test_support {
namespace {

const char kVillage[] = "640522100201";

// Watches the county's alerts and remembers when each record_id arrived.
class AlertWatch {
 public:
  explicit AlertWatch(const std::string& hub) {
    channel_ = grpc::CreateChannel(hub, grpc::InsecureChannelCredentials());
    thread_ = std::thread([this] { Run(); });
  }
  ~AlertWatch() {
    context_.TryCancel();
    thread_.join();
  }
  // When `record_id` became visible; waits up to `timeout`.
  std::optional<absl::Time> WaitSeen(const std::string& record_id,
                                     absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto seen = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return seen_.count(record_id) > 0;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&seen), timeout))
      return std::nullopt;
    return seen_[record_id];
  }

 private:
  void Run() {
    CountyHub::Stub stub(channel_);
    WatchAlertsRequest request;
    request.set_follow(true);
    auto reader = stub.WatchAlerts(&context_, request);
    AlertEvent event;
    while (reader->Read(&event)) {
      if (!event.has_entry()) continue;
      absl::Time now = absl::Now();
      absl::MutexLock lock(&mu_);
      seen_.emplace(event.entry().alert().record_id(), now);
    }
    reader->Finish();
  }

  std::shared_ptr<grpc::Channel> channel_;
  grpc::ClientContext context_;
  std::thread thread_;
  absl::Mutex mu_;
  std::map<std::string, absl::Time> seen_ ABSL_GUARDED_BY(mu_);
};

void PrintPercentiles(const std::string& name, std::vector<double> ms) {
  if (ms.empty()) {
    std::printf("%-28s no samples\n", name.c_str());
    return;
  }
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(q * (ms.size() - 1) + 0.5);
    return ms[std::min(i, ms.size() - 1)];
  };
  std::printf(
      "%-28s n=%-4zu p50=%7.1f ms  p90=%7.1f ms  p99=%7.1f ms  max=%7.1f ms\n",
      name.c_str(), ms.size(), at(0.5), at(0.9), at(0.99), ms.back());
}

int Main() {
  TempDir dir;
  LocalCounty county(dir.path(), {kVillage});
  if (absl::Status s = county.Init(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  if (absl::Status s = county.StartAll(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  AlertWatch watch(county.hub_addr());
  VillageIntake::Stub intake(grpc::CreateChannel(
      county.agent_addr(kVillage), grpc::InsecureChannelCredentials()));
  int next_id = 0;
  // Submits one urgent report and returns ms from Submit returning to the
  // alert at the county; -1 on failure.
  auto one = [&]() -> double {
    std::string id = absl::StrCat("u", next_id++);
    SubmitRequest request;
    RawRow* row = request.add_rows();
    row->set_source("bench");
    row->set_line(2);
    auto& f = *row->mutable_fields();
    f["record_id"] = id;
    f["kind"] = "infectious_disease_report";
    f["occurred_at"] = "2025-07-01T09:00";
    f["patient_id"] = "P-" + id;
    f["sex"] = "M";
    f["birth_date"] = "1980-01-01";
    f["disease"] = "cholera";
    grpc::ClientContext context;
    SubmitResponse response;
    grpc::Status s = intake.Submit(&context, request, &response);
    absl::Time returned = absl::Now();
    if (!s.ok() || response.outcomes_size() != 1 ||
        response.outcomes(0).result() != RowOutcome::ACCEPTED) {
      std::fprintf(stderr, "submit failed: %s %s\n", s.error_message().c_str(),
                   response.DebugString().c_str());
      return -1;
    }
    std::optional<absl::Time> seen = watch.WaitSeen(id, absl::Seconds(60));
    if (!seen.has_value()) return -1;
    return absl::ToDoubleMilliseconds(
        std::max(*seen - returned, absl::ZeroDuration()));
  };

  std::vector<double> idle;
  for (int i = 0; i < absl::GetFlag(FLAGS_samples); ++i) {
    double ms = one();
    if (ms < 0) return 1;
    idle.push_back(ms);
  }

  const int backlog = absl::GetFlag(FLAGS_backlog);
  std::vector<double> behind;
  // The first report of each round is submitted right after the link returns,
  // while the agent may still be in its reconnect backoff: shown apart.
  std::vector<double> first_after_outage;
  std::vector<int64_t> pending_at_sample;
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    std::string path = dir.Sub(absl::StrCat("backlog", round, ".csv"));
    {
      std::ofstream out(path);
      out << "record_id,kind,occurred_at,patient_id,sex,birth_date,cost_yuan\n";
      for (int i = 0; i < backlog; ++i) {
        out << absl::StrFormat(
            "b%d-%07d,outpatient_visit,2025-%02d-%02dT10:00,P%d,M,"
            "1970-01-01,9.90\n",
            round, i, 1 + i % 12, 1 + i % 28, i % 997);
      }
    }
    // The backlog builds while the village is offline, then drains.
    county.village_link(kVillage).Cut();
    CommandResult r = county.Import(kVillage, {path});
    if (r.exit_code != 0) {
      std::fprintf(stderr, "backlog import failed: %s\n", r.errors.c_str());
      return 1;
    }
    county.village_link(kVillage).Heal();
    for (int i = 0; i < absl::GetFlag(FLAGS_per_round); ++i) {
      int64_t pending =
          StatusField(county.AgentStatus(kVillage), "pending_records");
      if (pending <= 0) break;  // drained: later samples would be idle ones
      double ms = one();
      if (ms < 0) return 1;
      if (i == 0) {
        first_after_outage.push_back(ms);
        continue;
      }
      behind.push_back(ms);
      pending_at_sample.push_back(pending);
    }
    if (!county.WaitAgentsSynced(absl::Minutes(5)).ok()) return 1;
  }
  std::printf(
      "alert latency, Submit returned -> visible at the county "
      "(WatchAlerts), loopback:\n");
  PrintPercentiles("idle links", idle);
  PrintPercentiles(absl::StrCat("behind ", backlog, " backlog"), behind);
  PrintPercentiles("first, as the link returns", first_after_outage);
  if (!pending_at_sample.empty()) {
    std::printf(
        "  records still waiting at the village when each timed "
        "report was imported: min %lld, max %lld\n",
        static_cast<long long>(*std::min_element(pending_at_sample.begin(),
                                                 pending_at_sample.end())),
        static_cast<long long>(*std::max_element(pending_at_sample.begin(),
                                                 pending_at_sample.end())));
  }
  return 0;
}

}  // namespace
}  // namespace sanji::test_support

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return sanji::test_support::Main();
}

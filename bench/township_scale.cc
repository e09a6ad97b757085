// township_scale: the cost of one township as its villages grow (issue 13,
// "scale curves"). For each point of --villages it starts a fresh county_hub
// and township_node (insecure, loopback, real RocksDB directories), splits
// --records records among that many villages of the township, and lets each
// village sync them on its own Sync stream as an agent does (hello, then
// batches of --batch records with at most --window unacknowledged), all at
// once. Records are a village's year from the workload generator
// (tools/village_generator.h: chronic follow-ups, child checks,
// vaccinations, maternity, signings, outpatient visits ... spread over the
// year), parsed as the agent parses them.
//
// Per point it prints: records/s from the first hello until every village's
// last batch is acknowledged; the township's peak RSS (VmHWM) and peak
// thread count (Threads, sampled every 20 ms while it runs); and the time
// from the villages' drain until the township has forwarded every cell,
// alert and activity fact to the county (its status: cells_pending,
// alerts_pending and activity_pending 0). One markdown table at the end.
//
// The villages are gRPC callback-API client streams: the load generator
// needs no thread per village either.
#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/village_load.h"
#include "common/period.h"
#include "common/record_parse.h"
#include "grpcpp/grpcpp.h"
#include "proto/village_sync.grpc.pb.h"
#include "tests/support/process.h"
#include "tools/village_generator.h"
#include "village_agent/record_file.h"

ABSL_FLAG(std::string, villages, "1,10,100,500",
          "Points of the curve: villages syncing at once, comma-separated.");
ABSL_FLAG(int, records, 100000, "Records per point, split among villages.");
ABSL_FLAG(int, batch, 500, "Records per batch (the agent's default).");
ABSL_FLAG(int, window, 4000,
          "Unacknowledged records per village (the agent's default).");
ABSL_FLAG(int, port, 19600, "First port; each point takes the next two.");
ABSL_FLAG(std::string, township_flags, "",
          "More flags for township_node serve, space-separated.");
ABSL_FLAG(std::string, dir, "",
          "Scratch directory (default: a new one in /tmp, removed after).");

namespace sanji {
namespace {

using test_support::BinaryPath;
using test_support::ChildProcess;
using test_support::ProcStatusField;
using test_support::TempDir;
using test_support::WaitFor;

constexpr char kCounty[] = "640522";
constexpr char kTownship[] = "640522100";

struct Point {
  int villages = 0;
  int64_t records = 0;
  double records_per_s = 0;
  double peak_rss_mb = 0;
  int peak_threads = 0;
  double forward_s = 0;  // drained -> the county has everything
  int64_t applied = 0;
  std::string error;
};

// `n` records of `village`'s year, parsed as the agent parses its file;
// exact duplicates (same record_id) dropped as the agent drops them.
std::vector<Record> VillageRecords(const std::string& dir,
                                   const std::string& village, int index,
                                   int n) {
  Config config{kCounty, 2025, std::max(n, 100), 1, false, false};
  VillageGenerator generator(config, village, index);
  VillageResult result;
  std::string error;
  std::vector<Record> out;
  if (!generator.Run(dir, &result, &error)) {
    std::fprintf(stderr, "township_scale: %s\n", error.c_str());
    return out;
  }
  auto file = ReadRecordFile(absl::StrCat(dir, "/", result.main_file),
                             FileEncoding::kAuto);
  if (!file.ok()) return out;
  std::set<std::string> seen;
  const absl::CivilSecond now = NowLocal();
  for (const RawRow& row : file->rows) {
    std::string bad_column;
    absl::StatusOr<Record> record = ParseRow(row, now, &bad_column);
    if (!record.ok() || !seen.insert(record->record_id()).second) continue;
    out.push_back(*std::move(record));
    if (static_cast<int>(out.size()) == n) break;
  }
  return out;
}

std::map<std::string, std::vector<Record>> Workload(const std::string& dir,
                                                    int villages,
                                                    int64_t records) {
  std::map<std::string, std::vector<Record>> out;
  std::map<std::string, int64_t> kinds;
  for (int v = 0; v < villages; ++v) {
    const std::string id = absl::StrFormat("%s%03d", kTownship, 201 + v);
    const int64_t n = records / villages + (v < records % villages ? 1 : 0);
    out[id] = VillageRecords(dir, id, v, static_cast<int>(n));
    for (const Record& r : out[id]) ++kinds[r.kind()];
  }
  std::string mix;
  for (const auto& [kind, n] : kinds) absl::StrAppend(&mix, " ", kind, "=", n);
  std::fprintf(stderr, "  workload:%s\n", mix.c_str());
  return out;
}

// The township's Status; nullopt when it does not answer.
std::optional<TownshipStatus> StatusOf(TownshipSync::Stub* stub) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  TownshipStatus status;
  if (!stub->Status(&context, StatusRequest(), &status).ok()) {
    return std::nullopt;
  }
  return status;
}

// Peak Threads of `pid`, sampled every 20 ms until stopped.
class ThreadSampler {
 public:
  explicit ThreadSampler(pid_t pid)
      : thread_([this, pid] {
          while (!stop_.load()) {
            peak_.store(
                std::max<int>(peak_.load(), ProcStatusField(pid, "Threads")));
            absl::SleepFor(absl::Milliseconds(20));
          }
        }) {}
  ~ThreadSampler() { Stop(); }
  int Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return peak_.load();
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> peak_{0};
  std::thread thread_;
};

// The county hub and the township, started on `port` and `port + 1`.
struct Nodes {
  ChildProcess hub, township;
};

absl::Status StartNodes(const std::string& dir, int port, Nodes* nodes) {
  const std::string hub = absl::StrCat("127.0.0.1:", port);
  const std::string town = absl::StrCat("127.0.0.1:", port + 1);
  absl::Status s = nodes->hub.Start(
      BinaryPath("county_hub"),
      {"serve", absl::StrCat("--county_id=", kCounty),
       "--data_dir=" + dir + "/hub", "--listen=" + hub, "--insecure"},
      dir + "/hub.log");
  if (!s.ok()) return s;
  std::vector<std::string> args = {"serve",
                                   absl::StrCat("--township_id=", kTownship),
                                   "--data_dir=" + dir + "/town",
                                   "--listen=" + town,
                                   "--county=" + hub,
                                   "--insecure"};
  for (absl::string_view flag : absl::StrSplit(
           absl::GetFlag(FLAGS_township_flags), ' ', absl::SkipEmpty())) {
    args.emplace_back(flag);
  }
  return nodes->township.Start(BinaryPath("township_node"), args,
                               dir + "/town.log");
}

// Syncs `work` through the township at `stub`, every village at once; fills
// the throughput figures of `point`.
void SyncAll(TownshipSync::Stub* stub,
             const std::map<std::string, std::vector<Record>>& work,
             Point* point) {
  std::vector<std::unique_ptr<VillageLoad>> loads;
  for (const auto& [village, records] : work) {
    loads.push_back(std::make_unique<VillageLoad>(village, 1, &records,
                                                  absl::GetFlag(FLAGS_batch),
                                                  absl::GetFlag(FLAGS_window)));
    point->records += static_cast<int64_t>(records.size());
  }
  const absl::Time start = absl::Now();
  for (auto& load : loads) load->Start(stub);
  absl::Time drained = start;
  for (auto& load : loads) {
    grpc::Status s = load->Wait();
    if (!s.ok() && point->error.empty()) {
      point->error = absl::StrCat("a village's stream ended with code ",
                                  s.error_code(), ": ", s.error_message());
    }
    drained = std::max(drained, load->drained_at());
  }
  point->records_per_s = static_cast<double>(point->records) /
                         absl::ToDoubleSeconds(drained - start);
}

Point RunPoint(const std::string& dir, int villages, int port) {
  Point point;
  point.villages = villages;
  std::error_code error;
  std::filesystem::create_directories(dir + "/files", error);
  if (error) {
    point.error = absl::StrCat("cannot create ", dir, ": ", error.message());
    return point;
  }
  auto work = Workload(dir + "/files", villages, absl::GetFlag(FLAGS_records));
  Nodes nodes;
  if (absl::Status s = StartNodes(dir, port, &nodes); !s.ok()) {
    point.error = std::string(s.message());
    return point;
  }
  auto stub = TownshipSync::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port + 1),
                          grpc::InsecureChannelCredentials()));
  if (!WaitFor([&] { return StatusOf(stub.get()).has_value(); },
               absl::Seconds(30), absl::Milliseconds(50))) {
    point.error = "the township did not answer; see " + dir + "/town.log";
    return point;
  }
  ThreadSampler sampler(nodes.township.pid());
  SyncAll(stub.get(), work, &point);
  const absl::Time drained = absl::Now();
  std::optional<TownshipStatus> status;
  WaitFor(
      [&] {
        status = StatusOf(stub.get());
        return status.has_value() && status->cells_pending() == 0 &&
               status->alerts_pending() == 0 && status->activity_pending() == 0;
      },
      absl::Minutes(10), absl::Milliseconds(20));
  point.forward_s = absl::ToDoubleSeconds(absl::Now() - drained);
  point.peak_threads = sampler.Stop();
  point.peak_rss_mb =
      static_cast<double>(ProcStatusField(nodes.township.pid(), "VmHWM")) /
      1024;
  if (status.has_value()) {
    point.applied = static_cast<int64_t>(status->records_applied());
  }
  nodes.township.Terminate();
  nodes.hub.Terminate();
  return point;
}

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  TempDir scratch;
  const std::string base = absl::GetFlag(FLAGS_dir).empty()
                               ? scratch.path()
                               : absl::GetFlag(FLAGS_dir);
  std::vector<Point> points;
  int port = absl::GetFlag(FLAGS_port);
  for (absl::string_view v :
       absl::StrSplit(absl::GetFlag(FLAGS_villages), ',', absl::SkipEmpty())) {
    int villages = 0;
    if (!absl::SimpleAtoi(v, &villages) || villages < 1 || villages > 799) {
      std::fprintf(stderr, "township_scale: --villages: '%s' is not 1-799\n",
                   std::string(v).c_str());
      return 2;
    }
    const std::string dir = absl::StrCat(base, "/point", villages);
    std::fprintf(stderr, "== %d villages\n", villages);
    points.push_back(RunPoint(dir, villages, port));
    port += 2;
    if (!points.back().error.empty()) {
      std::fprintf(stderr, "  failed: %s\n", points.back().error.c_str());
    }
  }
  std::printf(
      "| villages | records | records/s | township peak RSS, MB | township "
      "peak threads | county has every cell, s after drain | applied |\n"
      "|---|---|---|---|---|---|---|\n");
  for (const Point& p : points) {
    std::printf("| %d | %lld | %.0f | %.1f | %d | %.2f | %lld%s |\n",
                p.villages, static_cast<long long>(p.records), p.records_per_s,
                p.peak_rss_mb, p.peak_threads, p.forward_s,
                static_cast<long long>(p.applied),
                p.error.empty() ? "" : (" (" + p.error + ")").c_str());
  }
  return 0;
}

}  // namespace
}  // namespace sanji

int main(int argc, char** argv) { return sanji::Main(argc, argv); }

// township_node: the township health centre's node (spec/interfaces.md
// "township_node").
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/cli.h"
#include "common/net.h"
#include "common/org_code.h"
#include "common/program.h"
#include "common/shutdown.h"
#include "common/status_text.h"
#include "township_node/aggregator.h"
#include "township_node/forwarder.h"
#include "township_node/sync_service.h"

ABSL_FLAG(std::string, township_id, "", "9-digit township code (serve).");
ABSL_FLAG(std::string, data_dir, "",
          "Directory for the node's RocksDB data (serve).");
ABSL_FLAG(std::string, listen, "127.0.0.1:7101",
          "HOST:PORT for village syncs (serve).");
ABSL_FLAG(std::string, county, "", "HOST:PORT of the county hub (serve).");
ABSL_FLAG(int64_t, max_buffer_mb, 1024,
          "The node's store may hold at most this many MB; beyond it village "
          "syncs are refused "
          "with RESOURCE_EXHAUSTED (serve).");
ABSL_FLAG(int64_t, min_free_disk_mb, 16,
          "Refuse syncs when the disk has less free (serve).");
ABSL_FLAG(int, sync_threads, sanji::SyncService::kDefaultWorkers,
          "Threads that apply the villages' batches, however many villages "
          "sync at once (serve).");
ABSL_FLAG(std::string, node, "127.0.0.1:7101",
          "HOST:PORT of a running node (status).");
ABSL_FLAG(std::string, format, "text", "Status output: text or json (status).");

namespace sanji {
namespace {

constexpr char kUsage[] =
    R"(township_node: the township health centre's Sanji node.

  township_node serve --township_id=ID --data_dir=DIR --listen=HOST:PORT --county=HOST:PORT
                      (--insecure | --tls_cert=F --tls_key=F --tls_ca=F) [--max_buffer_mb=N]
                      [--sync_threads=N]
  township_node status --node=HOST:PORT [--format=text|json]
                       [--tls_cert=F --tls_key=F --tls_ca=F]

Exit status: 0 success, 1 failure at run time, 2 bad usage.)";

int Serve() {
  SetPrivateFileModes();
  const std::string township = OrgCodeFlagOrExit(
      "township_id", absl::GetFlag(FLAGS_township_id), OrgLevel::kTownship);
  RequireFlag("data_dir", absl::GetFlag(FLAGS_data_dir));
  RequireFlag("county", absl::GetFlag(FLAGS_county));
  const StorageBudget budget =
      StorageBudgetOrExit(absl::GetFlag(FLAGS_max_buffer_mb),
                          absl::GetFlag(FLAGS_min_free_disk_mb));
  const TransportSecurity security =
      ServerSecurityOrExit({Identity::Kind::kTownship, township});
  if (absl::Status s = CheckLinkCompression(); !s.ok()) ExitUsage(s.message());
  const int sync_threads = absl::GetFlag(FLAGS_sync_threads);
  if (sync_threads < 1 || sync_threads > 64) {
    ExitUsage("--sync_threads must be between 1 and 64");
  }

  AggregatorOptions options;
  options.township_id = township;
  options.max_buffer_bytes = budget.max_buffer_bytes;
  options.min_free_disk_bytes = budget.min_free_disk_bytes;
  auto aggregator =
      TownshipAggregator::Open(absl::GetFlag(FLAGS_data_dir), options);
  if (!aggregator.ok()) ExitFailure(aggregator.status().message());

  Forwarder forwarder(township, absl::GetFlag(FLAGS_county), aggregator->get(),
                      security.ToParent({Identity::Kind::kCounty,
                                         std::string(AncestorAt(
                                             township, OrgLevel::kCounty))}));
  SyncService service(township, aggregator->get(), &forwarder, security.self(),
                      sync_threads);
  NodeMetrics metrics("township_node", [&] {
    auto status = std::make_unique<TownshipStatus>();
    service.FillStatus(status.get());
    return status;
  });
  std::unique_ptr<grpc::Server> server = StartServerOrExit(
      absl::GetFlag(FLAGS_listen), security, {&service}, &metrics);
  std::unique_ptr<HttpEndpoint> metrics_http =
      StartMetricsOrExit("township_node", security, metrics);
  forwarder.Start();
  std::fprintf(stderr,
               "township_node: township %s listening on %s, forwarding to %s\n",
               township.c_str(), absl::GetFlag(FLAGS_listen).c_str(),
               absl::GetFlag(FLAGS_county).c_str());
  ServeUntilSignal("township_node", server.get());
  forwarder.Stop();
  return 0;
}

int Status() {
  auto stub = TownshipSync::NewStub(ConnectOrExit(absl::GetFlag(FLAGS_node),
                                                  "township_node", "node",
                                                  Identity::Kind::kTownship));
  TownshipStatus status;
  CallStatusOrExit(
      [&](grpc::ClientContext* c) {
        return stub->Status(c, StatusRequest(), &status);
      },
      status, absl::GetFlag(FLAGS_format));
  return 0;
}

}  // namespace
}  // namespace sanji

int main(int argc, char** argv) {
  sanji::BlockShutdownSignals();
  sanji::CommandLine cl = sanji::ParseCommandLineOrExit(
      argc, argv, sanji::kUsage, {"serve", "status"});
  if (!cl.args.empty()) sanji::ExitUsage("unexpected positional arguments");
  return cl.subcommand == "serve" ? sanji::Serve() : sanji::Status();
}

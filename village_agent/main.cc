// village_agent: the clinic's agent (spec/interfaces.md "village_agent").
#include <malloc.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/cli.h"
#include "common/net.h"
#include "common/org_code.h"
#include "common/program.h"
#include "common/shutdown.h"
#include "common/status_text.h"
#include "proto/village_sync.grpc.pb.h"
#include "village_agent/clinic_page.h"
#include "village_agent/import_client.h"
#include "village_agent/intake_service.h"
#include "village_agent/record_file.h"
#include "village_agent/record_intake.h"
#include "village_agent/uploader.h"

ABSL_FLAG(std::string, village_id, "", "12-digit village code (serve).");
ABSL_FLAG(std::string, data_dir, "",
          "Directory for the agent's RocksDB data (serve).");
ABSL_FLAG(std::string, township, "", "HOST:PORT of the township node (serve).");
ABSL_FLAG(std::string, listen, "127.0.0.1:7001",
          "HOST:PORT for the intake API (serve).");
ABSL_FLAG(std::string, http, "",
          "127.0.0.1:PORT for the clinic page (serve; loopback only; off "
          "without it).");
ABSL_FLAG(int64_t, max_buffer_mb, 256,
          "Records waiting to sync may take at most this many MB; beyond it "
          "new records are "
          "refused with RESOURCE_EXHAUSTED until the backlog drains (serve).");
ABSL_FLAG(int64_t, min_free_disk_mb, 16,
          "Refuse new records when the data directory's disk has less free "
          "space (serve).");
ABSL_FLAG(std::string, agent, "127.0.0.1:7001",
          "HOST:PORT of a running agent (import, status).");
ABSL_FLAG(std::string, encoding, "auto",
          "Record file encoding: auto, utf-8 or gb18030 (import).");
ABSL_FLAG(std::string, format, "text", "Status output: text or json (status).");

namespace sanji {
namespace {

constexpr char kUsage[] = R"(village_agent: the village clinic's Sanji agent.

  village_agent serve --village_id=ID --data_dir=DIR --township=HOST:PORT --listen=HOST:PORT
                      (--insecure | --tls_cert=F --tls_key=F --tls_ca=F) [--max_buffer_mb=N]
                      [--http=127.0.0.1:PORT]
  village_agent import --agent=HOST:PORT [--encoding=auto|utf-8|gb18030] FILE...
  village_agent status --agent=HOST:PORT [--format=text|json]

The township link is mutual TLS with --tls_cert/--tls_key/--tls_ca (the
village's certificate, deploy/pki.sh). The intake (--listen) is plaintext on a
loopback address and TLS elsewhere; import and status take the TLS flags to
reach an agent off loopback.

Exit status: 0 success, 1 failure at run time (or rejected rows), 2 bad usage.)";

// The clinic page's endpoint for --http, not yet started (nullptr without the
// flag); exits 2 when the address is not a loopback one.
std::unique_ptr<HttpEndpoint> ClinicEndpointOrExit(
    const TransportSecurity& security) {
  const std::string& listen = absl::GetFlag(FLAGS_http);
  if (listen.empty()) return nullptr;
  // The month's file comes in one request.
  return HttpEndpointOrExit("http", listen, security,
                            HttpAudience::kLoopbackOnly, size_t{64} << 20);
}

// Serves the clinic page on `endpoint` (if any), or exits 1.
void StartClinicPage(HttpEndpoint* endpoint, ClinicPage* page) {
  if (endpoint == nullptr) return;
  page->Install(&endpoint->server());
  StartHttpOrExit("village_agent", "http", endpoint);
}

// A clinic PC has little RAM: glibc's allocator otherwise gives each of
// gRPC's threads an arena of its own and keeps what a Submit freed (its
// thresholds for returning memory rise with the sizes freed), which doubled
// the agent's memory while a file was imported; the import client's chunks
// are freed as they are answered, too.
void KeepMallocSmall() {
  mallopt(M_ARENA_MAX, 2);
  mallopt(M_TRIM_THRESHOLD, 1 << 20);
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
}

int Serve() {
  SetPrivateFileModes();
  const std::string village = OrgCodeFlagOrExit(
      "village_id", absl::GetFlag(FLAGS_village_id), OrgLevel::kVillage);
  RequireFlag("data_dir", absl::GetFlag(FLAGS_data_dir));
  RequireFlag("township", absl::GetFlag(FLAGS_township));
  const StorageBudget budget =
      StorageBudgetOrExit(absl::GetFlag(FLAGS_max_buffer_mb),
                          absl::GetFlag(FLAGS_min_free_disk_mb));
  const TransportSecurity security =
      ServerSecurityOrExit({Identity::Kind::kVillage, village});
  if (absl::Status s = CheckLinkCompression(); !s.ok()) ExitUsage(s.message());
  std::unique_ptr<HttpEndpoint> http = ClinicEndpointOrExit(security);

  IntakeOptions options;
  options.village_id = village;
  options.max_buffer_bytes = budget.max_buffer_bytes;
  options.min_free_disk_bytes = budget.min_free_disk_bytes;
  absl::StatusOr<std::unique_ptr<RecordIntake>> intake =
      RecordIntake::Open(absl::GetFlag(FLAGS_data_dir), options);
  if (!intake.ok()) ExitFailure(intake.status().message());

  UploaderOptions uploader_options;
  uploader_options.township = absl::GetFlag(FLAGS_township);
  uploader_options.security = security.ToParent(
      {Identity::Kind::kTownship,
       std::string(AncestorAt(village, OrgLevel::kTownship))});
  Uploader uploader(intake->get(), uploader_options);
  // The intake is plaintext on loopback (the clinic PC's own import and
  // status), TLS elsewhere (spec "Transport security flags").
  const std::string& listen = absl::GetFlag(FLAGS_listen);
  const TransportSecurity& intake_security =
      IsLoopbackAddress(listen) ? TransportSecurity::Plaintext() : security;
  IntakeService service(intake->get(), &uploader, intake_security.self());

  NodeMetrics metrics("village_agent", [&] {
    auto status = std::make_unique<AgentStatus>();
    FillAgentStatus(**intake, uploader, status.get());
    return status;
  });
  std::unique_ptr<grpc::Server> server =
      StartServerOrExit(listen, intake_security, {&service}, &metrics);
  std::unique_ptr<HttpEndpoint> metrics_http =
      StartMetricsOrExit("village_agent", security, metrics);
  uploader.Start();
  ClinicPage page(intake->get(), &uploader);
  StartClinicPage(http.get(), &page);
  std::fprintf(stderr,
               "village_agent: village %s listening on %s (epoch %llu, %llu "
               "records accepted, "
               "%llu waiting to sync), syncing to %s\n",
               village.c_str(), absl::GetFlag(FLAGS_listen).c_str(),
               static_cast<unsigned long long>((*intake)->epoch()),
               static_cast<unsigned long long>((*intake)->last_seq()),
               static_cast<unsigned long long>((*intake)->last_seq() -
                                               (*intake)->acked_seq()),
               uploader_options.township.c_str());
  // The page first: no record is taken once the intake stops.
  ServeUntilSignal("village_agent", server.get(), [&http] {
    if (http != nullptr) http->Stop();
  });
  uploader.Stop();
  return 0;
}

std::unique_ptr<VillageIntake::Stub> ConnectAgent() {
  return VillageIntake::NewStub(ConnectOrExit(absl::GetFlag(FLAGS_agent),
                                              "village_agent", "agent",
                                              Identity::Kind::kVillage));
}

int Import(const std::vector<std::string>& files) {
  if (files.empty()) ExitUsage("import needs at least one FILE");
  absl::StatusOr<FileEncoding> encoding =
      ParseFileEncoding(absl::GetFlag(FLAGS_encoding));
  if (!encoding.ok()) ExitUsage(encoding.status().message());
  std::unique_ptr<VillageIntake::Stub> stub = ConnectAgent();
  ImportClient client(stub.get(), *encoding);
  absl::Status status = client.Run(files);
  if (!status.ok()) ExitFailure(status.message());
  return client.rejected() > 0 ? 1 : 0;
}

int Status() {
  std::unique_ptr<VillageIntake::Stub> stub = ConnectAgent();
  AgentStatus status;
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
  sanji::KeepMallocSmall();
  sanji::BlockShutdownSignals();
  sanji::CommandLine cl = sanji::ParseCommandLineOrExit(
      argc, argv, sanji::kUsage, {"serve", "import", "status"});
  if (cl.subcommand == "serve") {
    if (!cl.args.empty())
      sanji::ExitUsage("serve takes no positional arguments");
    return sanji::Serve();
  }
  if (cl.subcommand == "import") return sanji::Import(cl.args);
  return sanji::Status();
}

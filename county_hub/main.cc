// county_hub: the county health bureau's hub (spec/interfaces.md "county_hub").
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/cli.h"
#include "common/net.h"
#include "common/program.h"
#include "common/shutdown.h"
#include "common/status_text.h"
#include "county_hub/cell_store.h"
#include "county_hub/hub_service.h"
#include "county_hub/org_directory.h"
#include "county_hub/report_engine.h"

ABSL_FLAG(std::string, county_id, "", "6-digit county code (serve).");
ABSL_FLAG(std::string, data_dir, "",
          "Directory for the hub's RocksDB data (serve).");
ABSL_FLAG(std::string, listen, "127.0.0.1:7201",
          "HOST:PORT for townships and reports (serve).");
ABSL_FLAG(std::string, http, "",
          "HOST:PORT for the dashboard (not yet supported) (serve).");
ABSL_FLAG(std::string, orgs, "",
          "CSV org_id,name of Chinese organisation names (serve).");
ABSL_FLAG(std::string, population, "",
          "Population CSV, see spec/indicators.md (serve).");
ABSL_FLAG(std::string, hub, "127.0.0.1:7201",
          "HOST:PORT of a running hub (report, status).");
ABSL_FLAG(std::string, period, "",
          "Report period, e.g. 2025, 2025-H1, 2025-Q3 (report).");
ABSL_FLAG(std::string, level, "county",
          "county, township or village (report).");
ABSL_FLAG(std::string, org, "",
          "Limit the report to this organisation (report).");
ABSL_FLAG(std::string, indicators, "",
          "Comma-separated indicator codes (report).");
ABSL_FLAG(std::string, format, "",
          "report: csv|json (default csv); status: text|json.");
ABSL_FLAG(std::string, out, "",
          "Write the report to this file instead of stdout (report).");

namespace sanji {
namespace {

constexpr char kUsage[] = R"(county_hub: the county health bureau's Sanji hub.

  county_hub serve --county_id=ID --data_dir=DIR --listen=HOST:PORT [--orgs=FILE]
                   [--population=FILE] (--insecure | --tls_cert=F --tls_key=F --tls_ca=F)
  county_hub report --hub=HOST:PORT --period=P [--level=county|township|village] [--org=ID]
                    [--indicators=CODE,...] [--format=csv|json] [--out=FILE]
  county_hub status --hub=HOST:PORT [--format=text|json]

Exit status: 0 success, 1 failure at run time, 2 bad usage.)";

int Serve() {
  std::string county = absl::GetFlag(FLAGS_county_id);
  RequireFlag("county_id", county);
  RequireFlag("data_dir", absl::GetFlag(FLAGS_data_dir));
  if (county.size() != 6 ||
      county.find_first_not_of("0123456789") != std::string::npos) {
    ExitUsage(
        absl::StrCat("--county_id=", county, " is not a 6-digit county code"));
  }
  if (!absl::GetFlag(FLAGS_http).empty()) {
    ExitUsage("--http (the dashboard) is not supported yet; leave it out");
  }
  OrgDirectory orgs;
  if (!absl::GetFlag(FLAGS_orgs).empty()) {
    absl::Status s = orgs.LoadNames(absl::GetFlag(FLAGS_orgs));
    if (!s.ok()) ExitFailure(s.message());
  }
  if (!absl::GetFlag(FLAGS_population).empty()) {
    absl::Status s = orgs.LoadPopulation(absl::GetFlag(FLAGS_population));
    if (!s.ok()) ExitFailure(s.message());
  }
  auto cells = CountyCellStore::Open(absl::GetFlag(FLAGS_data_dir), county);
  if (!cells.ok()) ExitFailure(cells.status().message());
  ReportEngine reports(county, (*cells)->store(), (*cells)->cells(), &orgs);
  HubService service(county, cells->get(), &reports);
  std::unique_ptr<grpc::Server> server =
      StartServerOrExit(absl::GetFlag(FLAGS_listen), {&service});
  std::fprintf(stderr, "county_hub: county %s listening on %s\n",
               county.c_str(), absl::GetFlag(FLAGS_listen).c_str());
  ServeUntilSignal("county_hub", server.get());
  return 0;
}

std::unique_ptr<CountyHub::Stub> ConnectHub() {
  return CountyHub::NewStub(
      ConnectOrExit(absl::GetFlag(FLAGS_hub), "county_hub", "hub"));
}

int Report() {
  RequireFlag("period", absl::GetFlag(FLAGS_period));
  std::string format = absl::GetFlag(FLAGS_format);
  if (format.empty()) format = "csv";
  ReportRequest request;
  request.set_period(absl::GetFlag(FLAGS_period));
  request.set_level(absl::GetFlag(FLAGS_level));
  request.set_org(absl::GetFlag(FLAGS_org));
  request.set_format(format);
  for (absl::string_view code : absl::StrSplit(absl::GetFlag(FLAGS_indicators),
                                               ',', absl::SkipWhitespace())) {
    request.add_indicators(std::string(code));
  }
  auto stub = ConnectHub();
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(2)));
  ReportResponse response;
  grpc::Status s = stub->Report(&context, request, &response);
  if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT)
    ExitUsage(s.error_message());
  if (!s.ok()) ExitFailure(absl::StrCat("report failed: ", s.error_message()));
  std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    std::fwrite(response.content().data(), 1, response.content().size(),
                stdout);
    return 0;
  }
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  file << response.content();
  file.close();
  if (!file) ExitFailure(absl::StrCat("cannot write ", out));
  return 0;
}

int Status() {
  auto stub = ConnectHub();
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  HubStatus status;
  grpc::Status s = stub->Status(&context, HubStatusRequest(), &status);
  if (!s.ok()) ExitFailure(absl::StrCat("status failed: ", s.error_message()));
  PrintStatusOrExit(status, absl::GetFlag(FLAGS_format));
  return 0;
}

}  // namespace
}  // namespace sanji

int main(int argc, char** argv) {
  sanji::BlockShutdownSignals();
  sanji::CommandLine cl = sanji::ParseCommandLineOrExit(
      argc, argv, sanji::kUsage, {"serve", "report", "status"});
  if (!cl.args.empty()) sanji::ExitUsage("unexpected positional arguments");
  if (cl.subcommand == "serve") return sanji::Serve();
  if (cl.subcommand == "report") return sanji::Report();
  return sanji::Status();
}

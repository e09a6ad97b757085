// county_hub: the county health bureau's hub (spec/interfaces.md "county_hub").
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/cli.h"
#include "common/http_endpoint.h"
#include "common/net.h"
#include "common/org_code.h"
#include "common/period.h"
#include "common/program.h"
#include "common/record_parse.h"
#include "common/shutdown.h"
#include "common/status_text.h"
#include "county_hub/alert_book.h"
#include "county_hub/alert_format.h"
#include "county_hub/cell_store.h"
#include "county_hub/completeness.h"
#include "county_hub/dashboard.h"
#include "county_hub/hub_service.h"
#include "county_hub/org_directory.h"
#include "county_hub/report_engine.h"
#include "county_hub/user_command.h"
#include "county_hub/work_summary.h"

ABSL_FLAG(std::string, county_id, "", "6-digit county code (serve).");
ABSL_FLAG(std::string, data_dir, "",
          "Directory for the hub's RocksDB data (serve).");
ABSL_FLAG(std::string, listen, "127.0.0.1:7201",
          "HOST:PORT for townships and reports (serve).");
ABSL_FLAG(std::string, http, "",
          "HOST:PORT for the dashboard, a web page (serve): plain HTTP on a "
          "loopback address, HTTPS with the hub's certificate elsewhere.");
ABSL_FLAG(std::string, orgs, "",
          "CSV org_id,name of Chinese organisation names (serve).");
ABSL_FLAG(std::string, population, "",
          "Population CSV, see spec/indicators.md (serve).");
ABSL_FLAG(std::string, hub, "127.0.0.1:7201",
          "HOST:PORT of a running hub (report, status).");
ABSL_FLAG(std::string, period, "",
          "Report period, e.g. 2025, 2025-H1, 2025-Q3 (report).");
ABSL_FLAG(std::string, level, "county",
          "The deepest level listed, from the scope (--org) down: county, "
          "township or village (report).");
ABSL_FLAG(std::string, org, "",
          "Limit the report to this organisation (report).");
ABSL_FLAG(std::string, indicators, "",
          "Comma-separated indicator codes (report).");
ABSL_FLAG(std::string, format, "",
          "report: csv|json|md|xlsx|dhis2|adx|fhir (default csv; xlsx needs "
          "--out or a redirected stdout); status, alerts: text|json.");
ABSL_FLAG(std::string, since, "",
          "Only alerts of cases on or after this local time, YYYY-MM-DD or "
          "YYYY-MM-DDTHH:MM[:SS] (alerts).");
ABSL_FLAG(bool, follow, false,
          "Keep printing alerts as they arrive until interrupted (alerts).");
ABSL_FLAG(uint64_t, id, 0, "Alert id to mark reviewed (alerts review).");
ABSL_FLAG(std::string, by, "",
          "Who reviewed the alert, recorded with the time (alerts review).");
// The hub stamps the data it stores with its receipt time, which decides
// whether a village's data was on time; tests must make data arrive days late
// without waiting days, so they fix the clock with this.
ABSL_FLAG(std::string, now_for_tests, "",
          "Tests only: the hub's clock for receipt times, fixed at this local "
          "time YYYY-MM-DDTHH:MM:SS (serve).");
ABSL_FLAG(std::string, out, "",
          "Write the report to this file instead of stdout (report).");
ABSL_FLAG(std::string, users, "",
          "The dashboard's users file, made with `county_hub user add` (serve "
          "with --http on a non-loopback address; user).");
ABSL_FLAG(std::string, name, "", "The user to add or remove (user).");

namespace sanji {
namespace {

constexpr char kUsage[] = R"(county_hub: the county health bureau's Sanji hub.

  county_hub serve --county_id=ID --data_dir=DIR --listen=HOST:PORT [--orgs=FILE]
                   [--population=FILE] [--http=HOST:PORT]
                   (--insecure | --tls_cert=F --tls_key=F --tls_ca=F)
      --http: the dashboard, a web page for the county office.
  county_hub report --hub=HOST:PORT --period=P [--level=county|township|village] [--org=ID]
                    [--indicators=CODE,...] [--format=csv|json|md|xlsx|dhis2|adx|fhir]
                    [--out=FILE]
      md: Markdown tables; xlsx: an Excel workbook (binary: give --out=FILE.xlsx);
      dhis2: DHIS2 dataValueSets JSON; adx: IHE ADX XML; fhir: a FHIR R4 Bundle of
      MeasureReports. dhis2, adx and fhir take calendar periods only.
  county_hub completeness --hub=HOST:PORT --period=P [--org=ID] [--format=csv|json]
  county_hub summary --hub=HOST:PORT --period=P [--org=ID] [--out=FILE]
  county_hub status --hub=HOST:PORT [--format=text|json]
  county_hub alerts --hub=HOST:PORT [--since=TIME] [--follow] [--format=text|json]
  county_hub alerts review --hub=HOST:PORT --id=ID --by=NAME
  county_hub user add --users=FILE --name=NAME
      adds a user of the dashboard, or gives NAME a new password: the password is
      read from stdin (one line), or typed twice on a terminal; 8 characters or more.
  county_hub user remove --users=FILE --name=NAME
  county_hub user list --users=FILE

serve takes --users=FILE, the dashboard's users, for a --http address that is
not a loopback one (which has no login); it is read at start.

The client commands take --tls_cert/--tls_key/--tls_ca (an operator's
certificate, deploy/pki.sh) to reach a hub that serves TLS.

Exit status: 0 success, 1 failure at run time, 2 bad usage.)";

// --now_for_tests (see its definition).
void SetTestClock(CountyCellStore* cells) {
  const std::string now = absl::GetFlag(FLAGS_now_for_tests);
  if (now.empty()) return;
  int64_t fixed = 0;
  if (!ParseLocalSeconds(now, &fixed)) {
    ExitUsage(absl::StrCat("--now_for_tests=", now,
                           " is not a time; use YYYY-MM-DDTHH:MM:SS"));
  }
  cells->SetClockForTests([fixed] { return fixed; });
}

// --http: the dashboard's endpoint, not yet started; null without the flag.
std::unique_ptr<HttpEndpoint> DashboardEndpointOrExit(
    const TransportSecurity& security) {
  const std::string listen = absl::GetFlag(FLAGS_http);
  if (listen.empty()) return nullptr;
  return HttpEndpointOrExit("http", listen, security, HttpAudience::kPeople);
}

// The dashboard's login on `endpoint`, its routes and the gate that refuses
// requests without a session: off loopback (HTTPS) the users of --users; on
// loopback none (nullptr: the page is open to this machine only).
std::unique_ptr<WebLogin> InstallLoginOrExit(HttpEndpoint* endpoint) {
  std::unique_ptr<WebLogin> login;
  if (endpoint->https()) login = WebLoginOrExit(absl::GetFlag(FLAGS_users));
  InstallLogin(&endpoint->server(), login.get());
  return login;
}

// The dashboard's routes and /metrics (behind the same login) on
// `endpoint`, which then serves (none without --http).
void StartDashboardOrExit(HttpEndpoint* endpoint, Dashboard* dashboard,
                          const NodeMetrics& metrics) {
  if (endpoint == nullptr) return;
  metrics.Install(&endpoint->server());
  dashboard->Install(&endpoint->server());
  StartHttpOrExit("county_hub", "http", endpoint);
}

int Serve() {
  SetPrivateFileModes();
  const std::string county = OrgCodeFlagOrExit(
      "county_id", absl::GetFlag(FLAGS_county_id), OrgLevel::kCounty);
  RequireFlag("data_dir", absl::GetFlag(FLAGS_data_dir));
  const TransportSecurity security =
      ServerSecurityOrExit({Identity::Kind::kCounty, county});
  std::unique_ptr<HttpEndpoint> http = DashboardEndpointOrExit(security);
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
  SetTestClock(cells->get());
  auto alerts = CountyAlertBook::Open((*cells)->mutable_store());
  if (!alerts.ok()) ExitFailure(alerts.status().message());
  ReportEngine reports(county, (*cells)->store(), (*cells)->cells(), &orgs);
  Completeness completeness(county, (*cells)->store(), (*cells)->cells(),
                            (*cells)->activity(), (*cells)->arrivals(), &orgs);
  WorkSummary summary(county, &reports, &completeness, &orgs);
  HubService service(county, cells->get(), alerts->get(), &reports, &orgs,
                     &completeness, &summary, security.self());
  NodeMetrics metrics("county_hub", [&] {
    auto status = std::make_unique<HubStatus>();
    service.FillStatus(status.get());
    return status;
  });
  std::unique_ptr<grpc::Server> server = StartServerOrExit(
      absl::GetFlag(FLAGS_listen), security, {&service}, &metrics);
  std::unique_ptr<HttpEndpoint> metrics_http =
      StartMetricsOrExit("county_hub", security, metrics);
  std::fprintf(stderr, "county_hub: county %s listening on %s\n",
               county.c_str(), absl::GetFlag(FLAGS_listen).c_str());
  std::unique_ptr<WebLogin> login =
      http ? InstallLoginOrExit(http.get()) : nullptr;
  Dashboard dashboard(county,
                      {&reports, &completeness, &summary, alerts->get(), &orgs},
                      login.get());
  StartDashboardOrExit(http.get(), &dashboard, metrics);
  // WatchAlerts calls and the dashboard's alert streams end within a second
  // of Close(), before the 5 s grace; the web page stops before gRPC does.
  ServeUntilSignal("county_hub", server.get(), [&] {
    dashboard.Shutdown();
    (*alerts)->Close();
    if (http) http->Stop();
  });
  return 0;
}

std::unique_ptr<CountyHub::Stub> ConnectHub() {
  return CountyHub::NewStub(ConnectOrExit(
      absl::GetFlag(FLAGS_hub), "county_hub", "hub", Identity::Kind::kCounty));
}

// Writes the report to --out, byte for byte, or to stdout.
void WriteReport(const std::string& content) {
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    if (std::fwrite(content.data(), 1, content.size(), stdout) !=
            content.size() ||
        std::fflush(stdout) != 0) {
      ExitFailure(absl::StrCat("cannot write the report to stdout: ",
                               std::strerror(errno)));
    }
    return;
  }
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  file.write(content.data(), static_cast<std::streamsize>(content.size()));
  file.close();
  if (!file) {
    ExitFailure(absl::StrCat("cannot write ", out, ": ", std::strerror(errno),
                             "; check the directory exists and is writable"));
  }
}

// A document call (report, completeness, summary) with a 2-minute deadline:
// its content, or exit 2 for a request the hub calls invalid (a bad period,
// org or format) and 1 for any other failure, named by `what`.
std::string DocumentOrExit(
    const char* what,
    const std::function<grpc::Status(grpc::ClientContext*, ReportResponse*)>&
        call) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(2)));
  ReportResponse response;
  grpc::Status s = call(&context, &response);
  if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    ExitUsage(s.error_message());
  }
  if (!s.ok()) ExitFailure(absl::StrCat(what, " failed: ", s.error_message()));
  return std::move(*response.mutable_content());
}

int Report() {
  RequireFlag("period", absl::GetFlag(FLAGS_period));
  std::string format = absl::GetFlag(FLAGS_format);
  if (format.empty()) format = "csv";
  if (format == "xlsx" && absl::GetFlag(FLAGS_out).empty() &&
      isatty(STDOUT_FILENO)) {
    ExitUsage(
        "--format=xlsx makes a binary Excel workbook, not text for a "
        "terminal: give --out=FILE.xlsx (or redirect stdout to a file)");
  }
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
  WriteReport(DocumentOrExit(
      "report", [&](grpc::ClientContext* c, ReportResponse* response) {
        return stub->Report(c, request, response);
      }));
  return 0;
}

int CompletenessCommand() {
  RequireFlag("period", absl::GetFlag(FLAGS_period));
  CompletenessRequest request;
  request.set_period(absl::GetFlag(FLAGS_period));
  request.set_org(absl::GetFlag(FLAGS_org));
  request.set_format(absl::GetFlag(FLAGS_format));
  auto stub = ConnectHub();
  const std::string content = DocumentOrExit(
      "completeness", [&](grpc::ClientContext* c, ReportResponse* response) {
        return stub->Completeness(c, request, response);
      });
  std::fwrite(content.data(), 1, content.size(), stdout);
  return 0;
}

int SummaryCommand() {
  RequireFlag("period", absl::GetFlag(FLAGS_period));
  SummaryRequest request;
  request.set_period(absl::GetFlag(FLAGS_period));
  request.set_org(absl::GetFlag(FLAGS_org));
  auto stub = ConnectHub();
  WriteReport(DocumentOrExit(
      "summary", [&](grpc::ClientContext* c, ReportResponse* response) {
        return stub->Summary(c, request, response);
      }));
  return 0;
}

int Status() {
  auto stub = ConnectHub();
  HubStatus status;
  CallStatusOrExit(
      [&](grpc::ClientContext* c) {
        return stub->Status(c, HubStatusRequest(), &status);
      },
      status, absl::GetFlag(FLAGS_format));
  return 0;
}

std::string AlertFormatOrExit() {
  std::string format = absl::GetFlag(FLAGS_format);
  if (format.empty()) format = "text";
  if (format != "text" && format != "json") {
    ExitUsage(absl::StrCat("--format=", format,
                           " is not an alerts format; use text or json"));
  }
  return format;
}

int ReviewAlert() {
  RequireFlag("by", absl::GetFlag(FLAGS_by));
  if (absl::GetFlag(FLAGS_id) == 0)
    ExitUsage("--id is required: the alert's id as `county_hub alerts` shows");
  std::string format = AlertFormatOrExit();
  ReviewAlertRequest request;
  request.set_id(absl::GetFlag(FLAGS_id));
  request.set_by(absl::GetFlag(FLAGS_by));
  auto stub = ConnectHub();
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  AlertEntry entry;
  grpc::Status s = stub->ReviewAlert(&context, request, &entry);
  if (!s.ok()) ExitFailure(absl::StrCat("review failed: ", s.error_message()));
  std::printf("%s\n",
              (format == "json" ? AlertJson(entry) : AlertText(entry)).c_str());
  return 0;
}

// One WatchAlerts call: the list (newest first) once it is caught up, unless
// `*listed` says it was printed before; then, with follow, every change, until
// the call ends. Only entries of a change after *last_change are printed, so
// that a call made again after a dropped connection prints what changed in
// between and nothing twice.
grpc::Status WatchOnce(CountyHub::Stub* stub, const WatchAlertsRequest& request,
                       const std::string& format, bool* listed,
                       uint64_t* last_change) {
  grpc::ClientContext context;
  if (!request.follow()) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(2)));
  }
  auto print = [&](const AlertEntry& entry) {
    *last_change = std::max(*last_change, entry.change());
    std::printf(
        "%s\n",
        (format == "json" ? AlertJson(entry) : AlertText(entry)).c_str());
    std::fflush(stdout);
  };
  std::unique_ptr<grpc::ClientReader<AlertEvent>> reader =
      stub->WatchAlerts(&context, request);
  std::vector<AlertEntry> first;
  bool caught_up = false;
  AlertEvent event;
  while (reader->Read(&event)) {
    if (event.caught_up()) {
      caught_up = true;
      if (!*listed) SortNewestFirst(&first);
      for (const AlertEntry& entry : first) {
        if (!*listed || entry.change() > *last_change) print(entry);
      }
      if (format == "text" && first.empty() && !*listed) {
        std::fprintf(stderr, "county_hub: no alerts%s\n",
                     request.since() ? " since then" : "");
      }
      *listed = true;
    } else if (caught_up) {
      print(event.entry());
    } else {
      first.push_back(event.entry());
    }
  }
  return reader->Finish();
}

// Lists the alerts newest first; with --follow, then prints each change as it
// arrives until interrupted, calling again when the hub drops the connection
// (a restart, or the hourly end of a TLS connection).
int ListAlerts() {
  std::string format = AlertFormatOrExit();
  WatchAlertsRequest request;
  if (std::string since = absl::GetFlag(FLAGS_since); !since.empty()) {
    int64_t local = 0;
    if (!ParseLocalSeconds(since, &local)) {
      ExitUsage(absl::StrCat("--since=", since,
                             " is not a time; use YYYY-MM-DD or "
                             "YYYY-MM-DDTHH:MM[:SS] (local time)"));
    }
    request.set_since(local);
  }
  request.set_follow(absl::GetFlag(FLAGS_follow));
  auto stub = ConnectHub();
  bool listed = false;
  uint64_t last_change = 0;
  while (true) {
    grpc::Status s =
        WatchOnce(stub.get(), request, format, &listed, &last_change);
    if (s.ok() && !request.follow()) return 0;
    if (!request.follow() || !listed ||
        s.error_code() != grpc::StatusCode::UNAVAILABLE) {
      ExitFailure(absl::StrCat("alerts failed: ", s.error_message()));
    }
    std::fprintf(stderr,
                 "county_hub: the hub dropped the connection (%s); "
                 "following again\n",
                 s.error_message().c_str());
    absl::SleepFor(absl::Seconds(1));
  }
}

int User(const std::vector<std::string>& args) {
  return UserCommand(args, absl::GetFlag(FLAGS_users),
                     absl::GetFlag(FLAGS_name));
}

int Alerts(const std::vector<std::string>& args) {
  if (args.empty()) return ListAlerts();
  if (args.size() == 1 && args[0] == "review") return ReviewAlert();
  ExitUsage(absl::StrCat("unknown alerts action '", args[0],
                         "'; the only one is `alerts review`"));
  return 2;
}

}  // namespace
}  // namespace sanji

int main(int argc, char** argv) {
  sanji::BlockShutdownSignals();
  sanji::CommandLine cl =
      sanji::ParseCommandLineOrExit(argc, argv, sanji::kUsage,
                                    {"serve", "report", "completeness",
                                     "summary", "status", "alerts", "user"});
  if (cl.subcommand == "alerts") return sanji::Alerts(cl.args);
  if (cl.subcommand == "user") return sanji::User(cl.args);
  if (!cl.args.empty()) sanji::ExitUsage("unexpected positional arguments");
  if (cl.subcommand == "serve") return sanji::Serve();
  if (cl.subcommand == "report") return sanji::Report();
  if (cl.subcommand == "completeness") return sanji::CompletenessCommand();
  if (cl.subcommand == "summary") return sanji::SummaryCommand();
  return sanji::Status();
}

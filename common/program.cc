#include "common/program.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/cli.h"
#include "common/net.h"
#include "common/shutdown.h"
#include "common/status_text.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "openssl/ssl.h"
#include "openssl/x509.h"

ABSL_FLAG(std::string, metrics, "",
          "HOST:PORT to serve Prometheus metrics at /metrics (serve); off "
          "loopback HTTPS that requires a client certificate of --tls_ca.");

namespace sanji {

namespace {

// Raises the soft limit on open files to the hard limit. Every connection
// takes a descriptor, and gRPC (1.51) stops accepting connections for good
// once accept() has failed with EMFILE, so a node left at the common default
// soft limit of 1024 would be cut off from every peer by ~1000 idle
// connections. RocksDB needs descriptors too.
void RaiseOpenFileLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max)
    return;
  // An unlimited hard limit still stops at fs.nr_open (2^20 by default).
  limit.rlim_cur =
      limit.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    std::perror("raising the open-file limit (RLIMIT_NOFILE)");
  }
}

}  // namespace

void SetPrivateFileModes() { umask(077); }

std::string OrgCodeFlagOrExit(const char* flag, const std::string& value,
                              OrgLevel level) {
  RequireFlag(flag, value);
  if (!IsCodeAt(value, level)) {
    ExitUsage(absl::StrCat("--", flag, "=", value, " is not a ",
                           CodeLength(level), "-digit ", LevelName(level),
                           " code"));
  }
  return value;
}

StorageBudget StorageBudgetOrExit(int64_t max_buffer_mb,
                                  int64_t min_free_disk_mb) {
  if (max_buffer_mb <= 0) ExitUsage("--max_buffer_mb must be positive");
  StorageBudget budget;
  budget.max_buffer_bytes = static_cast<uint64_t>(max_buffer_mb) << 20;
  budget.min_free_disk_bytes =
      static_cast<uint64_t>(std::max<int64_t>(0, min_free_disk_mb)) << 20;
  return budget;
}

namespace {

TransportSecurity SecurityOrExit(absl::StatusOr<TransportSecurity> security) {
  if (security.ok()) return *std::move(security);
  if (absl::IsInvalidArgument(security.status())) {
    ExitUsage(security.status().message());
  }
  ExitFailure(security.status().message());  // a file to fix
}

}  // namespace

TransportSecurity ServerSecurityOrExit(const Identity& self) {
  return SecurityOrExit(TransportSecurity::ForServer(self));
}

TransportSecurity ClientSecurityOrExit() {
  return SecurityOrExit(TransportSecurity::ForClient());
}

std::unique_ptr<HttpEndpoint> HttpEndpointOrExit(
    const char* flag, const std::string& listen,
    const TransportSecurity& security, HttpAudience audience,
    size_t max_body_bytes) {
  HttpEndpoint::Options options;
  options.listen = listen;
  options.max_body_bytes = max_body_bytes;
  if (!IsLoopbackAddress(listen)) {
    if (audience == HttpAudience::kLoopbackOnly) {
      ExitUsage(absl::StrCat("--", flag, "=", listen,
                             " is not a loopback address: this page is for "
                             "the clinic's own PC; use 127.0.0.1:PORT"));
    }
    if (!security.tls()) {
      ExitUsage(absl::StrCat(
          "--", flag, "=", listen,
          " is not a loopback address, so it is served over HTTPS with the "
          "node's certificate: pass --tls_cert, --tls_key and --tls_ca "
          "(or use 127.0.0.1:PORT)"));
    }
    options.cert = security.files()->cert;
    options.key = security.files()->key;
    if (audience == HttpAudience::kScraper) {
      options.client_ca = security.files()->ca;
    }
  }
  absl::StatusOr<std::unique_ptr<HttpEndpoint>> endpoint =
      HttpEndpoint::Create(options);
  if (absl::IsInvalidArgument(endpoint.status())) {
    ExitUsage(absl::StrCat("--", flag, ": ", endpoint.status().message()));
  }
  if (!endpoint.ok()) ExitFailure(endpoint.status().message());
  return *std::move(endpoint);
}

void StartHttpOrExit(const char* program, const char* flag,
                     HttpEndpoint* endpoint) {
  // OpenSSL writes to an HTTPS connection with write(2): a browser that
  // leaves mid-answer must cost that connection an EPIPE, not the node its
  // life.
  std::signal(SIGPIPE, SIG_IGN);
  if (absl::Status s = endpoint->Start(); !s.ok()) {
    ExitFailure(absl::StrCat("--", flag, ": ", s.message()));
  }
  std::fprintf(stderr, "%s: --%s serving %s port %d\n", program, flag,
               endpoint->https() ? "HTTPS" : "HTTP", endpoint->port());
}

namespace {

// Why a request for /metrics is refused; "" when it may read them. Over
// HTTPS (off loopback) an operator's certificate only, as for the Status
// calls (a village's key sits on a clinic PC); on loopback only this
// machine's Host names (DNS rebinding).
std::string MetricsRefusal(const httplib::Request& request, bool https) {
  if (!https) {
    return IsLoopbackHost(request.get_header_value("Host"))
               ? ""
               : "the metrics are served to this machine's own names only";
  }
  X509* cert =
      request.ssl == nullptr ? nullptr : SSL_get_peer_certificate(request.ssl);
  absl::StatusOr<Identity> peer = IdentityOfCertificate(cert);
  X509_free(cert);
  if (peer.ok() && peer->kind == Identity::Kind::kOperator) return "";
  return absl::StrCat(
      "only an operator's certificate may read the metrics; this one ",
      peer.ok() ? absl::StrCat("names ", peer->ToString())
                : std::string(peer.status().message()));
}

}  // namespace

std::unique_ptr<HttpEndpoint> StartMetricsOrExit(
    const char* program, const TransportSecurity& security,
    const NodeMetrics& metrics) {
  const std::string listen = absl::GetFlag(FLAGS_metrics);
  if (listen.empty()) return nullptr;
  std::unique_ptr<HttpEndpoint> endpoint =
      HttpEndpointOrExit("metrics", listen, security, HttpAudience::kScraper);
  endpoint->server().set_pre_routing_handler(
      [https = endpoint->https()](const httplib::Request& request,
                                  httplib::Response& response) {
        const std::string refusal = MetricsRefusal(request, https);
        if (refusal.empty()) return httplib::Server::HandlerResponse::Unhandled;
        response.status = 403;
        response.set_content(refusal + "\n", "text/plain; charset=utf-8");
        return httplib::Server::HandlerResponse::Handled;
      });
  metrics.Install(&endpoint->server());
  StartHttpOrExit(program, "metrics", endpoint.get());
  return endpoint;
}

std::unique_ptr<grpc::Server> StartServerOrExit(
    const std::string& listen, const TransportSecurity& security,
    const std::vector<grpc::Service*>& services, NodeMetrics* metrics) {
  RaiseOpenFileLimit();
  // Both must come before the builder: they register with every server
  // built afterwards.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (metrics != nullptr) {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(metrics->InterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
  }
  ConfigureServer(&builder);
  security.ConfigureServer(&builder);
  int port = 0;
  builder.AddListeningPort(listen, security.ServerCredentials(), &port);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    ExitFailure(absl::StrCat("cannot listen on ", listen,
                             ": is the address valid and the port free?"));
  }
  return server;
}

void ServeUntilSignal(const char* program, grpc::Server* server,
                      const std::function<void()>& before_shutdown) {
  int sig = WaitForShutdownSignal();
  std::fprintf(stderr, "%s: signal %d, shutting down\n", program, sig);
  // Health watchers hear NOT_SERVING now, while the calls in flight finish.
  if (grpc::HealthCheckServiceInterface* health =
          server->GetHealthCheckService();
      health != nullptr) {
    health->Shutdown();
  }
  if (before_shutdown) before_shutdown();
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
}

std::shared_ptr<grpc::Channel> ConnectOrExit(const std::string& target,
                                             const char* program,
                                             const char* flag,
                                             Identity::Kind server_kind) {
  const TransportSecurity security = ClientSecurityOrExit();
  const TransportSecurity plaintext = TransportSecurity::Plaintext();
  std::vector<const TransportSecurity*> tries = {&security};
  // The agent's intake is plaintext on a loopback address: with TLS flags,
  // TLS first (an agent listening on every address serves TLS on loopback
  // too), then plaintext.
  if (security.tls() && server_kind == Identity::Kind::kVillage &&
      IsLoopbackAddress(target)) {
    tries.push_back(&plaintext);
  }
  auto check = std::make_shared<ServerIdentityCheck>(server_kind);
  for (size_t i = 0; i < tries.size(); ++i) {
    std::shared_ptr<grpc::Channel> channel =
        MakeChannel(target, tries[i]->ChannelCredentials(check));
    // A TLS handshake takes a few ms here, but seconds on an old clinic PC
    // or under a sanitizer: give it time before calling the node absent.
    const absl::Duration wait = !tries[i]->tls()       ? absl::Seconds(3)
                                : i + 1 < tries.size() ? absl::Seconds(5)
                                                       : absl::Seconds(10);
    if (WaitConnected(channel.get(), wait, target).ok()) return channel;
  }
  if (const std::string refusal = check->last_refusal(); !refusal.empty()) {
    ExitFailure(absl::StrCat(target, ": ", refusal));
  }
  ExitFailure(absl::StrCat(
      "no ", program, " answers at ", target, ": start it with `", program,
      " serve ...` or fix --", flag,
      security.tls() ? ""
                     : "; if it serves mutual TLS, pass --tls_cert, --tls_key "
                       "and --tls_ca (an operator's certificate, "
                       "deploy/pki.sh)"));
}

void CallStatusOrExit(
    const std::function<grpc::Status(grpc::ClientContext*)>& call,
    const google::protobuf::Message& reply, const std::string& format) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  grpc::Status s = call(&context);
  if (!s.ok()) ExitFailure(absl::StrCat("status failed: ", s.error_message()));
  PrintStatusOrExit(reply, format);
}

void PrintStatusOrExit(const google::protobuf::Message& message,
                       const std::string& format) {
  if (format == "json") {
    std::fputs(FormatStatusJson(message).c_str(), stdout);
  } else if (format == "text" || format.empty()) {
    std::fputs(FormatStatusText(message).c_str(), stdout);
  } else {
    ExitUsage("--format must be text or json");
  }
}

}  // namespace sanji

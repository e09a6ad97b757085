#include "common/http_endpoint.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/net.h"
#include "nlohmann/json.hpp"

namespace sanji {
namespace {

// HOST:PORT or [V6]:PORT into the host cpp-httplib binds and the port.
absl::Status SplitListen(absl::string_view listen, std::string* host,
                         int* port) {
  const size_t colon = listen.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", listen, "' is not HOST:PORT (e.g. 127.0.0.1:8080)"));
  }
  absl::string_view h = listen.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  }
  if (!absl::SimpleAtoi(listen.substr(colon + 1), port) || *port < 0 ||
      *port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", listen, "' has no port number 0-65535"));
  }
  *host = std::string(h);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Create(
    const Options& options) {
  std::string host;
  int port = 0;
  if (absl::Status s = SplitListen(options.listen, &host, &port); !s.ok()) {
    return s;
  }
  std::unique_ptr<httplib::Server> server;
  const bool https = !options.cert.empty();
  if (https) {
    auto ssl = std::make_unique<httplib::SSLServer>(
        options.cert.c_str(), options.key.c_str(),
        options.client_ca.empty() ? nullptr : options.client_ca.c_str());
    if (!ssl->is_valid()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot serve HTTPS with ", options.cert, " and ", options.key,
          options.client_ca.empty() ? "" : " and ", options.client_ca,
          ": check they are the node's certificate and key (PEM)"));
    }
    server = std::move(ssl);
  } else {
    server = std::make_unique<httplib::Server>();
  }
  const int threads = options.threads;
  server->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  // An idle keep-alive connection holds a pool thread, and Stop() waits for
  // it: a browser's would keep a stopping node up for httplib's default 5 s.
  server->set_keep_alive_timeout(1);
  server->set_read_timeout(10, 0);
  server->set_write_timeout(10, 0);
  server->set_payload_max_length(options.max_body_bytes);
  return std::unique_ptr<HttpEndpoint>(
      new HttpEndpoint(std::move(server), https, std::move(host), port));
}

HttpEndpoint::HttpEndpoint(std::unique_ptr<httplib::Server> server, bool https,
                           std::string host, int port)
    : server_(std::move(server)),
      https_(https),
      host_(std::move(host)),
      port_(port) {}

HttpEndpoint::~HttpEndpoint() { Stop(); }

absl::Status HttpEndpoint::Start() {
  const std::string address = absl::StrCat(host_, ":", port_);
  if (port_ == 0) {
    port_ = server_->bind_to_any_port(host_.c_str());
    if (port_ < 0) port_ = 0;
  } else if (!server_->bind_to_port(host_.c_str(), port_)) {
    port_ = 0;
  }
  if (port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", address,
        ": the port is taken or the address is not this machine's"));
  }
  listener_ = std::thread([this] { server_->listen_after_bind(); });
  return absl::OkStatus();
}

void HttpEndpoint::Stop() {
  if (!listener_.joinable()) return;
  server_->stop();
  listener_.join();
}

bool IsLoopbackHost(absl::string_view host) {
  host = absl::StripAsciiWhitespace(host);
  if (host.empty()) return false;
  const std::string lower = absl::AsciiStrToLower(host);
  // A bare IPv6 address has colons of its own; IsLoopbackAddress wants a port.
  if (lower.find(':') != lower.rfind(':') && lower.front() != '[') {
    return IsLoopbackAddress(absl::StrCat("[", lower, "]:0"));
  }
  return IsLoopbackAddress(
      lower.find(':') == std::string::npos ? absl::StrCat(lower, ":0") : lower);
}

void ReplyJson(httplib::Response* response, const std::string& json,
               int status) {
  response->status = status;
  response->set_header("Cache-Control", "no-store");
  response->set_content(json, "application/json; charset=utf-8");
}

void ReplyError(httplib::Response* response, int status,
                const std::string& message) {
  // The message may echo a request's bytes: invalid UTF-8 is replaced, not
  // thrown.
  ReplyJson(response,
            nlohmann::json{{"error", message}}.dump(
                -1, ' ', false, nlohmann::json::error_handler_t::replace),
            status);
}

}  // namespace sanji

// One HTTP or HTTPS server on one address: the county dashboard, the clinic
// page and /metrics are routes on it. A thin owner of cpp-httplib's server
// (Debian's libcpp-httplib-dev): it binds, listens on a thread of its own,
// answers with a bounded pool of threads, and stops.
//
// Why cpp-httplib: our pages are small JSON and static files for a handful of
// county staff, a clinic PC or a Prometheus scraper, so a blocking server with
// a bounded thread pool fits, and its synchronous handlers call the same
// thread-safe code as the gRPC handlers. It does HTTPS with OpenSSL (which the
// node already links) from the node's PEM files, and streams chunked responses
// (server-sent events for the alert line list). civetweb (C, callbacks) and
// Boost.Beast (asynchronous, a large dependency) would cost more code for
// nothing these pages need.
//
// Which address needs what is decided by the caller (common/program.h): plain
// HTTP is only ever served on a loopback address.
//
// Thread-safety: add routes to server() before Start(); handlers run on the
// pool's threads. Stop() and the destructor wait for the listening thread.
#ifndef SANJI_COMMON_HTTP_ENDPOINT_H_
#define SANJI_COMMON_HTTP_ENDPOINT_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "httplib.h"

namespace sanji {

class HttpEndpoint {
 public:
  struct Options {
    std::string listen;  // HOST:PORT; port 0 picks a free one
    // HTTPS from these PEM files when `cert` is set; plain HTTP otherwise.
    std::string cert;
    std::string key;
    // With HTTPS and this set, a client must show a certificate of this CA
    // (a scraper of /metrics off loopback), else the handshake fails.
    std::string client_ca;
    // Requests answered at once; more wait in the queue. Each open
    // server-sent-event stream holds one.
    int threads = 16;
    // Larger request bodies are refused (413) before they are read whole.
    size_t max_body_bytes = 64 << 10;
  };

  // The server, not yet listening: InvalidArgument for a bad address,
  // FailedPrecondition when the HTTPS files cannot be used.
  static absl::StatusOr<std::unique_ptr<HttpEndpoint>> Create(
      const Options& options);
  ~HttpEndpoint();

  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // Where routes are added, before Start().
  httplib::Server& server() { return *server_; }
  bool https() const { return https_; }

  // Binds (Unavailable with the reason when the address is taken or not
  // ours) and serves on a thread of its own.
  absl::Status Start();
  // The bound port (after Start()).
  int port() const { return port_; }
  // Stops listening, waits for the thread; idempotent.
  void Stop();

 private:
  HttpEndpoint(std::unique_ptr<httplib::Server> server, bool https,
               std::string host, int port);

  std::unique_ptr<httplib::Server> server_;
  const bool https_;
  const std::string host_;
  int port_;
  std::thread listener_;
};

// True when `host` (a Host header's value, or an Origin's host, with or
// without a port) names this machine's loopback interface. A page served
// without a login on loopback refuses any other Host: a web page of another
// site could otherwise read it through a DNS name re-bound to 127.0.0.1.
bool IsLoopbackHost(absl::string_view host);

// A JSON body with its content type, for handlers.
void ReplyJson(httplib::Response* response, const std::string& json,
               int status = 200);
// {"error": message} with `status`: what the pages show (zh-CN for people).
void ReplyError(httplib::Response* response, int status,
                const std::string& message);

}  // namespace sanji

#endif  // SANJI_COMMON_HTTP_ENDPOINT_H_

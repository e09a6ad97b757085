// The parts every Sanji program's main shares: check the flags every node
// takes, start a gRPC server or exit with a reason, connect to a running node
// or exit saying how to start it, print a status message, and serve until
// SIGTERM/SIGINT.
#ifndef SANJI_COMMON_PROGRAM_H_
#define SANJI_COMMON_PROGRAM_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/http_endpoint.h"
#include "common/identity.h"
#include "common/node_metrics.h"
#include "common/org_code.h"
#include "common/tls.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"

namespace sanji {

// The organisation code a `serve` command is given in --FLAG (e.g.
// --village_id): exits 2 when it is missing or not a code of `level`.
std::string OrgCodeFlagOrExit(const char* flag, const std::string& value,
                              OrgLevel level);

// What a node may hold and must keep free, from --max_buffer_mb and
// --min_free_disk_mb; exits 2 when the buffer is not positive. A negative
// reserve is none.
struct StorageBudget {
  uint64_t max_buffer_bytes = 0;
  uint64_t min_free_disk_bytes = 0;
};
StorageBudget StorageBudgetOrExit(int64_t max_buffer_mb,
                                  int64_t min_free_disk_mb);

// Files this process creates from now on are its user's alone (umask 077):
// a node's RocksDB files 0600, its directories 0700 (spec "Files at rest").
void SetPrivateFileModes();

// The transport security of a `serve` command whose certificate must name
// `self`; exits 2 when the flags give none, or some of the TLS flags, and 1
// when the certificate or key cannot be used (TransportSecurity::ForServer).
TransportSecurity ServerSecurityOrExit(const Identity& self);
// The same for a client command: plaintext without TLS flags.
TransportSecurity ClientSecurityOrExit();

// Builds and starts a server on `listen` with `security`, gRPC health
// checking (SERVING until shutdown) and server reflection beside `services`,
// its calls counted in `metrics` (when given); exits 1 when the address
// cannot be bound.
std::unique_ptr<grpc::Server> StartServerOrExit(
    const std::string& listen, const TransportSecurity& security,
    const std::vector<grpc::Service*>& services,
    NodeMetrics* metrics = nullptr);

// /metrics on --metrics=HOST:PORT (HttpAudience::kScraper), started; null
// when the flag is not given.
std::unique_ptr<HttpEndpoint> StartMetricsOrExit(
    const char* program, const TransportSecurity& security,
    const NodeMetrics& metrics);

// Who an HTTP address of a node (--http, --metrics) is for, which decides
// what it needs off loopback. On a loopback address every audience gets plain
// HTTP.
enum class HttpAudience {
  // The county dashboard: elsewhere HTTPS with the node's certificate, and a
  // login (county_hub/web_login.h).
  kPeople,
  // The clinic page: loopback only.
  kLoopbackOnly,
  // /metrics: elsewhere HTTPS that requires a client certificate of the
  // county's CA (a Prometheus with an operator's certificate).
  kScraper,
};

// The endpoint for --FLAG=LISTEN, not yet started (add routes, then
// StartHttpOrExit); exits 2 when the address does not suit the audience (a
// clinic page off loopback; HTTPS wanted and no TLS flags), saying what would.
// `max_body_bytes`: the largest request body it takes (a clinic's upload).
std::unique_ptr<HttpEndpoint> HttpEndpointOrExit(
    const char* flag, const std::string& listen,
    const TransportSecurity& security, HttpAudience audience,
    size_t max_body_bytes = 64 << 10);
// Starts it, or exits 1 when it cannot listen, and tells stderr its URL.
// From then on the process ignores SIGPIPE (a peer gone mid-answer is an
// error on that connection only).
void StartHttpOrExit(const char* program, const char* flag,
                     HttpEndpoint* endpoint);

// Waits for SIGTERM/SIGINT, tells health checkers NOT_SERVING, runs
// `before_shutdown` (e.g. to end long-lived calls), then shuts `server` down
// (in-flight calls get 5 s).
void ServeUntilSignal(const char* program, grpc::Server* server,
                      const std::function<void()>& before_shutdown = nullptr);

// A channel to a running `program` at `target`, a node of `server_kind`,
// with the transport security of the flags (plaintext to an agent's loopback
// intake); exits 1 with how to start it if none answers, or with why its
// certificate was refused.
std::shared_ptr<grpc::Channel> ConnectOrExit(const std::string& target,
                                             const char* program,
                                             const char* flag,
                                             Identity::Kind server_kind);

// The `status` subcommand's call: runs `call` (a unary Status call made on the
// context it is given) with a 30 s deadline, exits 1 with the reason if it
// fails, and prints `reply` (what the call filled) as PrintStatusOrExit does.
void CallStatusOrExit(
    const std::function<grpc::Status(grpc::ClientContext*)>& call,
    const google::protobuf::Message& reply, const std::string& format);

// Prints `message` as `key: value` lines (format "text") or JSON ("json");
// exits 2 otherwise.
void PrintStatusOrExit(const google::protobuf::Message& message,
                       const std::string& format);

}  // namespace sanji

#endif  // SANJI_COMMON_PROGRAM_H_

// A node's Prometheus metrics (spec/interfaces.md "Observability"), in the
// text exposition format at /metrics:
//
//   sanji_grpc_server_handled_total{grpc_method,grpc_code}     counter
//   sanji_grpc_server_handling_seconds{grpc_method,grpc_code}  histogram
//       every call the node's gRPC server ends (a stream: its whole life),
//       counted by an interceptor the server is built with (health checks
//       excepted);
//   sanji_<program>_<field>                                    gauge
//   sanji_<program>_records_<what>_total                       counter
//   sanji_<program>_<field>_timestamp_seconds                  gauge
//   (*_unix_ms) sanji_<program>_link_state{state}                          1
//   for the state sanji_<program>_<list>_<field>{<id field>=ID} per peer
//       the node's own numbers: the message its `status` command prints,
//       taken at each scrape from the same function, so that the two never
//       differ. Numeric fields become metrics by name; a repeated message
//       (a township's villages, the county's townships) gives one series per
//       element, labelled by its first string field.
//
// Thread-safety: thread-safe. The status source is called on the scraping
// thread, and must be safe to call from any thread.
#ifndef SANJI_COMMON_NODE_METRICS_H_
#define SANJI_COMMON_NODE_METRICS_H_

#include <functional>
#include <memory>
#include <string>

#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/server_interceptor.h"
#include "httplib.h"

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Counter;
class Histogram;
}  // namespace prometheus

namespace sanji {

namespace node_metrics_internal {
struct CallMetrics;  // the call counters (node_metrics.cc)
}  // namespace node_metrics_internal

class NodeMetrics {
 public:
  // A fresh status message of the node, filled as `status` fills it.
  using StatusSource =
      std::function<std::unique_ptr<google::protobuf::Message>()>;

  // `program` (village_agent, township_node, county_hub) names the status
  // metrics.
  NodeMetrics(std::string program, StatusSource status);
  ~NodeMetrics();

  NodeMetrics(const NodeMetrics&) = delete;
  NodeMetrics& operator=(const NodeMetrics&) = delete;

  // The interceptor factory a gRPC server is built with, to count its calls.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  InterceptorFactory();
  // Counts one finished call (the interceptor's end).
  void CountCall(const std::string& method, grpc::StatusCode code,
                 double seconds);

  // The exposition text of every metric now.
  std::string Scrape() const;
  // GET /metrics on `server`, answering Scrape().
  void Install(httplib::Server* server) const;

 private:
  const std::string program_;
  const StatusSource status_;
  std::shared_ptr<prometheus::Registry> registry_;
  // Shared with every call's interceptor: gRPC destroys a callback call's
  // context, and so the interceptor that counts it, on its own thread,
  // possibly after the server's destructor has returned and this object is
  // gone.
  std::shared_ptr<node_metrics_internal::CallMetrics> calls_;
};

}  // namespace sanji

#endif  // SANJI_COMMON_NODE_METRICS_H_

#include "common/node_metrics.h"

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace sanji {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

const char* CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : "UNKNOWN";
}

}  // namespace

namespace node_metrics_internal {

struct CallMetrics {
  explicit CallMetrics(std::shared_ptr<prometheus::Registry> r)
      : registry(std::move(r)),
        calls(&prometheus::BuildCounter()
                   .Name("sanji_grpc_server_handled_total")
                   .Help("gRPC calls the node's server ended, by method and "
                         "status code")
                   .Register(*registry)),
        latency(&prometheus::BuildHistogram()
                     .Name("sanji_grpc_server_handling_seconds")
                     .Help("How long the node's gRPC calls lasted (a stream: "
                           "its whole life), by method and status code")
                     .Register(*registry)) {}

  void Count(const std::string& method, grpc::StatusCode code,
             double seconds) const {
    const prometheus::Labels labels = {{"grpc_method", method},
                                       {"grpc_code", CodeName(code)}};
    calls->Add(labels).Increment();
    static const auto* const kBuckets =
        new prometheus::Histogram::BucketBoundaries{
            0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 60, 600, 3600};
    latency->Add(labels, *kBuckets).Observe(seconds);
  }

  // Owns the families below (kept alive by the last interceptor).
  const std::shared_ptr<prometheus::Registry> registry;
  prometheus::Family<prometheus::Counter>* const calls;
  prometheus::Family<prometheus::Histogram>* const latency;
};

}  // namespace node_metrics_internal

namespace {

// The interceptors' one mutex (see CallCounter). Constant-initialized: it
// exists before any thread, so TSan sees no creation of it to order.
ABSL_CONST_INIT absl::Mutex call_counters_mu(absl::kConstInit);

// Counts the call it watches when the call ends, with the status it sent
// (CANCELLED when it sent none: the peer went away). On the callback API
// (township Sync) it is created, its hooks run and it ends on different
// threads, ordered by gRPC's own atomics, which ThreadSanitizer cannot see
// in the uninstrumented library: call_counters_mu makes the order visible.
// Not a mutex of the interceptor's own: the thread that runs the first hook
// would lock it without seeing it constructed (a TSan report in
// hostile_peers: the mutex's construction on the thread that created the
// call against its Lock in Intercept on another). The critical sections are
// a few loads and stores.
class CallCounter final : public grpc::experimental::Interceptor {
 public:
  CallCounter(std::shared_ptr<node_metrics_internal::CallMetrics> metrics,
              std::string method)
      : metrics_(std::move(metrics)),
        method_(std::move(method)),
        start_(absl::Now()) {
    absl::MutexLock lock(&call_counters_mu);  // publishes the fields above
  }
  ~CallCounter() override {
    grpc::StatusCode code;
    {
      absl::MutexLock lock(&call_counters_mu);
      code = code_;
    }
    metrics_->Count(method_, code, absl::ToDoubleSeconds(absl::Now() - start_));
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    {
      absl::MutexLock lock(&call_counters_mu);
      if (methods->QueryInterceptionHookPoint(
              grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
        code_ = methods->GetSendStatus().error_code();
      }
    }
    methods->Proceed();
  }

 private:
  const std::shared_ptr<node_metrics_internal::CallMetrics> metrics_;
  const std::string method_;
  const absl::Time start_;
  grpc::StatusCode code_ ABSL_GUARDED_BY(call_counters_mu) =
      grpc::StatusCode::CANCELLED;
};

class CallCounterFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallCounterFactory(
      std::shared_ptr<node_metrics_internal::CallMetrics> metrics)
      : metrics_(std::move(metrics)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    absl::string_view method = info->method();
    absl::ConsumePrefix(&method, "/");
    // Health checks are not counted: probes every few seconds would drown
    // the node's own calls, and gRPC serves them on its callback API, whose
    // interceptor bookkeeping happens in the (uninstrumented) library where
    // ThreadSanitizer cannot see it ordered before the call's end. nullptr:
    // no interceptor for this call.
    if (absl::StartsWith(method, "grpc.health.")) return nullptr;
    return new CallCounter(metrics_, std::string(method));
  }

 private:
  const std::shared_ptr<node_metrics_internal::CallMetrics> metrics_;
};

// A numeric field's value, or nullopt for any other field.
std::optional<double> NumberOf(const Message& m, const FieldDescriptor* f) {
  const Reflection* r = m.GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return r->GetInt32(m, f);
    case FieldDescriptor::CPPTYPE_INT64:
      return static_cast<double>(r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return r->GetUInt32(m, f);
    case FieldDescriptor::CPPTYPE_UINT64:
      return static_cast<double>(r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return r->GetDouble(m, f);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return r->GetFloat(m, f);
    case FieldDescriptor::CPPTYPE_BOOL:
      return r->GetBool(m, f) ? 1.0 : 0.0;
    default:
      return std::nullopt;
  }
}

// The status metrics of one message, gathered by family name.
class StatusFamilies {
 public:
  explicit StatusFamilies(std::string prefix) : prefix_(std::move(prefix)) {}

  // Every numeric field of `m` as `<prefix><field>`, labelled by `label`.
  void AddNumbers(const Message& m, const std::string& infix,
                  const std::vector<ClientMetric::Label>& label) {
    const auto* d = m.GetDescriptor();
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (f->is_repeated()) continue;
      std::optional<double> value = NumberOf(m, f);
      if (!value.has_value()) continue;
      absl::string_view field = f->name();
      std::string name(field);
      MetricType type = MetricType::Gauge;
      if (absl::ConsumeSuffix(&field, "_unix_ms")) {
        name = absl::StrCat(field, "_timestamp_seconds");
        *value /= 1000;
      } else if (absl::StartsWith(field, "records_")) {
        name += "_total";
        type = MetricType::Counter;
      }
      Add(absl::StrCat(infix, name), type, f->name(), label, *value);
    }
  }

  void AddLinkState(const std::string& state) {
    for (const char* known : {"connected", "connecting", "down", "refused"}) {
      Add("link_state", MetricType::Gauge, "link_state (1: the link's state)",
          {{"state", known}}, state == known ? 1 : 0);
    }
  }

  std::vector<MetricFamily> Take() {
    std::vector<MetricFamily> out;
    for (auto& [name, family] : families_) out.push_back(std::move(family));
    return out;
  }

 private:
  void Add(const std::string& name, MetricType type, const std::string& help,
           std::vector<ClientMetric::Label> label, double value) {
    MetricFamily& family = families_[name];
    if (family.name.empty()) {
      family.name = prefix_ + name;
      family.type = type;
      family.help = absl::StrCat("status field ", help);
    }
    ClientMetric metric;
    metric.label = std::move(label);
    if (type == MetricType::Counter) {
      metric.counter.value = value;
    } else {
      metric.gauge.value = value;
    }
    family.metric.push_back(std::move(metric));
  }

  const std::string prefix_;
  std::map<std::string, MetricFamily> families_;
};

// The label of one element of a repeated status message: its first string
// field (village_id, township_id).
std::vector<ClientMetric::Label> ElementLabel(const Message& m) {
  const auto* d = m.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (!f->is_repeated() && f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      return {{f->name(), m.GetReflection()->GetString(m, f)}};
    }
  }
  return {};
}

std::vector<MetricFamily> StatusMetrics(const std::string& program,
                                        const Message& status) {
  StatusFamilies families(absl::StrCat("sanji_", program, "_"));
  families.AddNumbers(status, "", {});
  const auto* d = status.GetDescriptor();
  const Reflection* r = status.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->name() == "link_state" && !f->is_repeated()) {
      families.AddLinkState(r->GetString(status, f));
    } else if (f->is_repeated() &&
               f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      for (int j = 0; j < r->FieldSize(status, f); ++j) {
        const Message& element = r->GetRepeatedMessage(status, f, j);
        families.AddNumbers(element, f->name() + "_", ElementLabel(element));
      }
    }
  }
  return families.Take();
}

}  // namespace

NodeMetrics::NodeMetrics(std::string program, StatusSource status)
    : program_(std::move(program)),
      status_(std::move(status)),
      registry_(std::make_shared<prometheus::Registry>()),
      calls_(std::make_shared<node_metrics_internal::CallMetrics>(registry_)) {}

NodeMetrics::~NodeMetrics() = default;

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NodeMetrics::InterceptorFactory() {
  return std::make_unique<CallCounterFactory>(calls_);
}

void NodeMetrics::CountCall(const std::string& method, grpc::StatusCode code,
                            double seconds) {
  calls_->Count(method, code, seconds);
}

std::string NodeMetrics::Scrape() const {
  std::vector<MetricFamily> families = registry_->Collect();
  if (status_) {
    if (std::unique_ptr<Message> status = status_(); status != nullptr) {
      for (MetricFamily& f : StatusMetrics(program_, *status)) {
        families.push_back(std::move(f));
      }
    }
  }
  return prometheus::TextSerializer().Serialize(families);
}

void NodeMetrics::Install(httplib::Server* server) const {
  server->Get("/metrics", [this](const httplib::Request&,
                                 httplib::Response& response) {
    response.set_content(Scrape(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace sanji

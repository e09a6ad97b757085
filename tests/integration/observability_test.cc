// The operator's view of every node, with the real programs (spec/interfaces.md
// "Observability"):
// - /metrics on --metrics parses as Prometheus text, its counters move with
//   the work, and its numbers are those `status --format=json` prints;
// - gRPC health checking answers SERVING, and a watcher hears NOT_SERVING
//   when the node is told to shut down;
// - server reflection lists the node's services;
// - off loopback /metrics is HTTPS and takes only a client certificate of the
//   county's CA; without TLS flags the node refuses to start.
#include <algorithm>
#include <csignal>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/support/county_pki.h"
#include "tests/support/local_county.h"
#include "tests/support/process.h"
#include "tests/support/proto/health_probe.grpc.pb.h"
#include "tests/support/proto/reflection_probe.grpc.pb.h"

namespace sanji::test_support {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

constexpr char kCounty[] = "640522";
constexpr char kTownship[] = "640522100";
constexpr char kVillage[] = "640522100201";
constexpr char kOtherVillage[] = "640522100202";
constexpr absl::Duration kWait = absl::Seconds(60);

// One sample of a scrape: its name and labels.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Parses the text exposition format (version 0.0.4); fails the test on any
// line that is not a comment or a sample.
std::vector<Sample> ParseScrape(const std::string& text) {
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$)");
  static const std::regex kLabel(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)")re");
  static const std::regex kComment(
      R"(^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* )"
      R"((counter|gauge|histogram|summary|untyped))$)");
  std::vector<Sample> samples;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const std::string l(line);
    std::smatch m;
    if (l[0] == '#') {
      EXPECT_TRUE(std::regex_match(l, kComment)) << "bad comment: " << l;
      continue;
    }
    if (!std::regex_match(l, m, kSample)) {
      ADD_FAILURE() << "not a sample: " << l;
      continue;
    }
    Sample sample{m[1], {}, std::stod(m[4])};
    const std::string labels = m[3];
    for (auto it = std::sregex_iterator(labels.begin(), labels.end(), kLabel);
         it != std::sregex_iterator(); ++it) {
      sample.labels[(*it)[1]] = (*it)[2];
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

// The value of the one sample named `name` whose labels include `labels`;
// -1 (and a failure) when there is none.
double ValueOf(const std::vector<Sample>& samples, const std::string& name,
               const std::map<std::string, std::string>& labels = {}) {
  for (const Sample& s : samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      match = match && it != s.labels.end() && it->second == v;
    }
    if (match) return s.value;
  }
  ADD_FAILURE() << "no sample " << name;
  return -1;
}

std::string Scrape(int port) {
  httplib::Client client("127.0.0.1", port);
  httplib::Result r = client.Get("/metrics");
  if (!r) {
    ADD_FAILURE() << "GET /metrics on port " << port << " failed";
    return "";
  }
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StartsWith(r->get_header_value("Content-Type"),
                               "text/plain; version=0.0.4"));
  return r->body;
}

nlohmann::json StatusJson(const std::string& program, const std::string& flag,
                          const std::string& addr) {
  CommandResult r =
      RunCommand(BinaryPath(program), {"status", flag + addr, "--format=json"});
  EXPECT_EQ(r.exit_code, 0) << r.errors;
  return nlohmann::json::parse(r.output, nullptr, /*allow_exceptions=*/false);
}

uint64_t U64(const nlohmann::json& j, const char* key) {
  // `status --format=json` writes 64-bit numbers as strings.
  if (!j.contains(key)) return 0;
  return j[key].is_string() ? std::stoull(j[key].get<std::string>())
                            : j[key].get<uint64_t>();
}

class ObservabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Our HTTPS clients write with OpenSSL: a server that closes first must
    // fail the call, not kill the test.
    std::signal(SIGPIPE, SIG_IGN);
    ASSERT_TRUE(dir_.ok());
    county_ = std::make_unique<LocalCounty>(
        dir_.path(), std::vector<std::string>{kVillage, kOtherVillage});
    ASSERT_TRUE(county_->Init().ok());
  }

  // Gives each node --metrics on a port of its own.
  void ServeMetrics() {
    for (const std::string& org : {std::string(kCounty), std::string(kTownship),
                                   std::string(kVillage)}) {
      metrics_port_[org] = PickFreePort();
      county_->set_extra_flags(
          org, {absl::StrCat("--metrics=127.0.0.1:", metrics_port_[org])});
    }
  }

  std::string WriteFile(const std::string& text) {
    std::string path = dir_.Sub(absl::StrCat("f", files_++, ".csv"));
    std::ofstream(path) << text;
    return path;
  }

  TempDir dir_;
  std::unique_ptr<LocalCounty> county_;
  std::map<std::string, int> metrics_port_;
  int files_ = 0;
};

constexpr char kRows[] =
    "record_id,kind,occurred_at,patient_id,sex,birth_date,cost_yuan\n"
    "r1,outpatient_visit,2026-03-01,P1,M,1970-01-01,12.50\n"
    "r2,outpatient_visit,2026-03-02,P2,F,1980-01-01,3\n"
    "r3,outpatient_visit,2026-03-03,P3,F,1980-01-01,-1\n"
    "r4,outpatient_visit,2026-03-04,P4,M,1990-01-01,7\n";

TEST_F(ObservabilityTest, MetricsMoveWithTheWorkAndMatchStatus) {
  ServeMetrics();
  ASSERT_TRUE(county_->StartAll().ok());
  const std::string file = WriteFile(kRows);
  county_->Import(kVillage, {file});  // 3 accepted, 1 rejected
  county_->Import(kVillage, {file});  // 3 duplicates, 1 rejected
  ASSERT_TRUE(county_->WaitAgentsSynced(kWait).ok());
  ASSERT_TRUE(county_->WaitTownshipsSynced(kWait).ok());

  // Plain HTTP on loopback: this machine's own names only (DNS rebinding).
  httplib::Client rebound("127.0.0.1", metrics_port_[kVillage]);
  httplib::Result refused =
      rebound.Get("/metrics", {{"Host", "evil.example:80"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);

  std::vector<Sample> agent = ParseScrape(Scrape(metrics_port_[kVillage]));
  const nlohmann::json agent_status =
      StatusJson("village_agent", "--agent=", county_->agent_addr(kVillage));
  EXPECT_EQ(ValueOf(agent, "sanji_village_agent_records_accepted_total"), 3);
  EXPECT_EQ(ValueOf(agent, "sanji_village_agent_records_duplicate_total"), 3);
  EXPECT_EQ(ValueOf(agent, "sanji_village_agent_records_rejected_total"), 2);
  EXPECT_EQ(U64(agent_status, "records_accepted"), 3u) << agent_status;
  EXPECT_EQ(U64(agent_status, "records_rejected"), 2u) << agent_status;
  EXPECT_EQ(ValueOf(agent, "sanji_village_agent_pending_records"), 0);
  EXPECT_EQ(ValueOf(agent, "sanji_village_agent_last_seq"),
            U64(agent_status, "last_seq"));
  EXPECT_EQ(ValueOf(agent, "sanji_village_agent_db_bytes"),
            U64(agent_status, "db_bytes"));
  EXPECT_EQ(ValueOf(agent, "sanji_village_agent_link_state",
                    {{"state", "connected"}}),
            1);
  EXPECT_GT(ValueOf(agent, "sanji_village_agent_last_sync_timestamp_seconds"),
            1.7e9);
  EXPECT_EQ(ValueOf(agent, "sanji_grpc_server_handled_total",
                    {{"grpc_method", "sanji.VillageIntake/Submit"},
                     {"grpc_code", "OK"}}),
            2);
  EXPECT_GE(ValueOf(agent, "sanji_grpc_server_handling_seconds_count",
                    {{"grpc_method", "sanji.VillageIntake/Submit"}}),
            2);

  std::vector<Sample> town = ParseScrape(Scrape(metrics_port_[kTownship]));
  const nlohmann::json town_status =
      StatusJson("township_node", "--node=", county_->township_addr(kTownship));
  EXPECT_EQ(ValueOf(town, "sanji_township_node_records_applied_total"), 3);
  EXPECT_EQ(U64(town_status, "records_applied"), 3u) << town_status;
  EXPECT_EQ(ValueOf(town, "sanji_township_node_cells_pending"), 0);
  EXPECT_GT(ValueOf(town, "sanji_township_node_villages_watermark",
                    {{"village_id", kVillage}}),
            0);

  std::vector<Sample> hub = ParseScrape(Scrape(metrics_port_[kCounty]));
  const nlohmann::json hub_status =
      StatusJson("county_hub", "--hub=", county_->hub_addr());
  EXPECT_GT(U64(hub_status, "cells"), 0u) << hub_status;
  EXPECT_EQ(ValueOf(hub, "sanji_county_hub_cells"), U64(hub_status, "cells"));
  EXPECT_EQ(
      ValueOf(hub, "sanji_grpc_server_handled_total",
              {{"grpc_method", "sanji.CountyHub/Status"}, {"grpc_code", "OK"}}),
      1);
}

TEST_F(ObservabilityTest, HealthIsServingUntilShutdownAndReflectionListsAll) {
  ASSERT_TRUE(county_->StartHub().ok());
  auto channel = grpc::CreateChannel(county_->hub_addr(),
                                     grpc::InsecureChannelCredentials());
  auto health = Health::NewStub(channel);
  {
    grpc::ClientContext context;
    HealthCheckResponse response;
    ASSERT_TRUE(health->Check(&context, HealthCheckRequest(), &response).ok());
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  }

  using grpc::reflection::v1alpha::ServerReflection;
  using grpc::reflection::v1alpha::ServerReflectionRequest;
  using grpc::reflection::v1alpha::ServerReflectionResponse;
  {
    grpc::ClientContext context;
    auto stream =
        ServerReflection::NewStub(channel)->ServerReflectionInfo(&context);
    ServerReflectionRequest request;
    request.set_list_services("*");
    ASSERT_TRUE(stream->Write(request));
    stream->WritesDone();
    ServerReflectionResponse response;
    ASSERT_TRUE(stream->Read(&response));
    std::vector<std::string> names;
    for (const auto& s : response.list_services_response().service()) {
      names.push_back(s.name());
    }
    EXPECT_NE(std::find(names.begin(), names.end(), "sanji.CountyHub"),
              names.end());
    EXPECT_NE(std::find(names.begin(), names.end(), "grpc.health.v1.Health"),
              names.end());
    EXPECT_TRUE(stream->Finish().ok());
  }

  grpc::ClientContext watch_context;
  auto watch = health->Watch(&watch_context, HealthCheckRequest());
  HealthCheckResponse heard;
  ASSERT_TRUE(watch->Read(&heard));
  EXPECT_EQ(heard.status(), HealthCheckResponse::SERVING);
  ASSERT_TRUE(county_->hub().Signal(SIGTERM));
  ASSERT_TRUE(watch->Read(&heard));
  EXPECT_EQ(heard.status(), HealthCheckResponse::NOT_SERVING);
  watch_context.TryCancel();
  EXPECT_EQ(county_->hub().Wait(absl::Seconds(30)), 0);
}

TEST_F(ObservabilityTest, MetricsOffLoopbackNeedHttpsAndACertificateOfTheCa) {
  const int port = PickFreePort();
  const std::string off_loopback = absl::StrCat("--metrics=0.0.0.0:", port);
  CommandResult refused = RunCommand(
      BinaryPath("county_hub"),
      {"serve", "--county_id=640522", "--data_dir=" + dir_.Sub("plain"),
       absl::StrCat("--listen=127.0.0.1:", PickFreePort()), "--insecure",
       off_loopback});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(refused.errors, "HTTPS")) << refused.errors;

  CountyPki pki(dir_.Sub("pki"));
  ASSERT_TRUE(pki.Init(kCounty).ok());
  ASSERT_TRUE(county_->UseTls(&pki).ok());
  county_->set_extra_flags(kCounty, {off_loopback});
  ASSERT_TRUE(county_->StartHub().ok());

  httplib::SSLClient anonymous("127.0.0.1", port);
  anonymous.set_ca_cert_path(pki.ca().c_str());
  anonymous.enable_server_certificate_verification(false);
  EXPECT_FALSE(anonymous.Get("/metrics")) << "no client certificate, served";

  httplib::SSLClient village("127.0.0.1", port, pki.cert("village", kVillage),
                             pki.key("village", kVillage));
  village.enable_server_certificate_verification(false);
  httplib::Result by_village = village.Get("/metrics");
  ASSERT_TRUE(by_village);
  EXPECT_EQ(by_village->status, 403) << "a village's key read the metrics";
  EXPECT_TRUE(absl::StrContains(by_village->body, "operator"))
      << by_village->body;

  const std::string op_cert = pki.cert("operator", LocalCounty::kOperator);
  const std::string op_key = pki.key("operator", LocalCounty::kOperator);
  httplib::SSLClient scraper("127.0.0.1", port, op_cert, op_key);
  scraper.set_ca_cert_path(pki.ca().c_str());
  scraper.enable_server_certificate_verification(false);
  httplib::Result r = scraper.Get("/metrics");
  ASSERT_TRUE(r) << "an operator's certificate was refused";
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StrContains(r->body, "sanji_county_hub_cells"));
}

}  // namespace
}  // namespace sanji::test_support

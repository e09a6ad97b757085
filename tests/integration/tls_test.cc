// Mutual TLS between the real programs (spec/interfaces.md "Transport security
// flags", "Identities", "Who may do what"), with certificates made by the real
// deploy/pki.sh and, for the ones it refuses to make, by openssl:
// - every row of the table, allowed and refused, from a client holding that
//   row's certificate; a refusal is PERMISSION_DENIED naming the identity
//   seen and changes nothing;
// - a certificate naming nobody, one of another CA, an expired one;
// - a village whose township address is answered by another township's
//   certificate sends nothing and says so in `status`;
// - a renewed certificate is served without a restart;
// - a node refuses at start a key others can read, a certificate of another
//   organisation, an expired certificate, or half the TLS flags.
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "gtest/gtest.h"
#include "proto/rollup_sync.grpc.pb.h"
#include "proto/village_sync.grpc.pb.h"
#include "tests/support/county_pki.h"
#include "tests/support/local_county.h"
#include "tests/support/process.h"

namespace sanji::test_support {
namespace {

constexpr char kCounty[] = "640522";
constexpr char kTownship[] = "640522100";
constexpr char kOtherTownship[] = "640522101";
constexpr char kVillage[] = "640522100201";
constexpr char kOtherVillage[] = "640522100202";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Client credentials holding any certificate, that accept any server of the
// CA: the test plays a peer that does not run our code.
std::shared_ptr<grpc::ChannelCredentials> PeerCredentials(
    const std::string& cert, const std::string& key, const std::string& ca) {
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(
      std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
          ReadFile(ca), std::vector<grpc::experimental::IdentityKeyCertPair>{
                            {ReadFile(key), ReadFile(cert)}}));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_check_call_host(false);
  options.set_certificate_verifier(
      std::make_shared<grpc::experimental::NoOpCertificateVerifier>());
  return grpc::experimental::TlsCredentials(options);
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  return context;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    pki_ = std::make_unique<CountyPki>(dir_.Sub("pki"));
    Check(pki_->Init(kCounty));
    county_ = std::make_unique<LocalCounty>(
        dir_.path(), std::vector<std::string>{kVillage, kOtherVillage});
    Check(county_->Init());
    Check(county_->UseTls(pki_.get()));
    Check(pki_->Issue("township", kOtherTownship));
  }

  void Check(const absl::Status& s) { ASSERT_TRUE(s.ok()) << s; }

  std::shared_ptr<grpc::Channel> ChannelAs(const std::string& level,
                                           const std::string& id,
                                           const std::string& target) {
    return Channel(pki_->cert(level, id), pki_->key(level, id), target);
  }
  std::shared_ptr<grpc::Channel> Channel(const std::string& cert,
                                         const std::string& key,
                                         const std::string& target) {
    return grpc::CreateChannel(target, PeerCredentials(cert, key, pki_->ca()));
  }

  // The status of a Sync stream whose hello names `village`: OK when the
  // township welcomes it.
  grpc::Status SyncHello(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& village) {
    auto stub = TownshipSync::NewStub(channel);
    auto context = Context();
    auto stream = stub->Sync(context.get());
    VillageMessage hello;
    hello.mutable_hello()->set_village_id(village);
    hello.mutable_hello()->set_epoch(7);
    TownshipMessage welcome;
    if (stream->Write(hello) && stream->Read(&welcome)) {
      context->TryCancel();
      stream->Finish();
      return grpc::Status::OK;
    }
    return stream->Finish();
  }

  grpc::Status PushHello(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& township) {
    auto stub = CountyHub::NewStub(channel);
    auto context = Context();
    auto stream = stub->Push(context.get());
    RollupUp hello;
    hello.mutable_hello()->set_township_id(township);
    RollupDown welcome;
    if (stream->Write(hello) && stream->Read(&welcome)) {
      context->TryCancel();
      stream->Finish();
      return grpc::Status::OK;
    }
    return stream->Finish();
  }

  grpc::Status Report(const std::shared_ptr<grpc::Channel>& channel) {
    ReportRequest request;
    request.set_period("2025");
    ReportResponse response;
    return CountyHub::NewStub(channel)->Report(Context().get(), request,
                                               &response);
  }

  grpc::Status CompletenessCall(const std::shared_ptr<grpc::Channel>& channel) {
    CompletenessRequest request;
    request.set_period("2025");
    ReportResponse response;
    return CountyHub::NewStub(channel)->Completeness(Context().get(), request,
                                                     &response);
  }

  grpc::Status SummaryCall(const std::shared_ptr<grpc::Channel>& channel) {
    SummaryRequest request;
    request.set_period("2025");
    ReportResponse response;
    return CountyHub::NewStub(channel)->Summary(Context().get(), request,
                                                &response);
  }

  grpc::Status HubStatusCall(const std::shared_ptr<grpc::Channel>& channel) {
    HubStatus response;
    return CountyHub::NewStub(channel)->Status(Context().get(),
                                               HubStatusRequest(), &response);
  }

  grpc::Status TownshipStatusCall(
      const std::shared_ptr<grpc::Channel>& channel) {
    TownshipStatus response;
    return TownshipSync::NewStub(channel)->Status(Context().get(),
                                                  StatusRequest(), &response);
  }

  // The first event of WatchAlerts, or how the call ended.
  grpc::Status WatchAlerts(const std::shared_ptr<grpc::Channel>& channel) {
    auto context = Context();
    auto reader = CountyHub::NewStub(channel)->WatchAlerts(
        context.get(), WatchAlertsRequest());
    AlertEvent event;
    if (reader->Read(&event)) {
      context->TryCancel();
      reader->Finish();
      return grpc::Status::OK;
    }
    return reader->Finish();
  }

  grpc::Status Review(const std::shared_ptr<grpc::Channel>& channel) {
    ReviewAlertRequest request;
    request.set_id(999);
    request.set_by("someone");
    AlertEntry entry;
    return CountyHub::NewStub(channel)->ReviewAlert(Context().get(), request,
                                                    &entry);
  }

  grpc::Status Urgent(const std::shared_ptr<grpc::Channel>& channel,
                      const std::string& village) {
    UrgentReports request;
    request.set_village_id(village);
    UrgentAck ack;
    return TownshipSync::NewStub(channel)->SendUrgent(Context().get(), request,
                                                      &ack);
  }

  // A refusal as the spec says: PERMISSION_DENIED naming the identity seen.
  void ExpectRefused(const grpc::Status& s, const std::string& seen) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), seen))
        << s.error_message();
  }

  // openssl x509 -req of a new key, signed by the county CA with `ext` as
  // its extensions, valid for `days` (negative: already expired). Returns the
  // folder with cert.pem and key.pem.
  std::string SignWithCa(const std::string& name, const std::string& ext,
                         int days = 30) {
    const std::string folder = dir_.Sub(name);
    mkdir(folder.c_str(), 0700);
    const std::string key = folder + "/key.pem", csr = folder + "/req.csr",
                      extfile = folder + "/ext.cnf";
    std::ofstream(extfile) << ext;
    EXPECT_EQ(RunCommand("/usr/bin/openssl",
                         {"genpkey", "-algorithm", "EC", "-pkeyopt",
                          "ec_paramgen_curve:P-256", "-out", key})
                  .exit_code,
              0);
    chmod(key.c_str(), 0600);
    EXPECT_EQ(
        RunCommand("/usr/bin/openssl", {"req", "-new", "-key", key, "-subj",
                                        "/CN=" + name, "-out", csr})
            .exit_code,
        0);
    CommandResult r =
        RunCommand("/usr/bin/openssl",
                   {"x509", "-req", "-in", csr, "-CA", pki_->ca(), "-CAkey",
                    pki_->dir() + "/ca.key", "-CAcreateserial", "-days",
                    std::to_string(days), "-extfile", extfile, "-out",
                    folder + "/cert.pem"});
    EXPECT_EQ(r.exit_code, 0) << r.errors;
    return folder;
  }

  TempDir dir_;
  std::unique_ptr<CountyPki> pki_;
  std::unique_ptr<LocalCounty> county_;
};

// Row 1: a village syncs with its own township, as itself only.
TEST_F(TlsTest, AVillageSyncsWithItsTownshipAsItselfOnly) {
  Check(county_->StartAll());
  auto township =
      ChannelAs("village", kVillage, county_->township_addr(kTownship));
  EXPECT_TRUE(SyncHello(township, kVillage).ok());
  ExpectRefused(SyncHello(township, kOtherVillage),
                absl::StrCat("village/", kVillage));
  ExpectRefused(Urgent(township, kOtherVillage),
                absl::StrCat("village/", kVillage));
  ExpectRefused(TownshipStatusCall(township), "village/");
  // Nor may it push to the county or read its reports.
  auto hub = ChannelAs("village", kVillage, county_->hub_addr());
  ExpectRefused(PushHello(hub, kTownship), "village/");
  ExpectRefused(Report(hub), "village/");
  ExpectRefused(WatchAlerts(hub), "village/");
  ExpectRefused(Review(hub), "village/");
  ExpectRefused(CompletenessCall(hub), "village/");
  ExpectRefused(SummaryCall(hub), "village/");
  EXPECT_EQ(StatusField(county_->TownshipStatus(kTownship), "records_applied"),
            0);
}

// Row 2: a township pushes to its own county, as itself only.
TEST_F(TlsTest, ATownshipPushesToItsCountyAsItselfOnly) {
  Check(county_->StartHub());
  auto hub = ChannelAs("township", kTownship, county_->hub_addr());
  EXPECT_TRUE(PushHello(hub, kTownship).ok());
  ExpectRefused(PushHello(hub, kOtherTownship),
                absl::StrCat("township/", kTownship));
  ExpectRefused(Report(hub), "township/");
  ExpectRefused(HubStatusCall(hub), "township/");
  ExpectRefused(WatchAlerts(hub), "township/");
  ExpectRefused(Review(hub), "township/");
  ExpectRefused(CompletenessCall(hub), "township/");
  ExpectRefused(SummaryCall(hub), "township/");
}

// Row 3: an operator may read and review, and write nothing.
TEST_F(TlsTest, AnOperatorReadsAndWritesNothing) {
  Check(county_->StartAll());
  const std::string op = LocalCounty::kOperator;
  auto hub = ChannelAs("operator", op, county_->hub_addr());
  EXPECT_TRUE(Report(hub).ok());
  EXPECT_TRUE(HubStatusCall(hub).ok());
  EXPECT_TRUE(WatchAlerts(hub).ok());
  EXPECT_TRUE(CompletenessCall(hub).ok());
  EXPECT_TRUE(SummaryCall(hub).ok());
  // Past the check: the alert does not exist.
  EXPECT_EQ(Review(hub).error_code(), grpc::StatusCode::NOT_FOUND);
  ExpectRefused(PushHello(hub, kTownship), "operator/" + op);
  auto township = ChannelAs("operator", op, county_->township_addr(kTownship));
  EXPECT_TRUE(TownshipStatusCall(township).ok());
  ExpectRefused(SyncHello(township, kVillage), "operator/" + op);
  ExpectRefused(Urgent(township, kVillage), "operator/" + op);
}

// An agent whose intake listens beyond loopback serves TLS there: its own
// village's certificate imports, an operator's reads its status and imports
// nothing, another village's does nothing, and a plaintext client gets no
// answer.
TEST_F(TlsTest, AnAgentOffLoopbackTakesItsOwnVillageAndReadingOperators) {
  const int port = PickFreePort();
  ChildProcess agent;
  std::vector<std::string> args = {
      "serve", absl::StrCat("--village_id=", kVillage),
      "--data_dir=" + dir_.Sub("open-agent"),
      "--township=" + county_->township_addr(kTownship),
      absl::StrCat("--listen=0.0.0.0:", port)};
  for (std::string& flag : pki_->Flags("village", kVillage))
    args.push_back(flag);
  Check(agent.Start(BinaryPath("village_agent"), args, dir_.Sub("agent.log")));
  const std::string addr = absl::StrCat("127.0.0.1:", port);
  auto run = [&](const std::vector<std::string>& tls,
                 std::vector<std::string> command) {
    command.push_back("--agent=" + addr);
    command.insert(command.end(), tls.begin(), tls.end());
    return RunCommand(BinaryPath("village_agent"), command);
  };
  const std::vector<std::string> op = county_->ClientSecurity();
  ASSERT_TRUE(WaitFor([&] { return run(op, {"status"}).exit_code == 0; },
                      absl::Seconds(30)));
  const std::string file = dir_.Sub("visit.csv");
  std::ofstream(file) << "record_id,action,kind,occurred_at,patient_id,sex,"
                         "birth_date,cost_yuan\n"
                         "r1,new,outpatient_visit,2025-03-01T09:00,P1,F,"
                         "1980-01-01,12.00\n";
  CommandResult by_operator = run(op, {"import", file});
  EXPECT_EQ(by_operator.exit_code, 1) << by_operator.output;
  EXPECT_TRUE(absl::StrContains(by_operator.errors, "operator/tester may not"))
      << by_operator.errors;
  CommandResult by_other =
      run(pki_->Flags("village", kOtherVillage), {"import", file});
  EXPECT_TRUE(absl::StrContains(by_other.errors,
                                absl::StrCat("village/", kOtherVillage)))
      << by_other.errors;
  CommandResult by_itself =
      run(pki_->Flags("village", kVillage), {"import", file});
  EXPECT_EQ(by_itself.exit_code, 0) << by_itself.errors;
  EXPECT_TRUE(absl::StrContains(by_itself.output, "accepted=1 "))
      << by_itself.output;
  CommandResult status = run(op, {"status"});
  EXPECT_EQ(StatusField(status.output, "last_seq"), 1) << status.output;
  EXPECT_NE(run({}, {"status"}).exit_code, 0);
}

// A certificate of the CA with no URI SAN, or two, names nobody.
TEST_F(TlsTest, ACertificateNamingNobodyIsRefusedEveryCall) {
  Check(county_->StartHub());
  const std::string none = SignWithCa("none", "subjectAltName=DNS:ops\n");
  const std::string two =
      SignWithCa("two",
                 "subjectAltName=URI:spiffe://sanji/operator/a,"
                 "URI:spiffe://sanji/operator/b\n");
  for (const std::string& folder : {none, two}) {
    auto hub =
        Channel(folder + "/cert.pem", folder + "/key.pem", county_->hub_addr());
    grpc::Status s = Report(hub);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << folder << ": " << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), "names nobody"))
        << s.error_message();
  }
}

// Neither another CA's certificate nor an expired one gets a connection.
TEST_F(TlsTest, AnotherCasOrAnExpiredCertificateNeverConnects) {
  Check(county_->StartHub());
  CountyPki other(dir_.Sub("other-pki"));
  Check(other.Init(kCounty));
  Check(other.Issue("operator", "intruder"));
  auto foreign = grpc::CreateChannel(
      county_->hub_addr(),
      PeerCredentials(other.cert("operator", "intruder"),
                      other.key("operator", "intruder"), pki_->ca()));
  EXPECT_EQ(Report(foreign).error_code(), grpc::StatusCode::UNAVAILABLE);

  const std::string expired = SignWithCa(
      "expired", "subjectAltName=URI:spiffe://sanji/operator/old\n", -1);
  auto old =
      Channel(expired + "/cert.pem", expired + "/key.pem", county_->hub_addr());
  EXPECT_EQ(Report(old).error_code(), grpc::StatusCode::UNAVAILABLE);
  // The same client with a valid certificate gets in: the refusals above are
  // the certificates', not the setup's.
  EXPECT_TRUE(
      Report(ChannelAs("operator", LocalCounty::kOperator, county_->hub_addr()))
          .ok());
}

// A village agent whose township address is answered by a server it must not
// trust sends nothing, and its status says why (`expected` in last_error).
void ExpectAgentSendsNothingTo(LocalCounty& county, const TempDir& dir,
                               const std::vector<std::string>& impostor_tls,
                               const std::vector<std::string>& operator_tls,
                               const std::string& expected) {
  ASSERT_TRUE(county.StartHub().ok());
  ChildProcess impostor;
  std::vector<std::string> args = {
      "serve", absl::StrCat("--township_id=", kOtherTownship),
      "--data_dir=" + dir.Sub("impostor"),
      "--listen=" + county.township_addr(kTownship),
      "--county=" + county.hub_addr()};
  args.insert(args.end(), impostor_tls.begin(), impostor_tls.end());
  ASSERT_TRUE(
      impostor.Start(BinaryPath("township_node"), args, dir.Sub("impostor.log"))
          .ok());
  ASSERT_TRUE(county.StartAgent(kVillage).ok());
  const std::string file = dir.Sub("one.csv");
  std::ofstream(file) << "record_id,action,kind,occurred_at,patient_id,sex,"
                         "birth_date,cost_yuan\n"
                         "r1,new,outpatient_visit,2025-03-01T09:00,P1,F,"
                         "1980-01-01,12.00\n";
  CommandResult imported = county.Import(kVillage, {file});
  EXPECT_EQ(imported.exit_code, 0) << imported.output << imported.errors;
  std::string status;
  EXPECT_TRUE(WaitFor(
      [&] {
        status = county.AgentStatus(kVillage);
        return absl::StrContains(status, expected);
      },
      absl::Seconds(30)))
      << status;
  EXPECT_TRUE(absl::StrContains(status, "link_state: refused")) << status;
  EXPECT_EQ(StatusField(status, "pending_records"), 1) << status;
  std::vector<std::string> status_args = {
      "status", "--node=" + county.township_addr(kTownship)};
  status_args.insert(status_args.end(), operator_tls.begin(),
                     operator_tls.end());
  CommandResult impostor_status =
      RunCommand(BinaryPath("township_node"), status_args);
  EXPECT_EQ(StatusField(impostor_status.output, "records_applied"), 0)
      << impostor_status.output << impostor_status.errors;
}

TEST_F(TlsTest, AVillageSendsNothingToAnotherTownshipsCertificate) {
  ExpectAgentSendsNothingTo(
      *county_, dir_, pki_->Flags("township", kOtherTownship),
      county_->ClientSecurity(), "names township/640522101");
}

TEST_F(TlsTest, AVillageSendsNothingToACertificateOfAnotherCa) {
  CountyPki other(dir_.Sub("other-pki"));
  Check(other.Init(kCounty));
  Check(other.Issue("township", kOtherTownship));
  Check(other.Issue("operator", "other"));
  ExpectAgentSendsNothingTo(
      *county_, dir_, other.Flags("township", kOtherTownship),
      other.Flags("operator", "other"), "not accepted by the CA");
}

// `openssl s_client`'s view of the certificate `addr` serves.
std::string ServedCertificate(const CountyPki& pki, const std::string& addr) {
  CommandResult r =
      RunCommand("/usr/bin/openssl",
                 {"s_client", "-connect", addr, "-CAfile", pki.ca(), "-cert",
                  pki.cert("operator", LocalCounty::kOperator), "-key",
                  pki.key("operator", LocalCounty::kOperator)},
                 absl::Seconds(10));
  size_t begin = r.output.find("-----BEGIN CERTIFICATE-----");
  size_t end = r.output.find("-----END CERTIFICATE-----");
  if (begin == std::string::npos || end == std::string::npos) return "";
  return r.output.substr(begin, end - begin);
}

// deploy/pki.sh renew of every node's certificate while the county runs: new
// connections get the new certificates, with no restart, and a record
// imported after the renewal reaches the county.
TEST_F(TlsTest, RenewedCertificatesAreUsedWithoutARestart) {
  for (const char* org : {kCounty, kTownship, kVillage}) {
    county_->set_extra_flags(org, {"--tls_refresh_seconds=1"});
  }
  Check(county_->StartAll());
  const std::string cert = pki_->cert("county", kCounty);
  const std::string before = ReadFile(cert);
  ASSERT_TRUE(
      absl::StrContains(before, ServedCertificate(*pki_, county_->hub_addr())));
  Check(pki_->Run({"renew", "county", kCounty, "--days=400"}));
  Check(pki_->Run({"renew", "township", kTownship, "--days=400"}));
  Check(pki_->Run({"renew", "village", kVillage, "--days=400"}));
  const std::string after = ReadFile(cert);
  ASSERT_NE(before, after);
  std::string served;
  EXPECT_TRUE(WaitFor(
      [&] {
        served = ServedCertificate(*pki_, county_->hub_addr());
        return !served.empty() && absl::StrContains(after, served);
      },
      absl::Seconds(30)))
      << served;
  // Cut the village's and the township's links: they reconnect, with the
  // renewed certificates on both sides, and what follows gets through.
  county_->village_link(kVillage).ResetAll();
  county_->township_link(kTownship).ResetAll();
  const std::string file = dir_.Sub("after-renewal.csv");
  std::ofstream(file) << "record_id,action,kind,occurred_at,patient_id,sex,"
                         "birth_date,cost_yuan\n"
                         "r1,new,outpatient_visit,2025-03-01T09:00,P1,F,"
                         "1980-01-01,12.00\n";
  EXPECT_EQ(county_->Import(kVillage, {file}).exit_code, 0);
  Check(county_->WaitAgentsSynced(absl::Seconds(60)));
  Check(county_->WaitTownshipsSynced(absl::Seconds(60)));
  absl::StatusOr<ReportCsv> report = county_->Report("2025", "county");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->Value("county", kCounty, "outpatient_visits"), "1");
  EXPECT_TRUE(county_->hub().Running());
  EXPECT_TRUE(county_->township(kTownship).Running());
}

// A client with no certificate gets no connection; the client command says
// which flags it lacks.
TEST_F(TlsTest, AClientWithoutACertificateIsRefused) {
  Check(county_->StartHub());
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(
      std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
          ReadFile(pki_->ca())));
  options.watch_root_certs();
  options.set_check_call_host(false);
  options.set_certificate_verifier(
      std::make_shared<grpc::experimental::NoOpCertificateVerifier>());
  auto anonymous = grpc::CreateChannel(
      county_->hub_addr(), grpc::experimental::TlsCredentials(options));
  EXPECT_EQ(Report(anonymous).error_code(), grpc::StatusCode::UNAVAILABLE);

  CommandResult plaintext =
      RunCommand(BinaryPath("county_hub"),
                 {"report", "--hub=" + county_->hub_addr(), "--period=2025"});
  EXPECT_EQ(plaintext.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(plaintext.errors, "--tls_cert"))
      << plaintext.errors;
}

// What `village_agent serve` says at start with these TLS flags.
CommandResult ServeAgent(const TempDir& dir,
                         const std::vector<std::string>& tls) {
  std::vector<std::string> args = {
      "serve", absl::StrCat("--village_id=", kVillage),
      "--data_dir=" + dir.Sub("agent-start"), "--township=127.0.0.1:1",
      "--listen=127.0.0.1:" + std::to_string(PickFreePort())};
  args.insert(args.end(), tls.begin(), tls.end());
  return RunCommand(BinaryPath("village_agent"), args, absl::Seconds(20));
}

TEST_F(TlsTest, ANodeRefusesUnusableTlsFilesAtStart) {
  const std::string cert = pki_->cert("village", kVillage);
  const std::string key = pki_->key("village", kVillage);
  CommandResult half = ServeAgent(dir_, {"--tls_cert=" + cert});
  EXPECT_EQ(half.exit_code, 2) << half.errors;
  EXPECT_TRUE(absl::StrContains(half.errors, "all three")) << half.errors;

  CommandResult other = ServeAgent(dir_, pki_->Flags("village", kOtherVillage));
  EXPECT_EQ(other.exit_code, 2) << other.errors;
  EXPECT_TRUE(absl::StrContains(other.errors, "names village/640522100202"))
      << other.errors;

  chmod(key.c_str(), 0644);
  CommandResult loose = ServeAgent(dir_, pki_->Flags("village", kVillage));
  EXPECT_EQ(loose.exit_code, 1) << loose.errors;
  EXPECT_TRUE(absl::StrContains(loose.errors, "chmod 600 " + key))
      << loose.errors;
  chmod(key.c_str(), 0600);

  const std::string expired =
      SignWithCa("expired-village",
                 absl::StrCat("subjectAltName=URI:spiffe://sanji/village/",
                              kVillage, "\n"),
                 -1);
  CommandResult old = ServeAgent(
      dir_, {"--tls_cert=" + expired + "/cert.pem",
             "--tls_key=" + expired + "/key.pem", "--tls_ca=" + pki_->ca()});
  EXPECT_EQ(old.exit_code, 1) << old.errors;
  EXPECT_TRUE(absl::StrContains(old.errors, "expired")) << old.errors;
}

}  // namespace
}  // namespace sanji::test_support

// The county dashboard off loopback, with the real hub (issue 12 "Who may
// look"): HTTPS with the hub's certificate, users from `county_hub user add`,
// and nothing — no page, no /api/ answer, no download, no metrics — without a
// session; a wrong password refused, a name locked after repeated failures,
// the session cookie HttpOnly, Secure and SameSite=Strict, and a review from
// the page recorded under the logged-in user whatever the page says. Without
// TLS flags, or without a users file, such an address is refused at start.
#include <csignal>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/support/county_pki.h"
#include "tests/support/local_county.h"
#include "tests/support/process.h"

namespace sanji::test_support {
namespace {

constexpr char kCounty[] = "640522";
constexpr char kVillage[] = "640522100201";
constexpr absl::Duration kWait = absl::Seconds(60);
constexpr char kPassword[] = "correct horse 42";

const httplib::Headers kPageHeaders = {{"X-Requested-With", "sanji"}};

class DashboardLoginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Our HTTPS clients write with OpenSSL: a server that closes first must
    // fail the call, not kill the test.
    std::signal(SIGPIPE, SIG_IGN);
    ASSERT_TRUE(dir_.ok());
    pki_ = std::make_unique<CountyPki>(dir_.Sub("pki"));
    ASSERT_TRUE(pki_->Init(kCounty).ok());
    county_ = std::make_unique<LocalCounty>(dir_.path(),
                                            std::vector<std::string>{kVillage});
    ASSERT_TRUE(county_->Init().ok());
    ASSERT_TRUE(county_->UseTls(pki_.get()).ok());
    users_ = dir_.Sub("users");
    AddUser("zhang");
    AddUser("li");
    http_port_ = PickFreePort();
  }

  void AddUser(const std::string& name) {
    CommandResult r = RunCommand(
        "/bin/sh",
        {"-c", absl::StrCat("printf '%s\\n' '", kPassword, "' | '",
                            BinaryPath("county_hub"), "' user add --users='",
                            users_, "' --name=", name)});
    ASSERT_EQ(r.exit_code, 0) << r.output << r.errors;
  }

  void StartHub() {
    county_->set_extra_flags(
        kCounty,
        {absl::StrCat("--http=0.0.0.0:", http_port_), "--users=" + users_});
    ASSERT_TRUE(county_->StartAll().ok());
  }

  // A browser of the dashboard: HTTPS to the hub (whose certificate names it
  // by URI, so no host-name check), with the session cookie once it has one.
  std::unique_ptr<httplib::SSLClient> Browser() {
    auto client = std::make_unique<httplib::SSLClient>("127.0.0.1", http_port_);
    client->set_ca_cert_path(pki_->ca().c_str());
    client->enable_server_certificate_verification(false);
    client->set_follow_location(false);
    return client;
  }

  httplib::Result LogIn(httplib::SSLClient* client, const std::string& name,
                        const std::string& password) {
    return client->Post(
        "/api/login", kPageHeaders,
        nlohmann::json{{"name", name}, {"password", password}}.dump(),
        "application/json");
  }

  std::string ReportJson() {
    std::vector<std::string> args = {"report", "--hub=" + county_->hub_addr(),
                                     "--period=2025", "--format=json"};
    for (std::string& f : county_->ClientSecurity()) args.push_back(f);
    CommandResult r = RunCommand(BinaryPath("county_hub"), args, kWait);
    EXPECT_EQ(r.exit_code, 0) << r.errors;
    return r.output;
  }

  TempDir dir_;
  std::unique_ptr<CountyPki> pki_;
  std::unique_ptr<LocalCounty> county_;
  std::string users_;
  int http_port_ = 0;
};

TEST_F(DashboardLoginTest, NothingIsServedWithoutASession) {
  StartHub();
  auto browser = Browser();
  httplib::Result page = browser->Get("/");
  ASSERT_TRUE(page) << "no HTTPS answer on the dashboard's port";
  EXPECT_EQ(page->status, 303);
  EXPECT_TRUE(absl::StartsWith(page->get_header_value("Location"), "/login"));
  for (const char* path :
       {"/api/report?period=2025", "/api/orgs?period=2025", "/api/alerts",
        "/api/alerts/stream", "/api/download/report.xlsx?period=2025",
        "/api/completeness?period=2025", "/metrics", "/app.js"}) {
    httplib::Result r = browser->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_TRUE(r->status == 401 || r->status == 303)
        << path << " answered " << r->status << ": " << r->body;
    EXPECT_FALSE(absl::StrContains(r->body, "outpatient_visits")) << path;
  }
  httplib::Result login_page = browser->Get("/login");
  ASSERT_TRUE(login_page);
  EXPECT_EQ(login_page->status, 200);
  EXPECT_TRUE(absl::StrContains(login_page->body, "登录"));

  // Plain HTTP on the same port gets nothing.
  httplib::Client plain("127.0.0.1", http_port_);
  httplib::Result r = plain.Get("/api/report?period=2025");
  EXPECT_FALSE(r && r->status == 200);
}

TEST_F(DashboardLoginTest, WrongPasswordsLockTheNameAndTheRightOneLogsIn) {
  StartHub();
  auto browser = Browser();
  httplib::Result huge =
      browser->Post("/api/login", kPageHeaders,
                    "[" + std::string(8000, '0') + "]", "application/json");
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 413) << "a login body no name needs was parsed";

  httplib::Result wrong = LogIn(browser.get(), "zhang", "not the password");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_TRUE(wrong->get_header_value("Set-Cookie").empty());
  for (int i = 0; i < 4; ++i) LogIn(browser.get(), "zhang", "still wrong");
  httplib::Result locked = LogIn(browser.get(), "zhang", kPassword);
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->status, 429) << "the right password after 5 failures";
  EXPECT_TRUE(absl::StrContains(locked->body, "锁定")) << locked->body;

  httplib::Result ok = LogIn(browser.get(), "li", kPassword);
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  const std::string cookie = ok->get_header_value("Set-Cookie");
  EXPECT_TRUE(absl::StrContains(cookie, "HttpOnly")) << cookie;
  EXPECT_TRUE(absl::StrContains(cookie, "Secure")) << cookie;
  EXPECT_TRUE(absl::StrContains(cookie, "SameSite=Strict")) << cookie;
  const std::string session = cookie.substr(0, cookie.find(';'));

  // Without the page's header a state-changing request is refused.
  httplib::Result forged =
      browser->Post("/api/alerts/review", {{"Cookie", session}},
                    R"({"id":1,"by":"x"})", "application/json");
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 403);

  httplib::Result report = browser->Get("/api/report?period=2025&level=county",
                                        {{"Cookie", session}});
  ASSERT_TRUE(report);
  EXPECT_EQ(report->status, 200);
  EXPECT_EQ(nlohmann::json::parse(report->body, nullptr, false),
            nlohmann::json::parse(ReportJson(), nullptr, false));

  // A byte that is not UTF-8, echoed in the error, is a 400, not a throw.
  httplib::Result bad_byte =
      browser->Get("/api/report?period=%FF", {{"Cookie", session}});
  ASSERT_TRUE(bad_byte);
  EXPECT_EQ(bad_byte->status, 400) << bad_byte->body;
}

TEST_F(DashboardLoginTest, AReviewFromThePageIsTheLoggedInUsers) {
  StartHub();
  const std::string file = dir_.Sub("case.csv");
  std::ofstream(file)
      << "record_id,kind,occurred_at,patient_id,sex,birth_date,disease\n"
         "c1,infectious_disease_report,2025-07-01T09:30,PX1,M,1980-05-06,"
         "measles\n";
  ASSERT_EQ(county_->Import(kVillage, {file}).exit_code, 0);
  auto browser = Browser();
  httplib::Result ok = LogIn(browser.get(), "li", kPassword);
  ASSERT_TRUE(ok && ok->status == 200);
  const std::string cookie = ok->get_header_value("Set-Cookie");
  const httplib::Headers session = {
      {"Cookie", cookie.substr(0, cookie.find(';'))},
      {"X-Requested-With", "sanji"}};
  uint64_t id = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        httplib::Result r = browser->Get("/api/alerts", session);
        if (!r || r->status != 200) return false;
        nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
        if (j.is_discarded() || j["alerts"].empty()) return false;
        id = j["alerts"][0]["id"].get<uint64_t>();
        return true;
      },
      kWait));
  httplib::Result reviewed =
      browser->Post("/api/alerts/review", session,
                    nlohmann::json{{"id", id}, {"by", "someone else"}}.dump(),
                    "application/json");
  ASSERT_TRUE(reviewed);
  ASSERT_EQ(reviewed->status, 200) << reviewed->body;
  EXPECT_EQ(nlohmann::json::parse(reviewed->body)["reviewed_by"], "li");
}

// On loopback there is no login, so a web page of another site must not
// reach the dashboard through a DNS name of its own re-bound to 127.0.0.1:
// only this machine's names are answered.
TEST(DashboardOnLoopbackTest, OpenToThisMachinesNamesOnly) {
  TempDir dir;
  LocalCounty county(dir.path(), {kVillage});
  ASSERT_TRUE(county.Init().ok());
  const int port = PickFreePort();
  county.set_extra_flags(kCounty, {absl::StrCat("--http=127.0.0.1:", port)});
  ASSERT_TRUE(county.StartHub().ok());
  httplib::Client browser("127.0.0.1", port);
  httplib::Result own = browser.Get("/api/report?period=2025");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200) << own->body;
  for (const char* host :
       {"evil.example", "evil.example:80", "localhost.evil.example"}) {
    httplib::Result rebound =
        browser.Get("/api/report?period=2025", {{"Host", host}});
    ASSERT_TRUE(rebound);
    EXPECT_EQ(rebound->status, 403) << host;
    EXPECT_FALSE(absl::StrContains(rebound->body, "outpatient")) << host;
  }
  EXPECT_EQ(browser.Get("/api/session", {{"Host", "localhost:1"}})->status,
            200);
}

TEST_F(DashboardLoginTest, AnAddressOffLoopbackNeedsTlsAndUsersAtStart) {
  const std::string http = absl::StrCat("--http=0.0.0.0:", http_port_);
  const std::vector<std::string> base = {
      "serve", "--county_id=640522", "--data_dir=" + dir_.Sub("hub2"),
      absl::StrCat("--listen=127.0.0.1:", PickFreePort()), http};
  std::vector<std::string> insecure = base;
  insecure.push_back("--insecure");
  CommandResult r = RunCommand(BinaryPath("county_hub"), insecure);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.errors, "HTTPS")) << r.errors;

  std::vector<std::string> no_users = base;
  for (std::string& f : pki_->Flags("county", kCounty)) no_users.push_back(f);
  r = RunCommand(BinaryPath("county_hub"), no_users);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.errors, "--users")) << r.errors;
}

}  // namespace
}  // namespace sanji::test_support

// Tests of county_hub/web_login.h: the users file on disk, sessions and
// lockout on a clock the test moves, and the login's routes and gate on a real
// httplib::Server on 127.0.0.1 reached by an httplib::Client.
#include "county_hub/web_login.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/support/process.h"

namespace sanji {
namespace {

using test_support::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kPassword[] = "correct horse battery";
constexpr char kPeer[] = "10.0.0.7";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

void WriteFile(const std::string& path, const std::string& content,
               mode_t mode = 0600) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// A users file with zhang (kPassword), made once: every hash costs 64 MiB
// and a fraction of a second.
const UserFile& Users() {
  static const UserFile* const users = [] {
    auto* file = new UserFile();
    absl::Status s = file->Put("zhang", kPassword);
    EXPECT_TRUE(s.ok()) << s;
    return file;
  }();
  return *users;
}

// One hash line as Save writes it, for files a test writes by hand.
std::string HashLine(const std::string& name) {
  TempDir dir;
  UserFile file = Users();
  EXPECT_TRUE(file.Remove("zhang").ok());
  EXPECT_TRUE(file.Put(name, kPassword).ok());
  EXPECT_TRUE(file.Save(dir.Sub("users")).ok());
  std::string content = ReadFile(dir.Sub("users"));
  size_t at = content.find(name + ":");
  return content.substr(at, content.find('\n', at) - at);
}

TEST(UserFileTest, SavesPrivatelyAndLoadsWhatItSaved) {
  TempDir dir;
  UserFile file;
  ASSERT_TRUE(file.Put("zhang", kPassword).ok());
  ASSERT_TRUE(file.Put("li.si-2_x", "另一个很长的密码").ok());
  ASSERT_TRUE(file.Save(dir.Sub("users")).ok());
  EXPECT_EQ(ModeOf(dir.Sub("users")), 0600);
  EXPECT_THAT(ReadFile(dir.Sub("users")),
              HasSubstr("\nzhang:$argon2id$v=19$m=65536,t=2,p=1$"));

  absl::StatusOr<UserFile> loaded = UserFile::Load(dir.Sub("users"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_THAT(loaded->Names(), ElementsAre("zhang", "li.si-2_x"));
  EXPECT_TRUE(loaded->Verify("zhang", kPassword));
  EXPECT_TRUE(loaded->Verify("li.si-2_x", "另一个很长的密码"));
  EXPECT_FALSE(loaded->Verify("zhang", "correct horse battery "));
  EXPECT_FALSE(loaded->Verify("zhang", "另一个很长的密码"));
  EXPECT_FALSE(loaded->Verify("wang", kPassword));
  EXPECT_FALSE(loaded->Verify("", kPassword));
}

TEST(UserFileTest, SaveReplacesAFileWithAnyModeByA0600One) {
  TempDir dir;
  WriteFile(dir.Sub("users"), "# old\n", 0644);
  ASSERT_TRUE(Users().Save(dir.Sub("users")).ok());
  EXPECT_EQ(ModeOf(dir.Sub("users")), 0600);
  EXPECT_THAT(UserFile::Load(dir.Sub("users"))->Names(), ElementsAre("zhang"));
}

TEST(UserFileTest, PutReplacesTheHashOfAnExistingName) {
  UserFile file = Users();
  ASSERT_TRUE(file.Put("zhang", "a new password").ok());
  EXPECT_THAT(file.Names(), ElementsAre("zhang"));
  EXPECT_TRUE(file.Verify("zhang", "a new password"));
  EXPECT_FALSE(file.Verify("zhang", kPassword));
}

TEST(UserFileTest, RemoveDropsTheUser) {
  UserFile file = Users();
  ASSERT_TRUE(file.Remove("zhang").ok());
  EXPECT_THAT(file.Names(), IsEmpty());
  EXPECT_FALSE(file.Verify("zhang", kPassword));
  EXPECT_TRUE(absl::IsNotFound(file.Remove("zhang")));
}

TEST(UserFileTest, PutRefusesBadNamesAndShortPasswords) {
  UserFile file;
  for (const char* name :
       {"", "a b", "张三", "a:b", "x/y", "abcdefghijklmnopqrstuvwxyz0123456"}) {
    absl::Status s = file.Put(name, kPassword);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << name << ": " << s;
    EXPECT_THAT(s.message(), HasSubstr("1 to 32 of the letters")) << name;
  }
  EXPECT_TRUE(file.Put("abcdefghijklmnopqrstuvwxyz012345", kPassword).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(file.Put("li", "")));
  EXPECT_TRUE(absl::IsInvalidArgument(file.Put("li", "1234567")));
  // Characters, not bytes: 7 Chinese characters are 21 bytes.
  EXPECT_TRUE(absl::IsInvalidArgument(file.Put("li", "七个汉字的密码")));
  EXPECT_TRUE(file.Put("li", "12345678").ok());
  EXPECT_THAT(file.Names(),
              ElementsAre("abcdefghijklmnopqrstuvwxyz012345", "li"));
}

TEST(UserFileTest, KeepsCommentsAndOrderThroughLoadAndSave) {
  TempDir dir;
  const std::string zhang = HashLine("zhang");
  WriteFile(dir.Sub("users"), "# 县卫健局信息科\n\n" + zhang + "\r\n");
  absl::StatusOr<UserFile> file = UserFile::Load(dir.Sub("users"));
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(file->Put("li", kPassword).ok());
  ASSERT_TRUE(file->Save(dir.Sub("users")).ok());
  const std::string saved = ReadFile(dir.Sub("users"));
  EXPECT_TRUE(absl::StartsWith(saved, "# 县卫健局信息科\n\n" + zhang + "\nli:"))
      << saved;
  EXPECT_TRUE(UserFile::Load(dir.Sub("users"))->Verify("zhang", kPassword));
}

TEST(UserFileTest, LoadNamesTheLineAndReasonOfEachError) {
  TempDir dir;
  const std::string zhang = HashLine("zhang");
  const std::string path = dir.Sub("users");
  struct Case {
    std::string content;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"# ok\n" + zhang + "\njust a name\n", ":3: expected NAME:HASH"},
      {"bad name:" + zhang.substr(6) + "\n", ":1: 'bad name' is not a user"},
      {"# ok\nli:secret\n", ":2: the hash of li is not an Argon2id hash"},
      {"li:$argon2i$v=19$m=4096,t=3,p=1$c2FsdA$aGFzaA\n",
       ":1: the hash of li is not"},
      {zhang + "\n#\n" + zhang + "\n", ":3: user zhang is on an earlier line"},
  };
  for (const Case& c : cases) {
    WriteFile(path, c.content);
    absl::StatusOr<UserFile> file = UserFile::Load(path);
    ASSERT_FALSE(file.ok()) << c.content;
    EXPECT_TRUE(absl::IsInvalidArgument(file.status()));
    EXPECT_THAT(file.status().message(), HasSubstr(path + c.error));
  }
}

TEST(UserFileTest, LoadRefusesAMissingFileAndOneOthersMayRead) {
  TempDir dir;
  absl::StatusOr<UserFile> missing = UserFile::Load(dir.Sub("none"));
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  EXPECT_THAT(missing.status().message(), HasSubstr("county_hub user add"));
  WriteFile(dir.Sub("users"), HashLine("zhang") + "\n", 0640);
  absl::StatusOr<UserFile> open = UserFile::Load(dir.Sub("users"));
  EXPECT_TRUE(absl::IsFailedPrecondition(open.status()));
  EXPECT_THAT(open.status().message(), HasSubstr("chmod 600"));
}

// A clock that moves only when the test says; thread-safe, as the server's
// threads read it too.
class FakeClock {
 public:
  absl::Time Now() {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  std::function<absl::Time()> AsFunction() {
    return [this] { return Now(); };
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::FromUnixSeconds(1750000000);
};

httplib::Request WithCookie(const std::string& cookie) {
  httplib::Request request;
  request.headers.emplace("Cookie", cookie);
  return request;
}

httplib::Request WithToken(const std::string& token) {
  return WithCookie(absl::StrCat("sanji_session=", token));
}

class WebLoginTest : public ::testing::Test {
 protected:
  WebLogin::Attempt Right(const char* peer = kPeer) {
    return login_.LogIn("zhang", kPassword, peer);
  }
  WebLogin::Attempt Wrong(const char* name = "zhang",
                          const char* peer = kPeer) {
    return login_.LogIn(name, "not the password", peer);
  }

  FakeClock clock_;
  WebLogin login_{Users(), clock_.AsFunction()};
};

TEST_F(WebLoginTest, WrongPasswordAndUnknownNameGetTheSame401) {
  for (const WebLogin::Attempt& a :
       {Wrong("zhang"), Wrong("wang"), Wrong("not a name")}) {
    EXPECT_FALSE(a.ok);
    EXPECT_EQ(a.http_status, 401);
    EXPECT_EQ(a.refusal_zh, "用户名或密码错误");
    EXPECT_THAT(a.token, IsEmpty());
  }
}

TEST_F(WebLoginTest, RightPasswordGetsASessionOfThatUser) {
  WebLogin::Attempt a = Right();
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.http_status, 200);
  EXPECT_EQ(a.user, "zhang");
  EXPECT_EQ(a.token.size(), 64u);
  EXPECT_EQ(a.token.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(login_.UserOf(WithToken(a.token)), "zhang");
  EXPECT_EQ(login_.UserOf(WithCookie(absl::StrCat(
                "theme=dark; sanji_session=", a.token, "; lang=zh"))),
            "zhang");
  EXPECT_NE(Right().token, a.token);
}

TEST_F(WebLoginTest, OnlyTheWholeTokenCounts) {
  const std::string token = Right().token;
  std::string other = token;
  other.back() = other.back() == '0' ? '1' : '0';  // same selector
  EXPECT_EQ(login_.UserOf(WithToken(other)), std::nullopt);
  EXPECT_EQ(login_.UserOf(WithToken(token.substr(0, 63))), std::nullopt);
  EXPECT_EQ(login_.UserOf(WithToken(absl::AsciiStrToUpper(token))),
            std::nullopt);
  EXPECT_EQ(login_.UserOf(WithCookie("other=" + token)), std::nullopt);
  EXPECT_EQ(login_.UserOf(httplib::Request()), std::nullopt);
  EXPECT_EQ(login_.UserOf(WithToken(token)), "zhang");
}

TEST_F(WebLoginTest, FiveFailuresLockTheNameForFifteenMinutes) {
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Wrong().http_status, 401) << i;
  WebLogin::Attempt fifth = Wrong();
  EXPECT_EQ(fifth.http_status, 429);
  EXPECT_EQ(fifth.refusal_zh, "登录失败次数过多，账户已锁定，请 15 分钟后再试");

  clock_.Advance(absl::Minutes(1));
  WebLogin::Attempt right = Right();
  EXPECT_FALSE(right.ok);
  EXPECT_EQ(right.http_status, 429);
  EXPECT_EQ(right.retry_after, absl::Minutes(14));
  EXPECT_THAT(right.refusal_zh, HasSubstr("请 14 分钟后再试"));
  EXPECT_EQ(Right("10.0.0.8").http_status, 429);  // from anywhere

  clock_.Advance(absl::Minutes(14) - absl::Seconds(1));
  EXPECT_EQ(Right().http_status, 429);
  EXPECT_THAT(Right().refusal_zh, HasSubstr("请 1 分钟后再试"));
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(Right().ok);
}

TEST_F(WebLoginTest, ASuccessResetsTheNamesCount) {
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Wrong().http_status, 401);
  EXPECT_TRUE(Right().ok);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Wrong().http_status, 401);
  EXPECT_TRUE(Right().ok);
}

TEST_F(WebLoginTest, UnknownNamesLockLikeKnownOnes) {
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Wrong("wang").http_status, 401);
  EXPECT_EQ(Wrong("wang").http_status, 429);
  EXPECT_EQ(Wrong("wang").refusal_zh,
            "登录失败次数过多，账户已锁定，请 15 分钟后再试");
  EXPECT_TRUE(Right().ok);  // another name is not locked
}

TEST_F(WebLoginTest, TwentyFailuresFromOnePeerRefuseThatPeer) {
  // Four each for five names: no name reaches its limit.
  const char* names[] = {"a1", "a2", "a3", "a4", "a5"};
  for (int i = 0; i < 19; ++i) {
    EXPECT_EQ(Wrong(names[i % 5]).http_status, 401) << i;
    clock_.Advance(absl::Seconds(10));
  }
  WebLogin::Attempt twentieth = Wrong(names[4]);
  EXPECT_EQ(twentieth.http_status, 429);
  // The first failure, 190 s ago, leaves the window at 15 min.
  EXPECT_EQ(twentieth.retry_after, absl::Minutes(15) - absl::Seconds(190));
  EXPECT_EQ(twentieth.refusal_zh, "此地址登录失败次数过多，请 12 分钟后再试");
  EXPECT_EQ(Right().http_status, 429);
  EXPECT_TRUE(Right("10.0.0.8").ok);  // another peer

  clock_.Advance(absl::Minutes(15) - absl::Seconds(190));
  EXPECT_TRUE(Right().ok);  // the first failure left the window
}

TEST_F(WebLoginTest, ASessionEndsThirtyMinutesAfterItsLastUse) {
  const std::string token = Right().token;
  clock_.Advance(absl::Minutes(29));
  EXPECT_EQ(login_.UserOf(WithToken(token)), "zhang");
  clock_.Advance(absl::Minutes(29));
  EXPECT_EQ(login_.UserOf(WithToken(token)), "zhang");
  clock_.Advance(absl::Minutes(30));
  EXPECT_EQ(login_.UserOf(WithToken(token)), std::nullopt);
  clock_.Advance(-absl::Minutes(30));  // gone for good
  EXPECT_EQ(login_.UserOf(WithToken(token)), std::nullopt);
}

TEST_F(WebLoginTest, ASessionEndsEightHoursAfterLoginHoweverBusy) {
  const std::string token = Right().token;
  for (int i = 0; i < 23; ++i) {
    clock_.Advance(absl::Minutes(20));
    ASSERT_EQ(login_.UserOf(WithToken(token)), "zhang") << i;
  }
  clock_.Advance(absl::Minutes(20));  // 8 h
  EXPECT_EQ(login_.UserOf(WithToken(token)), std::nullopt);
}

TEST_F(WebLoginTest, LogOutEndsThatSessionOnly) {
  const std::string first = Right().token;
  const std::string second = Right().token;
  login_.LogOut(WithToken(first));
  EXPECT_EQ(login_.UserOf(WithToken(first)), std::nullopt);
  EXPECT_EQ(login_.UserOf(WithToken(second)), "zhang");
}

TEST(WebLoginCookieTest, CookiesAreHttpOnlySecureStrict) {
  EXPECT_EQ(WebLogin::SetCookie("ab12"),
            "sanji_session=ab12; Path=/; HttpOnly; Secure; SameSite=Strict; "
            "Max-Age=28800");
  EXPECT_EQ(WebLogin::ClearCookie(),
            "sanji_session=; Path=/; HttpOnly; Secure; SameSite=Strict; "
            "Max-Age=0");
}

TEST(SafeNextTest, OnlyPathsOfThisServer) {
  EXPECT_EQ(SafeNext("/reports?period=2025-Q1&level=village"),
            "/reports?period=2025-Q1&level=village");
  EXPECT_EQ(SafeNext("/"), "/");
  for (const char* next : {"", "reports", "//evil.example/", "/\\evil.example",
                           "https://evil.example/", "/\t/evil.example", "/ x",
                           "/login", "/login?next=/"}) {
    EXPECT_EQ(SafeNext(next), "/") << next;
  }
}

// InstallLogin on a real server on 127.0.0.1 with a page, an API call and a
// POST of the dashboard's that answer who acts.
class LoginServer {
 public:
  explicit LoginServer(WebLogin* login) {
    InstallLogin(&server_, login);
    server_.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("dashboard", "text/html");
    });
    server_.Get("/api/x",
                [login](const httplib::Request& req, httplib::Response& res) {
                  res.set_content(ActingUser(login, req), "text/plain");
                });
    server_.Post("/api/act",
                 [login](const httplib::Request& req, httplib::Response& res) {
                   res.set_content(ActingUser(login, req), "text/plain");
                 });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    EXPECT_TRUE(test_support::WaitFor([this] { return server_.is_running(); },
                                      absl::Seconds(10)));
  }
  ~LoginServer() {
    server_.stop();
    thread_.join();
  }

  int port() const { return port_; }
  std::unique_ptr<httplib::Client> Client() const {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client->set_connection_timeout(10);
    client->set_read_timeout(30);
    return client;
  }

 private:
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
};

// What the server sends back for `request_line` (e.g. "GET /x"), as bytes:
// httplib::Client decodes the percent-encoding of the headers it receives.
std::string RawResponse(int port, const std::string& request_line) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
      0) {
    const std::string request =
        absl::StrCat(request_line, " HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                     "Connection: close\r\n\r\n");
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      ssize_t n;
      while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0) {
        response.append(buffer, static_cast<size_t>(n));
      }
    }
  }
  close(fd);
  return response;
}

const httplib::Headers kFromDashboard = {{"X-Requested-With", "sanji"}};

std::string LoginBody(const std::string& password) {
  return nlohmann::json{{"name", "zhang"}, {"password", password}}.dump();
}

std::string ErrorOf(const httplib::Result& result) {
  nlohmann::json body = nlohmann::json::parse(result->body, nullptr, false);
  return body.is_object() && body.contains("error") && body["error"].is_string()
             ? body["error"].get<std::string>()
             : "(no error in " + result->body + ")";
}

class LoginHttpTest : public ::testing::Test {
 protected:
  // Logs in; the cookie header to send from then on.
  std::string LogIn() {
    httplib::Result r = client_->Post("/api/login", kFromDashboard,
                                      LoginBody(kPassword), "application/json");
    EXPECT_TRUE(r && r->status == 200);
    const std::string set_cookie = r->get_header_value("Set-Cookie");
    return set_cookie.substr(0, set_cookie.find(';'));
  }

  FakeClock clock_;
  WebLogin login_{Users(), clock_.AsFunction()};
  LoginServer server_{&login_};
  std::unique_ptr<httplib::Client> client_ = server_.Client();
};

TEST_F(LoginHttpTest, WithoutASessionApiCallsGet401AndPagesTheLoginPage) {
  httplib::Result api = client_->Get("/api/x");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 401);
  EXPECT_EQ(ErrorOf(api), "请先登录");
  EXPECT_EQ(client_->Get("/api/session")->status, 401);

  httplib::Result page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 303);
  EXPECT_EQ(page->get_header_value("Location"), "/login?next=/");
  // The whole path comes back, query and all, as one parameter.
  EXPECT_THAT(
      RawResponse(server_.port(), "GET /reports?period=2025-Q1&level=village"),
      HasSubstr("\r\nLocation: "
                "/login?next=/reports%3Fperiod%3D2025-Q1%26level%3D"
                "village\r\n"));
}

TEST_F(LoginHttpTest, LoginPageIsSelfContainedAndGoesBackWhereItCameFrom) {
  httplib::Result page =
      client_->Get("/login?next=%2Freports%3Fperiod%3D2025-Q1%26level%3Dv");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->get_header_value("Content-Type"), HasSubstr("text/html"));
  EXPECT_THAT(page->body, HasSubstr("<html lang=\"zh-CN\">"));
  EXPECT_THAT(page->body, HasSubstr("用户名"));
  EXPECT_THAT(page->body,
              HasSubstr("data-next=\"/reports?period=2025-Q1&amp;level=v\""));
  EXPECT_THAT(page->body, HasSubstr("fetch(\"/api/login\""));
  EXPECT_THAT(page->body, HasSubstr("\"X-Requested-With\": \"sanji\""));
  EXPECT_THAT(page->body, Not(HasSubstr("src=")));
  EXPECT_THAT(page->body, Not(HasSubstr("href=")));
  EXPECT_THAT(page->body, Not(HasSubstr("//")));  // no other server's URL
  // Its script is the one its Content Security Policy allows.
  const size_t start = page->body.find("<script>") + 8;
  const std::string script =
      page->body.substr(start, page->body.find("</script>") - start);
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest,
                     reinterpret_cast<const unsigned char*>(script.data()),
                     script.size());
  char base64[64];
  sodium_bin2base64(base64, sizeof(base64), digest, sizeof(digest),
                    sodium_base64_VARIANT_ORIGINAL);
  const std::string policy = page->get_header_value("Content-Security-Policy");
  EXPECT_THAT(policy,
              HasSubstr(absl::StrCat("script-src 'sha256-", base64, "'")));
  EXPECT_THAT(policy, HasSubstr("default-src 'none'"));

  httplib::Result evil = client_->Get("/login?next=//evil.example/");
  EXPECT_THAT(evil->body, HasSubstr("data-next=\"/\""));
}

TEST_F(LoginHttpTest, LoginSetsAStrictCookieThatNamesTheUser) {
  httplib::Result r = client_->Post("/api/login", kFromDashboard,
                                    LoginBody(kPassword), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body),
            nlohmann::json({{"user", "zhang"}}));
  const std::string set_cookie = r->get_header_value("Set-Cookie");
  EXPECT_TRUE(absl::StartsWith(set_cookie, "sanji_session=")) << set_cookie;
  for (const char* attribute :
       {"; HttpOnly", "; Secure", "; SameSite=Strict", "; Path=/"}) {
    EXPECT_THAT(set_cookie, HasSubstr(attribute));
  }
  const httplib::Headers cookie = {
      {"Cookie", set_cookie.substr(0, set_cookie.find(';'))}};
  httplib::Result session = client_->Get("/api/session", cookie);
  EXPECT_EQ(session->status, 200);
  EXPECT_EQ(nlohmann::json::parse(session->body),
            nlohmann::json({{"user", "zhang"}}));
  EXPECT_EQ(client_->Get("/", cookie)->body, "dashboard");
  EXPECT_EQ(client_->Get("/api/x", cookie)->body, "zhang");
}

TEST_F(LoginHttpTest, WrongPasswordIs401AndLockoutIs429WithRetryAfter) {
  for (int i = 0; i < 4; ++i) {
    httplib::Result r =
        client_->Post("/api/login", kFromDashboard, LoginBody("wrong password"),
                      "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(ErrorOf(r), "用户名或密码错误");
    EXPECT_FALSE(r->has_header("Set-Cookie"));
  }
  client_->Post("/api/login", kFromDashboard, LoginBody("wrong password"),
                "application/json");
  httplib::Result locked = client_->Post(
      "/api/login", kFromDashboard, LoginBody(kPassword), "application/json");
  EXPECT_EQ(locked->status, 429);
  EXPECT_EQ(locked->get_header_value("Retry-After"), "900");
  EXPECT_EQ(ErrorOf(locked), "登录失败次数过多，账户已锁定，请 15 分钟后再试");
  EXPECT_FALSE(locked->has_header("Set-Cookie"));
}

TEST_F(LoginHttpTest, ALoginThatIsNotJsonIs400) {
  for (const char* body :
       {"name=zhang&password=x", "", "[1]", "{\"name\":\"zhang\"}",
        "{\"name\":\"zhang\",\"password\":7}"}) {
    httplib::Result r =
        client_->Post("/api/login", kFromDashboard, body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body;
    EXPECT_THAT(ErrorOf(r), HasSubstr("请求格式错误")) << body;
  }
}

TEST_F(LoginHttpTest, PostsFromElsewhereAreRefused) {
  const std::string cookie = LogIn();
  const std::string origin = absl::StrCat("http://127.0.0.1:", server_.port());
  struct Case {
    httplib::Headers headers;
    int status;
  };
  const std::vector<Case> cases = {
      {{{"Cookie", cookie}}, 403},
      {{{"Cookie", cookie}, {"X-Requested-With", "XMLHttpRequest"}}, 403},
      {{{"Cookie", cookie},
        {"X-Requested-With", "sanji"},
        {"Origin", "https://evil.example"}},
       403},
      {{{"Cookie", cookie},
        {"X-Requested-With", "sanji"},
        {"Sec-Fetch-Site", "cross-site"}},
       403},
      {{{"Cookie", cookie}, {"X-Requested-With", "sanji"}, {"Origin", origin}},
       200},
      {{{"Cookie", cookie},
        {"X-Requested-With", "sanji"},
        {"Sec-Fetch-Site", "same-origin"}},
       200},
  };
  for (const Case& c : cases) {
    httplib::Result r = client_->Post("/api/act", c.headers, "", "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, c.status) << ::testing::PrintToString(c.headers);
  }
  // A login too: no cookie, and not even a password check.
  httplib::Result login =
      client_->Post("/api/login", LoginBody(kPassword), "application/json");
  EXPECT_EQ(login->status, 403);
  EXPECT_THAT(ErrorOf(login), HasSubstr("X-Requested-With"));
}

TEST_F(LoginHttpTest, LogoutEndsTheSessionAndDeletesTheCookie) {
  const std::string cookie = LogIn();
  httplib::Headers headers = {{"Cookie", cookie},
                              {"X-Requested-With", "sanji"}};
  httplib::Result out = client_->Post("/api/logout", headers, "", "text/plain");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 200);
  EXPECT_THAT(out->get_header_value("Set-Cookie"), HasSubstr("Max-Age=0"));
  EXPECT_EQ(client_->Get("/api/session", {{"Cookie", cookie}})->status, 401);
  EXPECT_EQ(client_->Get("/", {{"Cookie", cookie}})->status, 303);
}

TEST_F(LoginHttpTest, AnIdleSessionLogsOut) {
  const std::string cookie = LogIn();
  clock_.Advance(absl::Minutes(31));
  EXPECT_EQ(client_->Get("/api/x", {{"Cookie", cookie}})->status, 401);
}

TEST(OpenDashboardTest, WithoutALoginEverythingIsOpen) {
  LoginServer server(nullptr);
  std::unique_ptr<httplib::Client> client = server.Client();
  httplib::Result page = client->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->body, "dashboard");
  httplib::Result session = client->Get("/api/session");
  EXPECT_EQ(session->status, 200);
  EXPECT_EQ(nlohmann::json::parse(session->body),
            nlohmann::json({{"user", ""}}));
  httplib::Result act =
      client->Post("/api/act", kFromDashboard, "", "text/plain");
  EXPECT_EQ(act->status, 200);
  EXPECT_EQ(act->body, "");
  httplib::Result login = client->Get("/login?next=/reports");
  EXPECT_EQ(login->status, 303);
  EXPECT_EQ(login->get_header_value("Location"), "/reports");
  // Still only the dashboard's own pages may post.
  EXPECT_EQ(client->Post("/api/act", "", "text/plain")->status, 403);
}

}  // namespace
}  // namespace sanji

#include "county_hub/web_login.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/http_endpoint.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace sanji {
namespace {

constexpr char kHeaderComment[] =
    "# Sanji dashboard users (county_hub user add|remove|list): NAME:HASH, "
    "Argon2id.";
constexpr char kHashPrefix[] = "$argon2id$";
constexpr size_t kTokenBytes = 32;
constexpr size_t kTokenDigits = 2 * kTokenBytes;
// The part of a token that finds its session (a lookup that takes time of its
// own); the whole token is then compared in constant time.
constexpr size_t kSelectorDigits = 16;
// Beyond this many tracked names or peers, those that no longer matter are
// forgotten (what a flood of made-up names could otherwise fill).
constexpr size_t kMaxTracked = 4096;

constexpr char kWrongPassword[] = "用户名或密码错误";
constexpr char kNameLocked[] = "登录失败次数过多，账户已锁定，请 ";
constexpr char kPeerRefused[] = "此地址登录失败次数过多，请 ";
constexpr char kLogInFirst[] = "请先登录";
constexpr size_t kMaxLoginBodyBytes = 4096;
constexpr char kBusy[] = "正在核对另一次登录，请稍后再试";
constexpr char kForeignHost[] = "只能通过本机地址 (127.0.0.1) 打开未登录的看板";
constexpr char kForeignPost[] =
    "请求被拒绝：只接受本站页面发出的请求（缺少 X-Requested-With 或来源不符）";
constexpr char kBadLoginBody[] =
    "请求格式错误：请以 JSON {\"name\":用户名,\"password\":密码} 提交";
constexpr char kNoLogin[] = "此地址无需登录";

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '_' || c == '-';
}

bool IsValidName(absl::string_view name) {
  return !name.empty() &&
         name.size() <= static_cast<size_t>(UserFile::kMaxNameChars) &&
         std::all_of(name.begin(), name.end(), IsNameChar);
}

// Characters of UTF-8 text: the bytes that do not continue a character.
int Utf8Chars(absl::string_view text) {
  return static_cast<int>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// Argon2id with libsodium's "interactive" limits (2 passes over 64 MiB): the
// hub verifies a password at every login, so one must take a fraction of a
// second on a county's modest server (LogIn runs one at a time, so 64 MiB is
// also all that logins take), while every guess at a stolen file costs an
// attacker as much. The "moderate" limits (256 MiB, about 0.7 s) would make
// each login slow for no gain against the online guessing that lockout
// already bounds.
absl::StatusOr<std::string> HashPassword(absl::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (!SodiumReady() ||
      crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError(
        "cannot hash the password: Argon2id needs 64 MiB of memory");
  }
  return std::string(out);
}

// The hash Verify checks an unknown name's password against, so that it
// costs what a known name's does. Made once, of a random password.
const std::string& DummyHash() {
  static const std::string* const hash = [] {
    unsigned char random[16];
    randombytes_buf(random, sizeof(random));
    char hex[2 * sizeof(random) + 1];
    sodium_bin2hex(hex, sizeof(hex), random, sizeof(random));
    absl::StatusOr<std::string> made = HashPassword(hex);
    return new std::string(made.ok() ? *made : "");
  }();
  return *hash;
}

absl::Status WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, "write");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadAll(int fd, const std::string& path) {
  std::string content;
  char buffer[4096];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
    }
    if (n == 0) return content;
    content.append(buffer, static_cast<size_t>(n));
  }
}

// Syncs the directory of `path`, so that a rename in it survives a crash.
void SyncDirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  if (dir.empty()) dir = "/";
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
}

}  // namespace

UserFile::UserFile() { lines_.push_back({"", kHeaderComment}); }

absl::Status UserFile::CheckName(absl::string_view name) {
  if (IsValidName(name)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "'", name.substr(0, 64),
      "' is not a user name: use 1 to 32 of the letters A-Z and a-z, the "
      "digits 0-9 and . _ -"));
}

bool UserFile::ParseLine(absl::string_view line, std::string* error) {
  absl::string_view text = absl::StripAsciiWhitespace(line);
  if (text.empty() || text[0] == '#') {
    lines_.push_back({"", std::string(text)});
    return true;
  }
  size_t colon = text.find(':');
  if (colon == absl::string_view::npos) {
    *error = "expected NAME:HASH or a # comment";
    return false;
  }
  absl::string_view name = text.substr(0, colon);
  absl::string_view hash = text.substr(colon + 1);
  if (absl::Status s = CheckName(name); !s.ok()) {
    *error = std::string(s.message());
    return false;
  }
  if (!absl::StartsWith(hash, kHashPrefix) ||
      hash.size() >= crypto_pwhash_STRBYTES ||
      std::any_of(hash.begin(), hash.end(), [](char c) {
        return absl::ascii_isspace(static_cast<unsigned char>(c));
      })) {
    *error = absl::StrCat("the hash of ", name,
                          " is not an Argon2id hash as `county_hub user add` "
                          "writes it; set it again with user add");
    return false;
  }
  if (Contains(name)) {
    *error = absl::StrCat("user ", name,
                          " is on an earlier line too; keep one of them");
    return false;
  }
  lines_.push_back({std::string(name), std::string(hash)});
  return true;
}

absl::StatusOr<UserFile> UserFile::Load(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    return absl::NotFoundError(absl::StrCat(
        path, " does not exist; make it with `county_hub user add --users=",
        path, " --name=NAME`"));
  }
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  absl::Cleanup close_fd = [fd] { close(fd); };
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot stat ", path, ": ", std::strerror(errno)));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s may be read by others (mode %03o), and it holds password hashes: "
        "run chmod 600 %s",
        path, st.st_mode & 0777, path));
  }
  ASSIGN_OR_RETURN(std::string content, ReadAll(fd, path));
  UserFile file;
  file.lines_.clear();
  absl::string_view rest = content;
  if (absl::EndsWith(rest, "\n")) rest.remove_suffix(1);
  if (content.empty()) return file;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(rest, '\n')) {
    ++number;
    std::string error;
    if (!file.ParseLine(line, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": ", error));
    }
  }
  return file;
}

absl::Status UserFile::Save(const std::string& path) const {
  std::string content;
  for (const Line& line : lines_) {
    absl::StrAppend(&content, line.name, line.name.empty() ? "" : ":",
                    line.text, "\n");
  }
  std::string temp = path + ".tmp.XXXXXX";
  int fd = mkstemp(temp.data());  // mode 0600
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create a file beside ", path, ": ", std::strerror(errno),
        "; check that the directory exists and is writable"));
  }
  absl::Status written = WriteAll(fd, content);
  if (written.ok() && (fchmod(fd, 0600) != 0 || fsync(fd) != 0)) {
    written = absl::ErrnoToStatus(errno, "sync");
  }
  if (close(fd) != 0 && written.ok()) {
    written = absl::ErrnoToStatus(errno, "close");
  }
  if (written.ok() && std::rename(temp.c_str(), path.c_str()) != 0) {
    written = absl::ErrnoToStatus(errno, "rename");
  }
  if (!written.ok()) {
    unlink(temp.c_str());
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write ", path, ": ", written.message()));
  }
  SyncDirectoryOf(path);
  return absl::OkStatus();
}

std::vector<UserFile::Line>::const_iterator UserFile::Find(
    absl::string_view name) const {
  if (name.empty()) return lines_.end();
  return std::find_if(lines_.begin(), lines_.end(),
                      [name](const Line& line) { return line.name == name; });
}

bool UserFile::Contains(absl::string_view name) const {
  return Find(name) != lines_.end();
}

absl::Status UserFile::Put(absl::string_view name, absl::string_view password) {
  RETURN_IF_ERROR(CheckName(name));
  if (Utf8Chars(password) < kMinPasswordChars) {
    return absl::InvalidArgumentError(
        absl::StrCat("the password is too short: give at least ",
                     kMinPasswordChars, " characters"));
  }
  ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  auto it = lines_.begin() + (Find(name) - lines_.cbegin());
  if (it != lines_.end()) {
    it->text = std::move(hash);
  } else {
    lines_.push_back({std::string(name), std::move(hash)});
  }
  return absl::OkStatus();
}

absl::Status UserFile::Remove(absl::string_view name) {
  auto found = Find(name);
  if (found == lines_.end()) {
    return absl::NotFoundError(absl::StrCat("no user ", name));
  }
  lines_.erase(found);
  return absl::OkStatus();
}

bool UserFile::Verify(absl::string_view name,
                      absl::string_view password) const {
  auto it = Find(name);
  const bool known = it != lines_.end();
  const std::string& hash = known ? it->text : DummyHash();
  const bool match = SodiumReady() && !hash.empty() &&
                     crypto_pwhash_str_verify(hash.c_str(), password.data(),
                                              password.size()) == 0;
  return known && match;
}

std::vector<std::string> UserFile::Names() const {
  std::vector<std::string> names;
  for (const Line& line : lines_) {
    if (!line.name.empty()) names.push_back(line.name);
  }
  return names;
}

namespace {

// The session token of the request's cookie: 64 lowercase hex digits, or
// nullopt.
std::optional<std::string> CookieToken(const httplib::Request& request) {
  const size_t headers = request.get_header_value_count("Cookie");
  for (size_t i = 0; i < headers; ++i) {
    const std::string header = request.get_header_value("Cookie", i);
    for (absl::string_view pair : absl::StrSplit(header, ';')) {
      std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(
          absl::StripAsciiWhitespace(pair), absl::MaxSplits('=', 1));
      if (kv.first != WebLogin::kCookie) continue;
      const bool hex =
          kv.second.size() == kTokenDigits &&
          std::all_of(kv.second.begin(), kv.second.end(), [](char c) {
            return absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
                   (c >= 'a' && c <= 'f');
          });
      if (!hex) return std::nullopt;
      return std::string(kv.second);
    }
  }
  return std::nullopt;
}

WebLogin::Attempt Refused(absl::Duration retry_after,
                          absl::string_view message_start) {
  WebLogin::Attempt attempt;
  attempt.http_status = 429;
  attempt.retry_after = retry_after;
  const int64_t minutes = std::max<int64_t>(
      1, absl::ToInt64Minutes(absl::Ceil(retry_after, absl::Minutes(1))));
  attempt.refusal_zh = absl::StrCat(message_start, minutes, " 分钟后再试");
  return attempt;
}

}  // namespace

WebLogin::WebLogin(UserFile users, std::function<absl::Time()> clock)
    : users_(std::move(users)), clock_(std::move(clock)) {
  DummyHash();  // now, so that the first unknown name costs no more
}

WebLogin::Attempt WebLogin::LogIn(absl::string_view name,
                                  absl::string_view password,
                                  absl::string_view peer) {
  // One Argon2id check (64 MiB) at a time; a second login meanwhile is told
  // to retry rather than holding one of the server's threads.
  if (!login_mu_.TryLock()) {
    Attempt busy;
    busy.http_status = 503;
    busy.refusal_zh = kBusy;
    busy.retry_after = absl::Seconds(1);
    return busy;
  }
  Attempt attempt = LogInLocked(name, password, peer);
  login_mu_.Unlock();
  return attempt;
}

WebLogin::Attempt WebLogin::LogInLocked(absl::string_view name,
                                        absl::string_view password,
                                        absl::string_view peer) {
  const absl::Time now = clock_();
  PruneFailures(now);
  if (std::optional<Attempt> refused = Refusal(name, peer, now)) {
    return *std::move(refused);
  }
  if (!users_.Verify(name, password)) return Fail(name, peer, now);
  names_.erase(std::string(name));
  Attempt attempt;
  attempt.ok = true;
  attempt.user = std::string(name);
  attempt.token = NewSession(name, now);
  return attempt;
}

std::optional<WebLogin::Attempt> WebLogin::Refusal(absl::string_view name,
                                                   absl::string_view peer,
                                                   absl::Time now) {
  auto p = peers_.find(std::string(peer));
  if (p != peers_.end()) {
    std::deque<absl::Time>& failures = p->second;
    while (!failures.empty() && now - failures.front() >= kPeerWindow) {
      failures.pop_front();
    }
    if (failures.size() >= static_cast<size_t>(kPeerFailureLimit)) {
      return Refused(failures.front() + kPeerWindow - now, kPeerRefused);
    }
    if (failures.empty()) peers_.erase(p);
  }
  auto n = names_.find(std::string(name));
  if (n != names_.end() && now < n->second.locked_until) {
    return Refused(n->second.locked_until - now, kNameLocked);
  }
  return std::nullopt;
}

WebLogin::Attempt WebLogin::Fail(absl::string_view name, absl::string_view peer,
                                 absl::Time now) {
  peers_[std::string(peer)].push_back(now);
  // Names outside the grammar cannot exist; they count for the peer only.
  if (IsValidName(name)) {
    NameFailures& failures = names_[std::string(name)];
    failures.last = now;
    if (++failures.count >= kNameFailureLimit) {
      failures.count = 0;
      failures.locked_until = now + kNameLockout;
    }
  }
  if (std::optional<Attempt> refused = Refusal(name, peer, now)) {
    return *std::move(refused);
  }
  Attempt attempt;
  attempt.http_status = 401;
  attempt.refusal_zh = kWrongPassword;
  return attempt;
}

void WebLogin::PruneFailures(absl::Time now) {
  if (names_.size() > kMaxTracked) {
    for (auto it = names_.begin(); it != names_.end();) {
      const bool stale = now >= it->second.locked_until &&
                         now - it->second.last >= kNameLockout;
      it = stale ? names_.erase(it) : std::next(it);
    }
  }
  if (peers_.size() > kMaxTracked) {
    for (auto it = peers_.begin(); it != peers_.end();) {
      const bool stale =
          it->second.empty() || now - it->second.back() >= kPeerWindow;
      it = stale ? peers_.erase(it) : std::next(it);
    }
  }
}

std::string WebLogin::NewSession(absl::string_view user, absl::Time now) {
  absl::MutexLock lock(&mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const bool expired = now - it->second.last_seen >= kIdleExpiry ||
                         now - it->second.created >= kAbsoluteExpiry;
    it = expired ? sessions_.erase(it) : std::next(it);
  }
  std::string token;
  do {
    unsigned char random[kTokenBytes];
    randombytes_buf(random, sizeof(random));
    char hex[kTokenDigits + 1];
    sodium_bin2hex(hex, sizeof(hex), random, sizeof(random));
    token = hex;
  } while (sessions_.count(token.substr(0, kSelectorDigits)) != 0);
  sessions_[token.substr(0, kSelectorDigits)] =
      Session{token, std::string(user), now, now};
  return token;
}

std::map<std::string, WebLogin::Session>::iterator WebLogin::FindSession(
    const httplib::Request& request, absl::Time now) {
  std::optional<std::string> token = CookieToken(request);
  if (!token.has_value()) return sessions_.end();
  auto it = sessions_.find(token->substr(0, kSelectorDigits));
  if (it == sessions_.end() ||
      sodium_memcmp(it->second.token.data(), token->data(), kTokenDigits) !=
          0) {
    return sessions_.end();
  }
  if (now - it->second.last_seen >= kIdleExpiry ||
      now - it->second.created >= kAbsoluteExpiry) {
    sessions_.erase(it);
    return sessions_.end();
  }
  return it;
}

std::optional<std::string> WebLogin::UserOf(const httplib::Request& request) {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  auto it = FindSession(request, now);
  if (it == sessions_.end()) return std::nullopt;
  it->second.last_seen = now;
  return it->second.user;
}

void WebLogin::LogOut(const httplib::Request& request) {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  auto it = FindSession(request, now);
  if (it != sessions_.end()) sessions_.erase(it);
}

// Secure: the dashboard has a login only on HTTPS. Max-Age: the absolute
// expiry (the idle one is the server's to judge).
std::string WebLogin::SetCookie(absl::string_view token) {
  return absl::StrCat(kCookie, "=", token,
                      "; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=",
                      absl::ToInt64Seconds(kAbsoluteExpiry));
}

std::string WebLogin::ClearCookie() {
  return absl::StrCat(kCookie,
                      "=; Path=/; HttpOnly; Secure; SameSite=Strict; "
                      "Max-Age=0");
}

bool SameOriginPost(const httplib::Request& request) {
  if (request.get_header_value("X-Requested-With") != "sanji") return false;
  if (request.has_header("Sec-Fetch-Site") &&
      request.get_header_value("Sec-Fetch-Site") != "same-origin") {
    return false;
  }
  if (!request.has_header("Origin")) return true;
  const std::string host = request.get_header_value("Host");
  if (host.empty()) return false;
  bool https = false;
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  https = request.ssl != nullptr;
#endif
  return absl::EqualsIgnoreCase(
      request.get_header_value("Origin"),
      absl::StrCat(https ? "https://" : "http://", host));
}

std::string SafeNext(absl::string_view next) {
  const bool local_path = absl::StartsWith(next, "/") &&
                          !absl::StartsWith(next, "//") &&
                          std::none_of(next.begin(), next.end(), [](char c) {
                            const auto byte = static_cast<unsigned char>(c);
                            return byte <= 0x20 || byte == 0x7f || c == '\\';
                          });
  // Back to the login page itself would go round in a circle.
  if (!local_path || next == "/login" || absl::StartsWith(next, "/login?")) {
    return "/";
  }
  return std::string(next);
}

namespace {

// The login page's style and script, each hashed into its Content Security
// Policy; what varies (where to go next) is an attribute of the form.
constexpr char kLoginStyle[] = R"css(
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;
background:#f3f5f7;margin:0;min-height:100vh;display:flex;
align-items:center;justify-content:center}
form{background:#fff;padding:2em 2.2em;border-radius:8px;width:18em;
box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.25em;margin:0 0 1.2em}
label{display:block;margin:.9em 0 .3em}
input{width:100%;box-sizing:border-box;padding:.5em;font-size:1em}
button{margin-top:1.4em;width:100%;padding:.6em;font-size:1em}
#error{color:#b00020;min-height:1.4em;margin-top:.9em}
)css";

constexpr char kLoginScript[] = R"js(
document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const error = document.getElementById("error");
  const button = form.querySelector("button");
  error.textContent = "";
  button.disabled = true;
  try {
    const response = await fetch("/api/login", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-Requested-With": "sanji"},
      body: JSON.stringify({
        name: document.getElementById("name").value,
        password: document.getElementById("password").value,
      }),
    });
    const reply = await response.json().catch(() => ({}));
    if (response.ok) {
      location.replace(form.dataset.next || "/");
      return;
    }
    error.textContent = reply.error || ("登录失败（" + response.status + "）");
  } catch (e) {
    error.textContent = "无法连接服务器，请检查网络后再试";
  } finally {
    button.disabled = false;
  }
});
)js";

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string LoginPage(absl::string_view next) {
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">"
      "\n<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\">\n<title>登录 · 三级 "
      "县级卫生健康数据</title>\n<style>",
      kLoginStyle,
      "</style>\n</head>\n<body>\n<form id=\"login\" method=\"post\" "
      "data-next=\"",
      HtmlEscape(next),
      "\">\n<h1>三级 · 登录</h1>\n<label for=\"name\">用户名</label>\n"
      "<input id=\"name\" autocomplete=\"username\" required autofocus>\n"
      "<label for=\"password\">密码</label>\n<input id=\"password\" "
      "type=\"password\" autocomplete=\"current-password\" required>\n"
      "<button type=\"submit\">登录</button>\n<div id=\"error\" "
      "role=\"alert\"></div>\n</form>\n<script>",
      kLoginScript, "</script>\n</body>\n</html>\n");
}

// 'sha256-BASE64' of `text`, a CSP source for an inline <style> or <script>.
std::string CspHash(absl::string_view text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(
      digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  char base64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
                                        sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(base64, sizeof(base64), digest, sizeof(digest),
                    sodium_base64_VARIANT_ORIGINAL);
  return absl::StrCat("'sha256-", base64, "'");
}

// Nothing but the page's own style and script, and calls to this server.
const std::string& LoginPagePolicy() {
  static const std::string* const policy = new std::string(
      absl::StrCat("default-src 'none'; style-src ", CspHash(kLoginStyle),
                   "; script-src ", CspHash(kLoginScript),
                   "; connect-src 'self'; form-action 'self'; base-uri 'none'; "
                   "frame-ancestors 'none'"));
  return *policy;
}

// Percent-encodes all but the unreserved characters and "/", for a query
// parameter.
std::string QueryEncode(absl::string_view text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(byte) || c == '-' || c == '.' || c == '_' ||
        c == '~' || c == '/') {
      out += c;
    } else {
      absl::StrAppendFormat(&out, "%%%02X", byte);
    }
  }
  return out;
}

void ReplyJson(httplib::Response& response, int status,
               const nlohmann::json& body) {
  sanji::ReplyJson(
      &response,
      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      status);
}

void ServeLogIn(WebLogin* login, const httplib::Request& request,
                httplib::Response& response) {
  if (login == nullptr) return ReplyJson(response, 404, {{"error", kNoLogin}});
  if (!SameOriginPost(request)) {
    return ReplyJson(response, 403, {{"error", kForeignPost}});
  }
  // A name and a password; anything bigger is not parsed (a parse tree costs
  // many times its text, and anyone may post here).
  if (request.body.size() > kMaxLoginBodyBytes) {
    return ReplyJson(response, 413, {{"error", kBadLoginBody}});
  }
  const nlohmann::json body = nlohmann::json::parse(request.body, nullptr,
                                                    /*allow_exceptions=*/false);
  auto name = body.is_object() ? body.find("name") : body.end();
  auto password = body.is_object() ? body.find("password") : body.end();
  if (name == body.end() || password == body.end() || !name->is_string() ||
      !password->is_string()) {
    return ReplyJson(response, 400, {{"error", kBadLoginBody}});
  }
  WebLogin::Attempt attempt = login->LogIn(
      name->get_ref<const std::string&>(),
      password->get_ref<const std::string&>(), request.remote_addr);
  if (attempt.ok) {
    response.set_header("Set-Cookie", WebLogin::SetCookie(attempt.token));
    return ReplyJson(response, 200, {{"user", attempt.user}});
  }
  if (attempt.http_status == 429 || attempt.http_status == 503) {
    response.set_header(
        "Retry-After", absl::StrCat(absl::ToInt64Seconds(
                           absl::Ceil(attempt.retry_after, absl::Seconds(1)))));
  }
  ReplyJson(response, attempt.http_status, {{"error", attempt.refusal_zh}});
}

void ServeLoginPage(WebLogin* login, const httplib::Request& request,
                    httplib::Response& response) {
  const std::string next = SafeNext(request.get_param_value("next"));
  if (login == nullptr) return response.set_redirect(next, 303);
  response.set_header("Content-Security-Policy", LoginPagePolicy());
  response.set_header("X-Frame-Options", "DENY");
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Referrer-Policy", "no-referrer");
  response.set_header("Cache-Control", "no-store");
  response.set_content(LoginPage(next), "text/html; charset=utf-8");
}

// Requests that need no session: the login page and the calls it makes.
bool IsOpenPath(const std::string& path) {
  return path == "/login" || path == "/api/login" || path == "/api/logout";
}

httplib::Server::HandlerResponse Gate(WebLogin* login,
                                      const httplib::Request& request,
                                      httplib::Response& response) {
  using Result = httplib::Server::HandlerResponse;
  const bool safe_method = request.method == "GET" ||
                           request.method == "HEAD" ||
                           request.method == "OPTIONS";
  if (!safe_method && !SameOriginPost(request)) {
    ReplyJson(response, 403, {{"error", kForeignPost}});
    return Result::Handled;
  }
  // Open on loopback, so only for this machine's own names (DNS rebinding).
  if (login == nullptr && !IsLoopbackHost(request.get_header_value("Host"))) {
    ReplyJson(response, 403, {{"error", kForeignHost}});
    return Result::Handled;
  }
  if (login == nullptr || IsOpenPath(request.path) ||
      login->UserOf(request).has_value()) {
    return Result::Unhandled;
  }
  if (request.path == "/api" || absl::StartsWith(request.path, "/api/")) {
    ReplyJson(response, 401, {{"error", kLogInFirst}});
  } else {
    response.set_redirect(
        absl::StrCat("/login?next=", QueryEncode(request.target)), 303);
  }
  return Result::Handled;
}

}  // namespace

void InstallLogin(httplib::Server* server, WebLogin* login) {
  server->set_pre_routing_handler(
      [login](const httplib::Request& request, httplib::Response& response) {
        return Gate(login, request, response);
      });
  server->Post("/api/login", [login](const httplib::Request& request,
                                     httplib::Response& response) {
    ServeLogIn(login, request, response);
  });
  server->Post("/api/logout", [login](const httplib::Request& request,
                                      httplib::Response& response) {
    if (login != nullptr) login->LogOut(request);
    response.set_header("Set-Cookie", WebLogin::ClearCookie());
    ReplyJson(response, 200, nlohmann::json::object());
  });
  server->Get("/api/session", [login](const httplib::Request& request,
                                      httplib::Response& response) {
    if (login == nullptr) return ReplyJson(response, 200, {{"user", ""}});
    std::optional<std::string> user = login->UserOf(request);
    if (!user.has_value()) {
      return ReplyJson(response, 401, {{"error", kLogInFirst}});
    }
    ReplyJson(response, 200, {{"user", *user}});
  });
  server->Get("/login", [login](const httplib::Request& request,
                                httplib::Response& response) {
    ServeLoginPage(login, request, response);
  });
}

std::string ActingUser(WebLogin* login, const httplib::Request& request) {
  if (login == nullptr) return "";
  return login->UserOf(request).value_or("");
}

}  // namespace sanji

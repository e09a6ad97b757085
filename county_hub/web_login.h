// Who may look at the county's dashboard (issue 12, "Who may look"): the
// users file that `county_hub user add|remove|list` keeps, the sessions and
// lockout of the dashboard's login, and the login routes and gate on the
// dashboard's HTTP server (`county_hub serve --http`).
//
// On a loopback address the dashboard has no login (InstallLogin with a null
// WebLogin): whoever can reach 127.0.0.1 already runs on the hub's machine. On
// any other address it serves HTTPS and every page and API call but the login
// itself needs a session, which a user gets with a name and password of the
// users file.
//
// The users file, one user a line:
//
//    file    := line*
//    line    := (user | comment | blank) ("\n" | "\r\n" | end of file)
//    user    := name ":" hash
//    name    := [A-Za-z0-9._-]{1,32}       (also usable as an operator name)
//    hash    := "$argon2id$" [^\s]*        (crypto_pwhash_str's text, < 128)
//    comment := "#" any*
//    blank   := whitespace*
//
// Whitespace around a line is ignored; a name appears at most once. The file
// is the hub user's alone (0600): a hash others can read can be guessed at
// offline, so Load refuses such a file and Save writes it 0600, atomically.
// Save keeps the comments and the order of the lines it loaded.
//
// Sessions live in memory only: a restart of the hub logs everyone out. A
// session ends 30 minutes after its last request or 8 hours after its login,
// whichever comes first, or at logout. Lockout: 5 failed logins in a row for
// a name lock that name for 15 minutes (even the right password is then
// refused, 429), after which it gets 5 tries again; 20 failures from one peer
// address within 15 minutes refuse that peer likewise. A success resets the
// name's count. Unknown names are counted and locked like known ones, and
// cost the same password hash, so that neither the answer nor its timing
// tells who exists.
//
// Thread-safety: UserFile is thread-compatible (Verify and the other const
// methods may run concurrently). WebLogin is thread-safe; it owns its
// UserFile. LogIn calls run one at a time (each computes an Argon2id hash of
// 64 MiB; concurrent ones would only multiply the memory). InstallLogin's
// handlers use the WebLogin they are given, which must outlive the server.
#ifndef SANJI_COUNTY_HUB_WEB_LOGIN_H_
#define SANJI_COUNTY_HUB_WEB_LOGIN_H_

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "httplib.h"

namespace sanji {

// The users file (grammar above): load, add or replace, remove, verify.
class UserFile {
 public:
  // An empty file (with a header comment saying what it is).
  UserFile();

  // NotFound when `path` does not exist; FailedPrecondition when its group or
  // others may read it (with the chmod that fixes it); InvalidArgument
  // "PATH:LINE: reason" for a line outside the grammar or a repeated name.
  static absl::StatusOr<UserFile> Load(const std::string& path);
  // Writes the file to a temporary file beside `path` (mode 0600), syncs it
  // and renames it over `path`.
  absl::Status Save(const std::string& path) const;

  // Adds `name` with an Argon2id hash of `password`, or replaces its hash.
  // InvalidArgument, saying what is allowed, for a bad name or a password of
  // fewer than kMinPasswordChars characters.
  absl::Status Put(absl::string_view name, absl::string_view password);
  // NotFound when `name` is not in the file.
  absl::Status Remove(absl::string_view name);

  // Whether `password` is `name`'s. Costs one password hash whether or not
  // `name` exists.
  bool Verify(absl::string_view name, absl::string_view password) const;
  bool Contains(absl::string_view name) const;
  // The users, in the file's order.
  std::vector<std::string> Names() const;

  // OK, or InvalidArgument saying what a name may be.
  static absl::Status CheckName(absl::string_view name);
  static constexpr int kMinPasswordChars = 8;  // characters (UTF-8)
  static constexpr int kMaxNameChars = 32;

 private:
  struct Line {
    std::string name;  // empty: a comment or blank line, kept as `text`
    std::string text;  // the comment line, or the user's hash
  };
  std::vector<Line>::const_iterator Find(absl::string_view name) const;
  // Parses one line into lines_; `error` is set to the reason when it fails.
  bool ParseLine(absl::string_view line, std::string* error);

  std::vector<Line> lines_;
};

// Sessions and lockout of the dashboard's login (see the file comment).
class WebLogin {
 public:
  // `clock` gives the time of every decision (tests move it); it must be
  // thread-safe.
  explicit WebLogin(UserFile users,
                    std::function<absl::Time()> clock = absl::Now);

  struct Attempt {
    bool ok = false;
    std::string token;           // the new session's, when ok
    std::string user;            // when ok
    int http_status = 200;       // 200, 401 (wrong name or password) or 429
    std::string refusal_zh;      // why not, in Chinese, for the login page
    absl::Duration retry_after;  // for 429: when to try again
  };
  // One login by `peer` (the client's address).
  Attempt LogIn(absl::string_view name, absl::string_view password,
                absl::string_view peer) ABSL_LOCKS_EXCLUDED(login_mu_, mu_);
  // The user of the request's session cookie, if it names a live session;
  // counts as activity (restarts the idle expiry).
  std::optional<std::string> UserOf(const httplib::Request& request)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Ends the request's session, if any.
  void LogOut(const httplib::Request& request) ABSL_LOCKS_EXCLUDED(mu_);

  // Set-Cookie values: the session's cookie, and one that deletes it.
  static std::string SetCookie(absl::string_view token);
  static std::string ClearCookie();

  static constexpr char kCookie[] = "sanji_session";
  static constexpr absl::Duration kIdleExpiry = absl::Minutes(30);
  static constexpr absl::Duration kAbsoluteExpiry = absl::Hours(8);
  static constexpr int kNameFailureLimit = 5;
  static constexpr absl::Duration kNameLockout = absl::Minutes(15);
  static constexpr int kPeerFailureLimit = 20;
  static constexpr absl::Duration kPeerWindow = absl::Minutes(15);

 private:
  struct Session {
    std::string token;  // 64 hex digits; the map's key is its first 16
    std::string user;
    absl::Time created;
    absl::Time last_seen;
  };
  struct NameFailures {
    int count = 0;  // failures since the last success or lockout
    absl::Time last;
    absl::Time locked_until = absl::InfinitePast();
  };

  // LogIn once it holds login_mu_.
  Attempt LogInLocked(absl::string_view name, absl::string_view password,
                      absl::string_view peer)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(login_mu_);
  // A 429 when the peer or the name is refused now.
  std::optional<Attempt> Refusal(absl::string_view name, absl::string_view peer,
                                 absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(login_mu_);
  // Counts a failed login; the 401, or the 429 of the lockout it starts.
  Attempt Fail(absl::string_view name, absl::string_view peer, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(login_mu_);
  // Forgets what no longer matters once many names or peers are tracked.
  void PruneFailures(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(login_mu_);
  // A new session of `user`; its token.
  std::string NewSession(absl::string_view user, absl::Time now)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The live session of the request's cookie, or sessions_.end().
  std::map<std::string, Session>::iterator FindSession(
      const httplib::Request& request, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const UserFile users_;
  const std::function<absl::Time()> clock_;
  // Lock order: login_mu_ before mu_.
  absl::Mutex login_mu_;
  std::map<std::string, NameFailures> names_ ABSL_GUARDED_BY(login_mu_);
  // The times of each peer's failures within kPeerWindow, oldest first.
  std::map<std::string, std::deque<absl::Time>> peers_
      ABSL_GUARDED_BY(login_mu_);
  absl::Mutex mu_;
  std::map<std::string, Session> sessions_ ABSL_GUARDED_BY(mu_);
};

// Whether a state-changing request (POST) comes from the dashboard's own
// pages: it has `X-Requested-With: sanji` (which a form of another site
// cannot send, and a script of another site cannot send without a CORS
// preflight we never grant), no `Origin` or the server's own (scheme and
// Host), and no `Sec-Fetch-Site` other than same-origin. CSRF defence beside
// the cookie's SameSite=Strict.
bool SameOriginPost(const httplib::Request& request);

// Installs the login on `server`:
//  - POST /api/login, JSON {"name","password"}: 200 {"user":NAME} with the
//    session cookie; 400 for a body that is not that JSON; 401
//    {"error":"用户名或密码错误"}; 429 with Retry-After while locked.
//  - POST /api/logout: ends the session, deletes the cookie; 200 {}.
//  - GET /api/session: 200 {"user":NAME}, or 401.
//  - GET /login?next=PATH: the login page (zh-CN, self-contained), which
//    goes to PATH (a path of this server only; default "/") once logged in.
//  - A pre-routing handler: a POST (any method but GET, HEAD and OPTIONS)
//    that fails SameOriginPost is refused with 403, with or without a login.
//    With `login`, every other request but /login, /api/login and
//    /api/logout needs a session: /api/... gets 401 {"error":"请先登录"},
//    a page 303 to /login?next=PATH.
// With `login` null (a loopback address) there is no login: /api/session
// answers {"user":""}, /login goes straight on to its next (default "/"),
// /api/login is 404. The gate is the server's one pre-routing handler
// (cpp-httplib keeps one): nothing else may set another. `login` is not
// owned.
void InstallLogin(httplib::Server* server, WebLogin* login);

// The user a request acts as: the session's user, or "" when there is no
// login (`login` null, loopback). With a login, a request without a session
// reaches no handler but those of the login itself (the gate refuses it).
std::string ActingUser(WebLogin* login, const httplib::Request& request);

// `next` when it is a path of this server to go to after login (it starts
// with one "/" and has no whitespace, control character or backslash, which
// browsers would read as another host); else "/".
std::string SafeNext(absl::string_view next);

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_WEB_LOGIN_H_

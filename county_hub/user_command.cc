#include "county_hub/user_command.h"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/cli.h"

namespace sanji {
namespace {

// The terminal's settings while a prompt has turned its echo off, for the
// SIGINT handler to put back.
struct termios saved_terminal;
volatile sig_atomic_t echo_off = 0;

void RestoreTerminalAndExit(int /*signal*/) {
  if (echo_off) tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);
  if (write(STDERR_FILENO, "\n", 1) < 0) {
    // Nothing more can be done in a signal handler.
  }
  _exit(130);
}

// Lets Ctrl-C end a prompt (main blocks SIGINT for `serve`), putting the
// terminal's echo back first.
void AllowInterrupt() {
  struct sigaction action = {};
  action.sa_handler = RestoreTerminalAndExit;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigprocmask(SIG_UNBLOCK, &signals, nullptr);
}

// One line of stdin without its line end; nullopt at end of input.
std::optional<std::string> ReadLine() {
  std::string line;
  if (!std::getline(std::cin, line) && line.empty()) return std::nullopt;
  if (absl::EndsWith(line, "\r")) line.pop_back();
  return line;
}

// Prompts on stderr and reads a line from the terminal without echo.
std::optional<std::string> PromptHidden(const std::string& prompt) {
  std::fprintf(stderr, "%s", prompt.c_str());
  std::fflush(stderr);
  if (tcgetattr(STDIN_FILENO, &saved_terminal) == 0) {
    struct termios quiet = saved_terminal;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    echo_off = 1;
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::optional<std::string> line = ReadLine();
  if (echo_off) tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);
  echo_off = 0;
  std::fprintf(stderr, "\n");
  return line;
}

// The new password: one line of stdin, or on a terminal typed twice.
std::string ReadPasswordOrExit(const std::string& name) {
  if (!isatty(STDIN_FILENO)) {
    std::optional<std::string> line = ReadLine();
    if (!line.has_value() || line->empty()) {
      ExitUsage("no password: give it as one line on stdin");
    }
    return *line;
  }
  AllowInterrupt();
  std::optional<std::string> first =
      PromptHidden(absl::StrCat("New password for ", name, ": "));
  if (!first.has_value() || first->empty()) ExitUsage("no password given");
  std::optional<std::string> second = PromptHidden("The same again: ");
  if (second != first) {
    ExitUsage("the two passwords differ; nothing was changed");
  }
  return *first;
}

// The users file at `path`, or an empty one when it does not exist yet and
// `may_be_new`.
UserFile LoadOrExit(const std::string& path, bool may_be_new) {
  absl::StatusOr<UserFile> file = UserFile::Load(path);
  if (file.ok()) return *std::move(file);
  if (may_be_new && absl::IsNotFound(file.status())) return UserFile();
  ExitFailure(file.status().message());
}

void SaveOrExit(const UserFile& file, const std::string& path) {
  absl::Status saved = file.Save(path);
  if (!saved.ok()) ExitFailure(saved.message());
}

int AddUser(const std::string& path, const std::string& name) {
  if (absl::Status s = UserFile::CheckName(name); !s.ok()) {
    ExitUsage(s.message());
  }
  UserFile file = LoadOrExit(path, /*may_be_new=*/true);
  const bool existed = file.Contains(name);
  absl::Status put = file.Put(name, ReadPasswordOrExit(name));
  if (absl::IsInvalidArgument(put)) ExitUsage(put.message());
  if (!put.ok()) ExitFailure(put.message());
  SaveOrExit(file, path);
  std::printf("%s: %s\n", name.c_str(), existed ? "password changed" : "added");
  return 0;
}

int RemoveUser(const std::string& path, const std::string& name) {
  UserFile file = LoadOrExit(path, /*may_be_new=*/false);
  if (!file.Remove(name).ok()) {
    ExitFailure(absl::StrCat("no user ", name, " in ", path,
                             "; `county_hub user list --users=", path,
                             "` lists them"));
  }
  SaveOrExit(file, path);
  std::printf("%s: removed\n", name.c_str());
  return 0;
}

int ListUsers(const std::string& path) {
  UserFile file = LoadOrExit(path, /*may_be_new=*/false);
  std::vector<std::string> names = file.Names();
  for (const std::string& name : names) std::printf("%s\n", name.c_str());
  if (names.empty()) std::fprintf(stderr, "county_hub: no users\n");
  return 0;
}

}  // namespace

int UserCommand(const std::vector<std::string>& args, const std::string& users,
                const std::string& name) {
  if (args.size() != 1) {
    ExitUsage("say what to do: `user add`, `user remove` or `user list`");
  }
  const std::string& action = args[0];
  if (action != "add" && action != "remove" && action != "list") {
    ExitUsage(absl::StrCat("unknown user action '", action,
                           "'; use add, remove or list"));
  }
  RequireFlag("users", users);
  if (action == "list") return ListUsers(users);
  RequireFlag("name", name);
  if (action == "add") return AddUser(users, name);
  return RemoveUser(users, name);
}

std::unique_ptr<WebLogin> WebLoginOrExit(const std::string& users) {
  if (users.empty()) {
    ExitUsage(
        "the dashboard on a non-loopback address has a login: give "
        "--users=FILE (made with `county_hub user add`)");
  }
  absl::StatusOr<UserFile> file = UserFile::Load(users);
  if (!file.ok()) ExitFailure(file.status().message());
  if (file->Names().empty()) {
    ExitFailure(absl::StrCat(users,
                             " names nobody, so nobody could log in: add a "
                             "user with `county_hub user add --users=",
                             users, " --name=NAME`"));
  }
  return std::make_unique<WebLogin>(*std::move(file));
}

}  // namespace sanji

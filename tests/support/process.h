// Process and file-system helpers for integration and fault tests: start the
// built programs as child processes, kill them (kill -9 included), run CLI
// commands and capture their output, pick free ports, make scratch directories,
// and wait for conditions by polling.
//
// Tests never sleep blindly: they wait with WaitFor() on a condition that says
// what they are waiting for.
//
// Thread-safety: a ChildProcess or TempDir object must be used from one thread
// at a time. The free functions are thread-safe. Note PR_SET_PDEATHSIG fires
// when the *thread* that forked the child exits, so start long-lived children
// from the test's main thread.
#ifndef SANJI_TESTS_SUPPORT_PROCESS_H_
#define SANJI_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace sanji::test_support {

// A child process with its own process group, stdin from /dev/null and
// stdout+stderr appended to a log file. The child gets SIGKILL if the test
// process dies.
class ChildProcess {
 public:
  ChildProcess() = default;
  // Kills the child (and its process group) if it is still running.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts `binary` with `args` (argv[1..]; argv[0] is `binary`), appending its
  // stdout and stderr to `log_path` (created if missing). Fails if already
  // running, or if the program cannot be executed (the exec error is reported
  // here, not as an exit code).
  absl::Status Start(const std::string& binary,
                     const std::vector<std::string>& args,
                     const std::string& log_path);

  // Sends `sig` to the child process itself (e.g. SIGSTOP/SIGCONT to freeze
  // it). False if it is not running or kill() fails.
  bool Signal(int sig);
  // SIGKILL to the child's process group, then reaps it. No-op if not running.
  void Kill();
  // SIGTERM, then waits up to `timeout` for it to exit; SIGKILL if it has not.
  // Returns the exit status as Wait() does (nullopt only if the child was never
  // started).
  std::optional<int> Terminate(absl::Duration timeout = absl::Seconds(10));
  // Waits up to `timeout` for the child to exit. Returns its exit code, or
  // minus the signal number when a signal ended it (e.g. -9 after SIGKILL);
  // nullopt if it is still running (or was never started).
  std::optional<int> Wait(absl::Duration timeout);
  // True while started and not yet exited (reaps it if it has exited).
  bool Running();

  pid_t pid() const { return pid_; }
  // The status of the last exit, as Wait() returns it; nullopt while running or
  // never run.
  std::optional<int> exit_status() const { return exit_status_; }
  const std::string& binary() const { return binary_; }
  const std::string& log_path() const { return log_path_; }

 private:
  // Non-blocking reap; true if the child has exited (exit_status_ set).
  bool Reap();

  pid_t pid_ = -1;
  bool running_ = false;
  std::optional<int> exit_status_;
  std::string binary_;
  std::string log_path_;
};

// What a finished command printed and how it ended.
struct CommandResult {
  int exit_code =
      -1;  // exit code, or minus the signal number (e.g. -9 after a timeout)
  std::string output;      // everything it wrote to stdout
  std::string errors;      // everything it wrote to stderr
  bool timed_out = false;  // killed because it ran longer than the timeout
};

// Runs `binary args...` with stdin from /dev/null, capturing stdout and stderr
// separately, and waits for it. After `timeout` it kills the command's process
// group (timed_out = true). If the program cannot be started, exit_code is 127
// and `errors` says why.
CommandResult RunCommand(const std::string& binary,
                         const std::vector<std::string>& args,
                         absl::Duration timeout = absl::Seconds(60));

// A TCP port on 127.0.0.1 that was free a moment ago, below the ephemeral
// range and never returned before by this process. Returns 0 if none.
int PickFreePort();

// A fresh directory (mkdtemp under $TMPDIR or /tmp), removed with everything in
// it when the object is destroyed, unless the environment variable
// SANJI_KEEP_TMP is set (then its path is printed to stderr so it can be
// inspected).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // False if the directory could not be created (path() is then empty).
  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  // path() + "/" + name; nothing is created.
  std::string Sub(const std::string& name) const;

 private:
  std::string path_;
};

// Polls `condition` every `poll` until it returns true (then true) or `timeout`
// has passed (then false). The condition is always checked at least once, and
// once more at the deadline.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
             absl::Duration poll = absl::Milliseconds(20));

// Path of a program built into ${CMAKE_BINARY_DIR}/bin (village_agent,
// township_node, county_hub, gen_workload). The environment variable
// SANJI_BIN_DIR overrides the directory.
std::string BinaryPath(const std::string& name);

// A number of /proc/PID/status, e.g. "Threads", or "VmHWM" in kB; -1 if the
// process or the line is not there.
int64_t ProcStatusField(pid_t pid, absl::string_view key);

}  // namespace sanji::test_support

#endif  // SANJI_TESTS_SUPPORT_PROCESS_H_

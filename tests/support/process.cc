#include "tests/support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "absl/base/const_init.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace sanji::test_support {
namespace {

// Exit status of a reaped child, as Wait() reports it.
int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return INT_MIN;
}

void CloseIfOpen(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// Forks and execs `binary args...` with the given stdin/stdout/stderr, in a new
// process group, with SIGKILL as its parent-death signal. Returns the pid, or
// an error (exec failures included, reported through a close-on-exec pipe). The
// caller keeps ownership of the three fds.
absl::Status Spawn(const std::string& binary,
                   const std::vector<std::string>& args, int in_fd, int out_fd,
                   int err_fd, pid_t* pid_out) {
  // Everything the child needs is prepared before fork: after fork in a
  // multi-threaded process only async-signal-safe calls are allowed.
  std::vector<std::string> storage;
  storage.reserve(args.size() + 1);
  storage.push_back(binary);
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);

  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", strerror(errno)));
  }
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(err_pipe[0]);
    close(err_pipe[1]);
    return absl::InternalError(absl::StrCat("fork: ", strerror(e)));
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(127);  // the parent died before prctl took effect
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) {
      int e = errno;
      (void)!write(err_pipe[1], &e, sizeof(e));
      _exit(127);
    }
    execv(argv[0], argv.data());
    int e = errno;
    (void)!write(err_pipe[1], &e, sizeof(e));
    _exit(127);
  }
  setpgid(
      pid,
      pid);  // also from the parent, so the group exists before we signal it
  close(err_pipe[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(err_pipe[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close(err_pipe[0]);
  if (n > 0) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot execute ", binary, ": ", strerror(child_errno)));
  }
  *pid_out = pid;
  return absl::OkStatus();
}

void BlockingReap(pid_t pid, int* status) {
  while (waitpid(pid, status, 0) < 0) {
    if (errno != EINTR) {
      *status = -1;
      return;
    }
  }
}

}  // namespace

ChildProcess::~ChildProcess() {
  if (running_) Kill();
}

absl::Status ChildProcess::Start(const std::string& binary,
                                 const std::vector<std::string>& args,
                                 const std::string& log_path) {
  if (Running()) {
    return absl::FailedPreconditionError(
        absl::StrCat(binary_, " is still running as pid ", pid_));
  }
  int log_fd =
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open log file ", log_path, ": ", strerror(errno)));
  }
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    int e = errno;
    close(log_fd);
    return absl::InternalError(
        absl::StrCat("cannot open /dev/null: ", strerror(e)));
  }
  pid_t pid = -1;
  absl::Status status = Spawn(binary, args, null_fd, log_fd, log_fd, &pid);
  close(null_fd);
  close(log_fd);
  if (!status.ok()) return status;
  pid_ = pid;
  running_ = true;
  exit_status_.reset();
  binary_ = binary;
  log_path_ = log_path;
  return absl::OkStatus();
}

bool ChildProcess::Reap() {
  if (!running_) return true;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  running_ = false;
  exit_status_ =
      r == pid_ ? DecodeStatus(status) : INT_MIN;  // INT_MIN: reaped elsewhere
  return true;
}

bool ChildProcess::Running() { return running_ && !Reap(); }

bool ChildProcess::Signal(int sig) {
  if (!Running()) return false;
  return kill(pid_, sig) == 0;
}

void ChildProcess::Kill() {
  if (!running_) return;
  kill(-pid_,
       SIGKILL);  // the whole group: anything the program started dies with it
  kill(pid_, SIGKILL);
  int status = 0;
  BlockingReap(pid_, &status);
  running_ = false;
  exit_status_ = status == -1 ? INT_MIN : DecodeStatus(status);
}

std::optional<int> ChildProcess::Terminate(absl::Duration timeout) {
  if (pid_ < 0) return std::nullopt;
  if (Running()) {
    kill(pid_, SIGTERM);
    if (!Wait(timeout).has_value()) Kill();
  }
  return exit_status_;
}

std::optional<int> ChildProcess::Wait(absl::Duration timeout) {
  if (pid_ < 0) return std::nullopt;
  WaitFor([this] { return Reap(); }, timeout, absl::Milliseconds(5));
  if (running_) return std::nullopt;
  return exit_status_;
}

CommandResult RunCommand(const std::string& binary,
                         const std::vector<std::string>& args,
                         absl::Duration timeout) {
  CommandResult result;
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    result.exit_code = 127;
    result.errors =
        absl::StrCat("RunCommand: cannot create pipes: ", strerror(errno));
    CloseIfOpen(&null_fd);
    for (int* fd : {&out_pipe[0], &out_pipe[1], &err_pipe[0], &err_pipe[1]})
      CloseIfOpen(fd);
    return result;
  }
  pid_t pid = -1;
  absl::Status status =
      Spawn(binary, args, null_fd, out_pipe[1], err_pipe[1], &pid);
  CloseIfOpen(&null_fd);
  CloseIfOpen(&out_pipe[1]);
  CloseIfOpen(&err_pipe[1]);
  if (!status.ok()) {
    CloseIfOpen(&out_pipe[0]);
    CloseIfOpen(&err_pipe[0]);
    result.exit_code = 127;
    result.errors = std::string(status.message());
    return result;
  }

  absl::Time deadline = absl::Now() + timeout;
  // After a timeout kill, give stray holders of the pipes a little time, then
  // stop reading.
  absl::Time drain_deadline = absl::InfiniteFuture();
  int fds[2] = {out_pipe[0], err_pipe[0]};
  std::string* sinks[2] = {&result.output, &result.errors};
  char buf[16384];
  while (fds[0] >= 0 || fds[1] >= 0) {
    absl::Time now = absl::Now();
    if (!result.timed_out && now >= deadline) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      drain_deadline = now + absl::Seconds(5);
    }
    if (now >= drain_deadline) break;
    absl::Time until = result.timed_out ? drain_deadline : deadline;
    int wait_ms = static_cast<int>(std::clamp<int64_t>(
        absl::ToInt64Milliseconds(until - now) + 1, 1, 1000));
    pollfd pfds[2];
    int n = 0;
    int which[2];
    for (int i = 0; i < 2; ++i) {
      if (fds[i] < 0) continue;
      pfds[n] = pollfd{fds[i], POLLIN, 0};
      which[n++] = i;
    }
    int r = poll(pfds, n, wait_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < n; ++k) {
      if (pfds[k].revents == 0) continue;
      int i = which[k];
      ssize_t got = read(fds[i], buf, sizeof(buf));
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        CloseIfOpen(&fds[i]);
      }
    }
  }
  CloseIfOpen(&fds[0]);
  CloseIfOpen(&fds[1]);
  if (!result.timed_out) {
    // Output is closed; the command may still be running (it closed its
    // streams), so keep honouring the timeout.
    pid_t r;
    int st = 0;
    while ((r = waitpid(pid, &st, WNOHANG)) == 0 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    if (r == pid) {
      result.exit_code = DecodeStatus(st);
      return result;
    }
    result.timed_out = true;
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
  }
  int st = 0;
  BlockingReap(pid, &st);
  result.exit_code = st == -1 ? INT_MIN : DecodeStatus(st);
  return result;
}

namespace {

// Takes /tmp/sanji-test-ports/PORT's lock for as long as this process lives
// (the descriptor is kept open on purpose); false if another process has it.
bool LockPortForThisProcess(int port) {
  const std::string dir = "/tmp/sanji-test-ports";
  mkdir(dir.c_str(), 0777);  // exists already, mostly
  const std::string path = absl::StrCat(dir, "/", port);
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return true;  // no lock to take: the bind test alone decides
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return false;
  }
  return true;
}

}  // namespace

int PickFreePort() {
  // Ports come from 20000-32767, below Linux's ephemeral range (32768+), so
  // that an outgoing connection or a bind to port 0 cannot take a port between
  // the pick and the child's bind; and a port is never handed out twice by one
  // test process (two picks of the same free port would give two children one
  // address, and the second would silently talk to the first). Test
  // processes run side by side (ctest -j2): a port is also locked for the
  // life of the process that picked it (flock on a file per port), so that
  // another test process cannot pick it while its child is still starting.
  constexpr int kFirst = 20000, kCount = 12768;
  static absl::Mutex mu(absl::kConstInit);
  static std::set<int>* given = new std::set<int>();
  static std::mt19937 rng(std::random_device{}());
  absl::MutexLock lock(&mu);
  int start = std::uniform_int_distribution<int>(0, kCount - 1)(rng);
  for (int i = 0; i < kCount; ++i) {
    int port = kFirst + (start + i) % kCount;
    if (given->count(port) > 0) continue;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    if (free && LockPortForThisProcess(port)) {
      given->insert(port);
      return port;
    }
  }
  return 0;
}

TempDir::TempDir() {
  const char* env = getenv("TMPDIR");
  std::string base = (env != nullptr && env[0] != '\0') ? env : "/tmp";
  std::string pattern = base + "/sanji-XXXXXX";
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  if (getenv("SANJI_KEEP_TMP") != nullptr) {
    fprintf(stderr, "SANJI_KEEP_TMP: keeping %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Sub(const std::string& name) const {
  return path_ + "/" + name;
}

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
             absl::Duration poll) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    absl::Time now = absl::Now();
    if (now >= deadline) return false;
    absl::SleepFor(std::min(poll, deadline - now));
  }
}

std::string BinaryPath(const std::string& name) {
  const char* env = getenv("SANJI_BIN_DIR");
  std::string dir = (env != nullptr && env[0] != '\0') ? env : SANJI_BIN_DIR;
  return dir + "/" + name;
}

int64_t ProcStatusField(pid_t pid, absl::string_view key) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, key) || !absl::ConsumePrefix(&rest, ":"))
      continue;
    rest = absl::StripAsciiWhitespace(rest);
    absl::ConsumeSuffix(&rest, " kB");
    int64_t value = 0;
    if (absl::SimpleAtoi(rest, &value)) return value;
  }
  return -1;
}

}  // namespace sanji::test_support

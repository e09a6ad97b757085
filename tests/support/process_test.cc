// Tests of the child-process, temp-dir and waiting helpers.
#include "tests/support/process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace sanji::test_support {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// True while `pid` exists and is not a zombie (an orphan's zombie may linger if
// the container's init does not reap).
bool Alive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ||
         stat[paren + 2] != 'Z';
}

TEST(ChildProcessTest, KillReportsTheSignal) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  ChildProcess child;
  ASSERT_TRUE(
      child.Start("/bin/sh", {"-c", "sleep 30"}, dir.Sub("sh.log")).ok());
  EXPECT_TRUE(child.Running());
  EXPECT_GT(child.pid(), 0);
  EXPECT_EQ(getpgid(child.pid()), child.pid());  // its own process group
  EXPECT_FALSE(child.Wait(absl::Milliseconds(50)).has_value());
  child.Kill();
  EXPECT_FALSE(child.Running());
  EXPECT_EQ(child.exit_status(), -SIGKILL);
  EXPECT_EQ(child.Wait(absl::ZeroDuration()), -SIGKILL);
}

TEST(ChildProcessTest, SignalThenWait) {
  TempDir dir;
  ChildProcess child;
  ASSERT_TRUE(child.Start("/bin/sleep", {"30"}, dir.Sub("sleep.log")).ok());
  ASSERT_TRUE(child.Signal(SIGKILL));
  std::optional<int> status = child.Wait(absl::Seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, -SIGKILL);
  EXPECT_FALSE(child.Signal(SIGTERM));  // no longer running
}

TEST(ChildProcessTest, LogsOutputAndExitCode) {
  TempDir dir;
  ChildProcess child;
  std::string log = dir.Sub("out.log");
  ASSERT_TRUE(
      child
          .Start("/bin/sh", {"-c", "echo to-out; echo to-err >&2; exit 3"}, log)
          .ok());
  EXPECT_EQ(child.Wait(absl::Seconds(10)), 3);
  std::string text = ReadFile(log);
  EXPECT_TRUE(absl::StrContains(text, "to-out")) << text;
  EXPECT_TRUE(absl::StrContains(text, "to-err")) << text;
  // A restart appends to the same log.
  ASSERT_TRUE(child.Start("/bin/sh", {"-c", "echo second"}, log).ok());
  EXPECT_EQ(child.Wait(absl::Seconds(10)), 0);
  text = ReadFile(log);
  EXPECT_TRUE(absl::StrContains(text, "to-out")) << text;
  EXPECT_TRUE(absl::StrContains(text, "second")) << text;
}

TEST(ChildProcessTest, StartFailsForMissingProgram) {
  TempDir dir;
  ChildProcess child;
  absl::Status s = child.Start("/nonexistent/program", {}, dir.Sub("x.log"));
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "/nonexistent/program")) << s;
  EXPECT_FALSE(child.Running());
  EXPECT_FALSE(child.Start("/bin/true", {}, "/nonexistent/dir/x.log").ok());
}

TEST(ChildProcessTest, StartTwiceWhileRunningFails) {
  TempDir dir;
  ChildProcess child;
  ASSERT_TRUE(child.Start("/bin/sleep", {"30"}, dir.Sub("a.log")).ok());
  EXPECT_FALSE(child.Start("/bin/sleep", {"30"}, dir.Sub("b.log")).ok());
  child.Kill();
}

TEST(ChildProcessTest, TerminateUsesSigtermThenSigkill) {
  TempDir dir;
  ChildProcess polite;
  ASSERT_TRUE(polite.Start("/bin/sleep", {"30"}, dir.Sub("p.log")).ok());
  EXPECT_EQ(polite.Terminate(absl::Seconds(10)), -SIGTERM);

  ChildProcess stubborn;
  std::string ready = dir.Sub("ready");
  ASSERT_TRUE(stubborn
                  .Start("/bin/sh",
                         {"-c", "trap '' TERM; touch " + ready + "; sleep 30"},
                         dir.Sub("s.log"))
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(ready); },
                      absl::Seconds(10)));
  absl::Time start = absl::Now();
  EXPECT_EQ(stubborn.Terminate(absl::Milliseconds(300)), -SIGKILL);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST(ChildProcessTest, KillTakesTheWholeProcessGroup) {
  TempDir dir;
  std::string pid_file = dir.Sub("grandchild.pid");
  ChildProcess child;
  ASSERT_TRUE(child
                  .Start("/bin/sh",
                         {"-c", "sleep 30 & echo $! > " + pid_file + "; wait"},
                         dir.Sub("g.log"))
                  .ok());
  pid_t grandchild = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        std::string text = ReadFile(pid_file);
        return !text.empty() && text.back() == '\n' &&
               (grandchild = std::stoi(text)) > 0;
      },
      absl::Seconds(10)));
  EXPECT_TRUE(Alive(grandchild));
  child.Kill();
  // The grandchild is reparented to init (or a subreaper) and reaped there once
  // killed.
  EXPECT_TRUE(WaitFor([&] { return !Alive(grandchild); }, absl::Seconds(10)));
}

TEST(ChildProcessTest, DestructorKills) {
  TempDir dir;
  pid_t pid;
  {
    ChildProcess child;
    ASSERT_TRUE(child.Start("/bin/sleep", {"30"}, dir.Sub("d.log")).ok());
    pid = child.pid();
    EXPECT_TRUE(Alive(pid));
  }
  EXPECT_FALSE(Alive(pid));  // killed and reaped: the pid is gone
}

TEST(RunCommandTest, CapturesStreamsSeparatelyAndExitCode) {
  CommandResult r = RunCommand(
      "/bin/sh",
      {"-c", "echo out; echo err >&2; echo 'a b' \"$0\"; exit 3", "arg0"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.output, "out\na b arg0\n");
  EXPECT_EQ(r.errors, "err\n");
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(RunCommand("/bin/true", {}).exit_code, 0);
}

TEST(RunCommandTest, LargeOutputOnBothStreamsDoesNotDeadlock) {
  CommandResult r = RunCommand(
      "/bin/sh",
      {"-c", "head -c 1000000 /dev/zero; head -c 700000 /dev/zero >&2; exit 0"},
      absl::Seconds(30));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output.size(), 1000000u);
  EXPECT_EQ(r.errors.size(), 700000u);
}

TEST(RunCommandTest, TimeoutKills) {
  absl::Time start = absl::Now();
  CommandResult r = RunCommand("/bin/sh", {"-c", "echo started; sleep 30"},
                               absl::Milliseconds(300));
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, -SIGKILL);
  EXPECT_EQ(r.output, "started\n");
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST(RunCommandTest, MissingProgramIs127) {
  CommandResult r = RunCommand("/nonexistent/program", {"x"});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_TRUE(absl::StrContains(r.errors, "/nonexistent/program")) << r.errors;
}

TEST(WaitForTest, TrueAtOnceTrueLaterAndTimeout) {
  EXPECT_TRUE(WaitFor([] { return true; }, absl::ZeroDuration()));

  int calls = 0;
  EXPECT_TRUE(WaitFor([&] { return ++calls >= 3; }, absl::Seconds(10),
                      absl::Milliseconds(1)));
  EXPECT_EQ(calls, 3);

  calls = 0;
  absl::Time start = absl::Now();
  EXPECT_FALSE(WaitFor(
      [&] {
        ++calls;
        return false;
      },
      absl::Milliseconds(200), absl::Milliseconds(20)));
  absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(200));
  EXPECT_LT(took, absl::Seconds(5));
  EXPECT_GE(calls, 2);
  EXPECT_LE(calls,
            13);  // about one check per poll, plus the first and the last
}

TEST(PickFreePortTest, PortCanBeBound) {
  int port = PickFreePort();
  ASSERT_GT(port, 0);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
}

TEST(TempDirTest, CreatedAndRemoved) {
  if (getenv("SANJI_KEEP_TMP") != nullptr)
    GTEST_SKIP() << "SANJI_KEEP_TMP is set";
  std::string path;
  {
    TempDir dir;
    ASSERT_TRUE(dir.ok());
    path = dir.path();
    EXPECT_TRUE(std::filesystem::is_directory(path));
    std::filesystem::create_directories(dir.Sub("a/b"));
    std::ofstream(dir.Sub("a/b/f.txt")) << "x";
    EXPECT_EQ(dir.Sub("a"), path + "/a");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(BinaryPathTest, PointsIntoTheBuildBinDir) {
  if (getenv("SANJI_BIN_DIR") != nullptr)
    GTEST_SKIP() << "SANJI_BIN_DIR is set";
  std::string path = BinaryPath("village_agent");
  EXPECT_TRUE(absl::EndsWith(path, "/bin/village_agent")) << path;
  EXPECT_EQ(path, std::string(SANJI_BIN_DIR) + "/village_agent");
}

}  // namespace
}  // namespace sanji::test_support

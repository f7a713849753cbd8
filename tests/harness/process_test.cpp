#include "tests/harness/process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/harness/files.h"
#include "tests/support/status_matchers.h"

namespace spikeline::harness {
namespace {

// True while `pid` exists and is not a zombie.
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_text, comm, state;
  if (!(stat >> pid_text >> comm >> state)) return false;
  return state != "Z" && state != "X";
}

class ProcessTest : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string log(const std::string& name) { return (dir_ / name).string(); }
  std::filesystem::path dir_ = makeTempDir("spikeline-harness");
};

TEST_F(ProcessTest, ReadsTheEndpointsOfTheReadyLine) {
  Process p;
  ASSERT_OK(p.start({"sh", "-c", "echo starting; echo 'READY data=tcp://127.0.0.1:4100 "
                                 "metrics=127.0.0.1:4101'; exec sleep 30"},
                    log("ready.log")));
  ASSERT_OK_AND_ASSIGN(ReadyLine ready, p.waitReady(10'000));
  EXPECT_EQ(ready.find("data"), "tcp://127.0.0.1:4100");
  EXPECT_EQ(p.endpoint("metrics"), "127.0.0.1:4101");
  EXPECT_TRUE(p.running());
  EXPECT_EQ(p.stop(SIGTERM), 128 + SIGTERM);
  EXPECT_FALSE(p.running());
}

TEST_F(ProcessTest, AnExitBeforeReadyIsReportedWithItsCodeAndLog) {
  Process p;
  ASSERT_OK(p.start({"sh", "-c", "echo 'cannot bind: Address already in use' >&2; exit 3"},
                    log("early.log")));
  const Status s = p.waitReady(10'000).status();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.toString();
  EXPECT_NE(s.message().find("exited with code 3"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("Address already in use"), std::string::npos) << s.message();
  EXPECT_EQ(p.exitCode(), 3);
}

TEST_F(ProcessTest, NoReadyLineInTimeIsADeadline) {
  Process p;
  ASSERT_OK(p.start({"sleep", "30"}, log("quiet.log")));
  EXPECT_STATUS_CODE(p.waitReady(50), StatusCode::kDeadlineExceeded);
  p.kill();
  EXPECT_FALSE(p.running());
}

TEST_F(ProcessTest, AMissingProgramExits127) {
  Process p;
  ASSERT_OK(p.start({"/nonexistent/spikeline-nothing"}, log("missing.log")));
  EXPECT_STATUS_CODE(p.waitReady(10'000), StatusCode::kUnavailable);
  EXPECT_EQ(p.exitCode(), 127);
}

TEST_F(ProcessTest, KillEndsTheWholeProcessGroup) {
  Process p;
  ASSERT_OK(p.start({"sh", "-c", "sleep 300 & echo READY child=$!; wait"}, log("group.log")));
  ASSERT_OK_AND_ASSIGN(ReadyLine ready, p.waitReady(10'000));
  const pid_t grandchild = std::stoi(ready.find("child"));
  ASSERT_TRUE(alive(grandchild));
  p.kill();
  EXPECT_TRUE(waitUntil([&] { return !alive(grandchild); }, 5000)) << "pid " << grandchild;
}

TEST_F(ProcessTest, ARestartAppendsAndFindsOnlyItsOwnReadyLine) {
  Process p;
  ASSERT_OK(p.start({"sh", "-c", "echo READY run=1"}, log("twice.log")));
  ASSERT_OK_AND_ASSIGN(ReadyLine first, p.waitReady(10'000));
  EXPECT_EQ(first.find("run"), "1");
  p.reap(5000);
  ASSERT_OK(p.start({"sh", "-c", "echo READY run=2; exec sleep 30"}, log("twice.log")));
  ASSERT_OK_AND_ASSIGN(ReadyLine second, p.waitReady(10'000));
  EXPECT_EQ(second.find("run"), "2");
  EXPECT_NE(readText(log("twice.log") + ".stdout").find("run=1"), std::string::npos);
}

// A harness that dies without cleaning up (a crash, ctest's timeout kill) still takes the
// processes it started with it: PR_SET_PDEATHSIG.
TEST_F(ProcessTest, AHarnessThatDiesTakesItsProcessesWithIt) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t harness = ::fork();
  ASSERT_GE(harness, 0);
  if (harness == 0) {
    ::close(fds[0]);
    static Process p;  // never destroyed: the harness "crashes"
    if (!p.start({"sleep", "300"}, log("orphan.log")).isOk()) ::_exit(1);
    const pid_t child = p.pid();
    (void)!::write(fds[1], &child, sizeof child);
    ::_exit(0);
  }
  ::close(fds[1]);
  pid_t child = -1;
  ASSERT_EQ(::read(fds[0], &child, sizeof child), static_cast<ssize_t>(sizeof child));
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(harness, &status, 0), harness);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(waitUntil([&] { return !alive(child); }, 5000)) << "pid " << child << " outlived";
  if (alive(child)) ::kill(child, SIGKILL);
}

}  // namespace
}  // namespace spikeline::harness

// The launcher ends what it started: a process tree is gone after the guard ends, even when
// the scope is left by an exception; exit codes and signals are recorded; fd 3 is handed over.
#include "zerodrop/launcher.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <stdexcept>
#include <thread>

namespace zerodrop {
namespace {

std::string workdir() {
  char t[] = "/tmp/zerodrop-launcher-test-XXXXXX";
  return mkdtemp(t);
}

bool alive(pid_t p) {
  // A zombie still answers kill(0); read its state.
  std::ifstream f("/proc/" + std::to_string(p) + "/stat");
  std::string s;
  if (!std::getline(f, s)) return false;
  auto rp = s.rfind(')');
  return rp != std::string::npos && s[rp + 2] != 'Z';
}

void wait_for(const std::function<bool()>& cond) {
  for (int i = 0; i < 2000 && !cond(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

TEST(Launcher, ProcessTreeIsGoneAfterAnException) {
  auto dir = workdir();
  pid_t leader = 0, grandchild = 0;
  try {
    Launcher L(RunClock{}, dir);
    SpawnOptions o;
    // A child that starts a grandchild which ignores SIGTERM: teardown must escalate to KILL.
    o.argv = {"/bin/sh", "-c",
              "sh -c 'trap \"\" TERM; echo $$ > " + dir + "/gc; while :; do sleep 1; done' & wait"};
    o.capture_stdout = false;
    leader = L.spawn(o);
    wait_for([&] {
      return std::ifstream(dir + "/gc").good() && std::ifstream(dir + "/gc").peek() != EOF;
    });
    std::ifstream(dir + "/gc") >> grandchild;
    ASSERT_GT(grandchild, 0);
    ASSERT_TRUE(alive(grandchild));
    throw std::runtime_error("a check blew up");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(alive(leader));
  EXPECT_FALSE(alive(grandchild));
  if (grandchild > 0 && alive(grandchild)) kill(grandchild, SIGKILL);  // never leave it behind
  std::filesystem::remove_all(dir);
}

// Every process of a run carries the run's tag; one that is not below the given root is found.
// (Under the harness, a subreaper, nothing can leave its tree by forking; the root here is a
// spawned leader, and the "escaped" process a sibling the test starts itself.)
TEST(Launcher, FindsTheRunsProcessesOutsideATree) {
  auto dir = workdir();
  {
    Launcher L(RunClock{}, dir);
    SpawnOptions o;
    o.argv = {"/bin/sh", "-c", "sleep 30 & echo $! > " + dir + "/inside; wait"};
    o.capture_stdout = false;
    pid_t leader = L.spawn(o);
    wait_for([&] { return std::ifstream(dir + "/inside").peek() != EOF; });
    pid_t inside = 0;
    std::ifstream(dir + "/inside") >> inside;
    ASSERT_GT(inside, 0);
    pid_t escaped = fork();
    ASSERT_GE(escaped, 0);
    if (escaped == 0) {
      std::string tag = L.run_tag();
      char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>("30"), nullptr};
      char* envp[] = {tag.data(), nullptr};
      execve("/bin/sleep", argv, envp);
      _exit(127);
    }
    wait_for([&] { return !tagged_processes_outside(L.run_tag(), leader).empty(); });
    auto found = tagged_processes_outside(L.run_tag(), leader);
    EXPECT_EQ(found, std::vector<pid_t>{escaped})
        << "the leader's own child " << inside << " is inside";
    kill(escaped, SIGKILL);
    waitpid(escaped, nullptr, 0);
  }
  std::filesystem::remove_all(dir);
}

// The harness SIGKILLed mid-run (no destructor runs): a later generation — forked by the
// server, so without PR_SET_PDEATHSIG — must still be ended, by the guardian.
TEST(Launcher, AKilledHarnessLeavesNoGenerationBehind) {
  auto dir = workdir();
  pid_t harness = fork();
  ASSERT_GE(harness, 0);
  if (harness == 0) {
    Launcher L(RunClock{}, dir);
    SpawnOptions o;
    // The "server" forks a next generation (a subshell) and exits, as a fork-restart does.
    o.argv = {"/bin/sh", "-c",
              "(echo $(exec sh -c 'echo $PPID') > " + dir + "/gen2.tmp; mv " + dir + "/gen2.tmp " +
                  dir + "/gen2; exec sleep 30) & exit 0"};
    o.capture_stdout = false;
    L.spawn(o);
    for (;;) {
      L.poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  wait_for([&] { return std::filesystem::exists(dir + "/gen2"); });
  pid_t gen2 = 0;
  std::ifstream(dir + "/gen2") >> gen2;
  ASSERT_GT(gen2, 0);
  ASSERT_TRUE(alive(gen2));
  kill(harness, SIGKILL);
  waitpid(harness, nullptr, 0);
  wait_for([&] {
    waitpid(-1, nullptr, WNOHANG);  // we may have inherited it (a subreaper from earlier tests)
    return !alive(gen2);
  });
  EXPECT_FALSE(alive(gen2)) << "generation " << gen2 << " outlived the killed harness";
  if (alive(gen2)) kill(gen2, SIGKILL);
  std::filesystem::remove_all(dir);
}

// A NOTIFY_SOCKET message is timed when it arrived, not when the harness read it: restart times
// in reports must not grow with the harness's own polling delay.
TEST(Launcher, NotifyEventsAreTimedOnArrival) {
  auto dir = workdir();
  {
    RunClock clock;
    Launcher L(clock, dir);
    // From a child, as a server would: the launcher signals every sender it hears of at teardown.
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, L.notify_path().c_str(), sizeof a.sun_path - 1);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      const char msg[] = "READY=1";
      _exit(fd >= 0 && sendto(fd, msg, sizeof msg - 1, 0, reinterpret_cast<sockaddr*>(&a),
                              sizeof a) > 0
                ? 0
                : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const std::int64_t sent = clock.now_ns();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the harness is busy elsewhere
    L.poll();
    std::int64_t ready = -1;
    for (auto& e : L.events())
      if (e.event == "ready") ready = e.t_ns;
    ASSERT_GE(ready, 0);
    EXPECT_LT(ready, sent + ms_to_ns(100)) << "timed when read, not when it arrived";
  }
  std::filesystem::remove_all(dir);
}

TEST(Launcher, RecordsExitCodesAndSignals) {
  auto dir = workdir();
  Launcher L(RunClock{}, dir);
  SpawnOptions a;
  a.argv = {"/bin/sh", "-c", "exit 3"};
  a.capture_stdout = false;
  pid_t p1 = L.spawn(a);
  SpawnOptions b;
  b.argv = {"/bin/sleep", "30"};
  b.capture_stdout = false;
  pid_t p2 = L.spawn(b, EventKind::kCommand);
  L.signal_pid(p2, SIGKILL);
  wait_for([&] {
    L.poll();
    return L.exited(p1) && L.exited(p2);
  });
  EXPECT_EQ(L.exit_of(p1), 3);
  EXPECT_EQ(L.exit_of(p2), -SIGKILL);
  std::filesystem::remove_all(dir);
}

// Which generations are alive comes from the launcher itself (no Timeline built mid-run): the
// first process spawned, then the pid a MAINPID= names; an exit ends one. wait_until() wakes on
// the datagram and on the exit, not at its deadline (20 s; the whole test takes well under 10).
TEST(Launcher, LiveGenerationsFollowMainpidAndExitsAndWakeTheWait) {
  auto dir = workdir();
  {
    RunClock clock;
    Launcher L(clock, dir);
    static const char kServer[] =
        "import os, socket, sys, time\n"
        "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
        "s.sendto(b'READY=1', os.environ['NOTIFY_SOCKET'])\n"
        "while not os.path.exists(sys.argv[1]): time.sleep(0.01)\n"
        "if os.fork() == 0:\n"
        "    s.sendto(('MAINPID=%d\\nREADY=1' % os.getpid()).encode(), "
        "os.environ['NOTIFY_SOCKET'])\n"
        "    time.sleep(30)\n"
        "    os._exit(0)\n"
        "time.sleep(0.2)\n";
    SpawnOptions o;
    o.argv = {"python3", "-c", kServer, dir + "/go"};
    o.notify = true;
    o.capture_stdout = false;
    const pid_t first = L.spawn(o);
    const std::int64_t deadline = clock.now_ns() + ms_to_ns(20000);
    while (!L.ready() && clock.now_ns() < deadline)
      L.wait_until(deadline);
    ASSERT_TRUE(L.ready());
    EXPECT_EQ(L.live_generations(), std::set<pid_t>{first});
    std::ofstream(dir + "/go") << "go";
    const std::int64_t t0 = clock.now_ns();
    while ((L.main_pid() == first || L.live_generations() != std::set<pid_t>{L.main_pid()}) &&
           clock.now_ns() < deadline)
      L.wait_until(deadline);
    EXPECT_NE(L.main_pid(), first);
    EXPECT_EQ(L.live_generations(), std::set<pid_t>{L.main_pid()});
    EXPECT_EQ(L.exit_of(first), 0);
    EXPECT_LT(clock.now_ns() - t0, ms_to_ns(10000)) << "woken by events, not the deadline";
  }
  std::filesystem::remove_all(dir);
}

TEST(Launcher, HandsOverFd3WithListenPid) {
  auto dir = workdir();
  Launcher L(RunClock{}, dir);
  std::uint16_t port = 0;
  int fd = bind_loopback_listener(port);
  SpawnOptions o;
  o.argv = {"/bin/sh", "-c",
            "test \"$LISTEN_PID\" = $$ && test \"$LISTEN_FDS\" = 1 && test -e /proc/self/fd/3 && "
            "test -n \"$NOTIFY_SOCKET\""};
  o.listen_fd = fd;
  o.notify = true;
  o.capture_stdout = false;
  pid_t p = L.spawn(o);
  close(fd);
  wait_for([&] {
    L.poll();
    return L.exited(p);
  });
  EXPECT_EQ(L.exit_of(p), 0);
  std::filesystem::remove_all(dir);
}

TEST(Launcher, ExecFailureIsReported) {
  auto dir = workdir();
  Launcher L(RunClock{}, dir);
  SpawnOptions o;
  o.argv = {dir + "/does-not-exist"};
  o.capture_stdout = false;
  EXPECT_THROW(L.spawn(o), std::runtime_error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace zerodrop

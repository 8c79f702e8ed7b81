// Readiness and the main pid from what servers already emit: the process layer's pieces
// (pid file watch, log match, line pipe, free port) and the launcher following them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "zerodrop/launcher.hpp"
#include "zerodrop/proc/free_port.hpp"
#include "zerodrop/proc/line_pipe.hpp"
#include "zerodrop/proc/log_match.hpp"
#include "zerodrop/proc/pid_file_watch.hpp"

namespace zerodrop {
namespace {

std::string workdir() {
  char t[] = "/tmp/zerodrop-follow-test-XXXXXX";
  return mkdtemp(t);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

std::string read_file(const std::string& path) {
  std::stringstream ss;
  ss << std::ifstream(path).rdbuf();
  return ss.str();
}

TEST(PidFile, ParsesAPidAndNothingElse) {
  EXPECT_EQ(proc::parse_pid_text("4242\n"), 4242);
  EXPECT_EQ(proc::parse_pid_text("  17 "), 17);
  EXPECT_EQ(proc::parse_pid_text(""), std::nullopt);
  EXPECT_EQ(proc::parse_pid_text("\n"), std::nullopt);
  EXPECT_EQ(proc::parse_pid_text("0\n"), std::nullopt);
  EXPECT_EQ(proc::parse_pid_text("12 13\n"), std::nullopt);
  EXPECT_EQ(proc::parse_pid_text("pid=12"), std::nullopt);
  EXPECT_EQ(proc::parse_pid_text("99999999999"), std::nullopt);
}

// inotify queues an event when the syscall happens: changed() right after a write sees it.
TEST(PidFile, SeesWritesInPlaceAndRenamesButNotWhatWasThereBefore) {
  const std::string dir = workdir(), path = dir + "/s.pid";
  write_file(path, "111\n");  // left over from before: not an announcement
  proc::PidFileWatch w(path);
  EXPECT_EQ(w.changed(), std::nullopt);
  write_file(path, "222\n");  // in place (open O_TRUNC, write, close), as nginx does
  EXPECT_EQ(w.changed(), 222);
  write_file(path, "222\n");  // the same pid again: no news
  EXPECT_EQ(w.changed(), std::nullopt);
  write_file(dir + "/s.pid.tmp", "333\n");  // temp + rename, as gunicorn does
  std::filesystem::rename(dir + "/s.pid.tmp", path);
  EXPECT_EQ(w.changed(), 333);
  write_file(dir + "/other.pid", "444\n");  // another file of the directory
  EXPECT_EQ(w.changed(), std::nullopt);
  // Created and not yet written (a writer between open and write): nothing yet; its close is.
  std::filesystem::remove(path);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(w.changed(), std::nullopt);
  ASSERT_EQ(::write(fd, "555\n", 4), 4);
  ::close(fd);
  EXPECT_EQ(w.changed(), 555);
  std::filesystem::remove_all(dir);
}

TEST(PidFile, AMissingDirectoryIsAnErrorNamingTheSyscall) {
  try {
    proc::PidFileWatch w("/nonexistent-zerodrop-dir/x.pid");
    FAIL() << "no error";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("inotify_add_watch(/nonexistent-zerodrop-dir)"),
              std::string::npos)
        << e.what();
  }
}

TEST(LogMatch, TakesThePidFromTheFirstGroup) {
  proc::LogMatch gunicorn(R"(Listening at: \S+ \((\d+)\))");
  EXPECT_TRUE(gunicorn.has_pid_group());
  const auto m = gunicorn.match(
      "[2026-12-03 07:00:00 +0000] [4242] [INFO] Listening at: http://127.0.0.1:8000 (4242)\r");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->pid, 4242);
  EXPECT_FALSE(gunicorn.match("[INFO] Booting worker with pid: 4243"));
  proc::LogMatch plain("Ready to accept");
  EXPECT_FALSE(plain.has_pid_group());
  ASSERT_TRUE(plain.match("1:M Ready to accept connections"));
  EXPECT_EQ(plain.match("1:M Ready to accept connections")->pid, 0);
  proc::LogMatch optional(R"(up( pid=(\d+))?)");  // a group that did not take part, or not a pid
  EXPECT_EQ(optional.match("up")->pid, 0);
  EXPECT_EQ(proc::LogMatch("pid=(\\w+)").match("pid=abc")->pid, 0);
}

TEST(LinePipe, SplitsLinesWritesThroughAndEndsAtEof) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  const std::string dir = workdir(), copy = dir + "/copy.log";
  const int tee = ::open(copy.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  ASSERT_GE(tee, 0);
  proc::LinePipe lp(p[0], tee, "test pipe");
  ASSERT_EQ(::write(p[1], "one\ntw", 6), 6);
  EXPECT_EQ(lp.read(), std::vector<std::string>{"one"});
  EXPECT_TRUE(lp.read().empty());  // nothing more yet: never blocks
  ASSERT_EQ(::write(p[1], "o\nthree", 7), 7);
  ::close(p[1]);
  EXPECT_EQ(lp.read(), (std::vector<std::string>{"two", "three"}));  // the last, at EOF
  EXPECT_FALSE(lp.open());
  EXPECT_EQ(read_file(copy), "one\ntwo\nthree");
  std::filesystem::remove_all(dir);
}

TEST(FreePort, IsBelowTheEphemeralRangeAndFree) {
  int low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low;
  const std::uint16_t port = proc::free_loopback_port();
  ASSERT_GT(port, 0);
  if (low > 11000) {
    EXPECT_LT(port, low);
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << "the server can bind it";
  ::close(fd);
}

// Awaits cond, waking on the launcher's events (bounded: 20 s, far above the ~100 ms needed).
bool await(Launcher& L, const RunClock& clock, const std::function<bool()>& cond) {
  const std::int64_t deadline = clock.now_ns() + ms_to_ns(20000);
  while (!cond() && clock.now_ns() < deadline)
    L.wait_until(std::min(deadline, clock.now_ns() + ms_to_ns(50)));
  return cond();
}

std::vector<LifecycleEvent> events_named(const Launcher& L, const std::string& name) {
  std::vector<LifecycleEvent> out;
  for (auto& e : L.events())
    if (e.event == name) out.push_back(e);
  return out;
}

// A server that only writes its pid file: ready when it names a live pid, and a new pid in it
// is a new main pid (a `mainpid` event, a generation). A pid file left over is not an
// announcement, nor a READY=1 datagram when the scenario follows the pid file.
TEST(LauncherFollows, ThePidFile) {
  const std::string dir = workdir(), pid_file = dir + "/srv.pid";
  {
    RunClock clock;
    Launcher L(clock, dir);
    write_file(pid_file, std::to_string(getpid()) + "\n");  // stale, and alive
    L.follow(Follow{Ready::kPidFile, MainPid::kPidFile, pid_file, ""});
    SpawnOptions o;
    o.argv = {"/bin/sh", "-c",
              "cd " + dir +
                  "; while [ ! -e go1 ]; do sleep 0.01; done"
                  "; echo $$ > srv.pid.tmp; mv srv.pid.tmp srv.pid"
                  "; while [ ! -e go2 ]; do sleep 0.01; done"
                  "; sh -c 'echo $$ > srv.pid; exec sleep 30' & wait"};
    o.capture_stdout = false;
    const pid_t first = L.spawn(o);
    L.poll();
    EXPECT_FALSE(L.ready()) << "a pid file left over from before must not count";
    write_file(dir + "/go1", "");
    ASSERT_TRUE(await(L, clock, [&] { return L.ready(); }));
    EXPECT_EQ(L.main_pid(), first);
    ASSERT_EQ(events_named(L, "ready").size(), 1u);
    EXPECT_EQ(events_named(L, "ready")[0].pid, first);
    EXPECT_TRUE(events_named(L, "mainpid").empty());
    write_file(dir + "/go2", "");
    ASSERT_TRUE(await(L, clock, [&] { return L.main_pid() != first; }));
    const auto mp = events_named(L, "mainpid");
    ASSERT_EQ(mp.size(), 1u);
    EXPECT_EQ(mp[0].pid, L.main_pid());
    EXPECT_EQ(mp[0].other, first);
    EXPECT_EQ(mp[0].detail, "pid_file");
    EXPECT_EQ(L.live_generations(), (std::set<pid_t>{first, L.main_pid()}));
    EXPECT_EQ(events_named(L, "ready").size(), 2u);  // the new generation's, from the same source
  }
  std::filesystem::remove_all(dir);
}

// gunicorn's way: a line on stderr. stderr still reaches its file, byte for byte.
TEST(LauncherFollows, ALogLineOnStderr) {
  const std::string dir = workdir();
  {
    RunClock clock;
    Launcher L(clock, dir);
    L.follow(Follow{Ready::kLog, MainPid::kLog, "", R"(Listening at: \S+ \((\d+)\))"});
    SpawnOptions o;
    o.argv = {
        "/bin/sh", "-c",
        "echo booting >&2; echo \"[INFO] Listening at: http://127.0.0.1:1 ($$)\" >&2;"
        " while [ ! -e " +
            dir +
            "/go ]; do sleep 0.01; done;"
            " sh -c 'echo \"[INFO] Listening at: http://127.0.0.1:1 ($$)\" >&2; exec sleep 30' &"
            " wait"};
    o.capture_stdout = false;
    o.capture_stderr = true;
    o.stderr_path = dir + "/server.log";
    const pid_t first = L.spawn(o);
    ASSERT_TRUE(await(L, clock, [&] { return L.ready(); }));
    EXPECT_EQ(L.main_pid(), first);
    write_file(dir + "/go", "");
    ASSERT_TRUE(await(L, clock, [&] { return L.main_pid() != first; }));
    EXPECT_EQ(events_named(L, "mainpid").at(0).detail, "log");
    const std::string log = read_file(dir + "/server.log");
    EXPECT_EQ(log.find("booting\n[INFO] Listening at: http://127.0.0.1:1 (" +
                       std::to_string(first) + ")\n"),
              0u)
        << log;
    EXPECT_NE(log.find("(" + std::to_string(L.main_pid()) + ")"), std::string::npos) << log;
  }
  std::filesystem::remove_all(dir);
}

// ready: http — the run's probe tells the launcher; the ready event is the main pid's, once.
TEST(LauncherFollows, TheProbe) {
  const std::string dir = workdir();
  {
    Launcher L(RunClock{}, dir);
    L.follow(Follow{Ready::kHttp, MainPid::kFirst, "", ""});
    SpawnOptions o;
    o.argv = {"/bin/sleep", "30"};
    o.capture_stdout = false;
    const pid_t first = L.spawn(o);
    EXPECT_FALSE(L.ready());
    L.ready_from_probe("http GET /healthz: 404");
    L.ready_from_probe("http GET /healthz: 200");
    EXPECT_TRUE(L.ready());
    const auto r = events_named(L, "ready");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].pid, first);
    EXPECT_EQ(r[0].detail, "http GET /healthz: 404");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace zerodrop

// Issue 11, proc::spawn on its own: one test per clause of zerodrop/proc/spawn.hpp's contract
// (and of environment() and raise_fd_limit()), each child a system tool that reports what it got
// (/proc/self/status, /proc/self/fd, its environment) through a pipe. Every child is reaped with
// reap.hpp's wait_exit(); a Guard SIGKILLs its group and reaps it when a test fails early. Waits
// are on pidfds and pipes, bounded by kBoundMs, which only a broken spawn comes near.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "zerodrop/proc/reap.hpp"
#include "zerodrop/proc/spawn.hpp"

namespace zerodrop::proc {
namespace {

constexpr int kBoundMs = 20000;  // normal: milliseconds; the ctest timeout is 60 s

// Ends and reaps a child whatever the test's outcome; release() once the test reaped it.
struct Guard {
  Child c;
  explicit Guard(Child child) : c(child) {}
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
  ~Guard() {
    for (int fd : {c.stdout_fd, c.stderr_fd})
      if (fd >= 0) ::close(fd);
    if (c.pid > 0) {
      ::kill(-c.pid, SIGKILL);
      wait_exit(c.pid, kBoundMs);
    }
  }
  // The child's wait status (reaped: the guard lets go of it), nullopt if it did not exit in time.
  std::optional<int> wait() {
    auto st = wait_exit(c.pid, kBoundMs);
    if (st) c.pid = -1;
    return st;
  }
};

// A descriptor of the test's own, closed at the end of its scope.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

struct Pipe {
  Fd r, w;
  Pipe() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) == 0) {
      r.fd = p[0];
      w.fd = p[1];
    }
  }
};

// Everything until EOF, or what came before kBoundMs passed.
std::string read_all(int fd) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBoundMs);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !wait_readable(fd, static_cast<int>(left.count()))) return out;
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

struct Ended {
  pid_t pid = -1;
  std::optional<int> status;  // raw wait status; nullopt: not within kBoundMs
  std::string out, err;
};

// Spawns spec with its stdout (and stderr if asked) piped, reads them to EOF, reaps the child.
Ended run(Spec spec) {
  spec.pipe_stdout = true;
  Guard g(spawn(spec));
  Ended e;
  e.pid = g.c.pid;
  e.out = read_all(g.c.stdout_fd);
  if (g.c.stderr_fd >= 0) e.err = read_all(g.c.stderr_fd);
  e.status = g.wait();
  return e;
}

Spec argv(std::vector<std::string> a) {
  Spec s;
  s.argv = std::move(a);
  return s;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  return lines;
}

// The entries of an environment (or `env`'s output) whose name is `name`: duplicates count.
std::vector<std::string> values_of(const std::vector<std::string>& env, const std::string& name) {
  std::vector<std::string> v;
  for (const auto& kv : env)
    if (kv.rfind(name + "=", 0) == 0) v.push_back(kv.substr(name.size() + 1));
  return v;
}

// "SigBlk:\t0000000000010000" and "SigIgn:..." as the child reported them about itself.
std::optional<unsigned long long> sig_field(const std::string& status, const std::string& field) {
  for (const auto& l : lines_of(status))
    if (l.rfind(field + ":", 0) == 0) return std::stoull(l.substr(field.size() + 1), nullptr, 16);
  return std::nullopt;
}

Spec report_signals() {
  return argv({"grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"});
}

std::set<int> fds_listed(const std::string& ls_output) {
  std::set<int> fds;
  for (const auto& l : lines_of(ls_output))
    if (!l.empty()) fds.insert(std::stoi(l));
  return fds;
}

int open_fd_count() {
  namespace fs = std::filesystem;
  return static_cast<int>(
      std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{}));
}

// An environment variable of this process set for one test, restored after it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* v = std::getenv(name)) old_ = v;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_.c_str(), old_->c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// A loopback listener like the harness's own (CLOEXEC on our side).
int loopback_listener() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;  // ephemeral
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || ::listen(fd, 8) < 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string socket_link(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) < 0) return "fstat failed";
  return "socket:[" + std::to_string(st.st_ino) + "]";
}

TEST(Spawn, AnEmptyArgvIsRejectedBeforeAnyFork) {
  EXPECT_THROW(spawn(Spec{}), std::invalid_argument);
}

TEST(Spawn, TheChildLeadsItsOwnProcessGroupWhenSpawnReturns) {
  Pipe in;  // cat runs until we close its stdin
  Spec s = argv({"cat"});
  s.stdin_fd = in.r.fd;
  s.null_stdio = true;
  Guard g(spawn(s));
  in.r.reset();
  EXPECT_EQ(::getpgid(g.c.pid), g.c.pid);
  EXPECT_NE(::getpgid(g.c.pid), ::getpgid(0));
  // So a signal to the group right after spawn() reaches the child.
  ASSERT_EQ(::kill(-g.c.pid, SIGTERM), 0) << std::strerror(errno);
  auto st = g.wait();
  ASSERT_TRUE(st.has_value()) << "not ended by SIGTERM to its group within " << kBoundMs << " ms";
  EXPECT_EQ(exit_code(*st), -SIGTERM) << describe_status(*st);
}

TEST(Spawn, AChildDiesWhenTheThreadThatSpawnedItExits) {
  Pipe in;  // were PR_SET_PDEATHSIG missing, closing its stdin still ends cat
  std::optional<Guard> g;
  std::string error;
  std::thread([&] {
    Spec s = argv({"cat"});
    s.stdin_fd = in.r.fd;
    s.null_stdio = true;
    try {
      g.emplace(spawn(s));
    } catch (const std::exception& e) {
      error = e.what();
    }
  }).join();
  ASSERT_TRUE(g.has_value()) << error;
  auto st = g->wait();
  ASSERT_TRUE(st.has_value()) << "alive " << kBoundMs << " ms after its thread exited";
  EXPECT_EQ(exit_code(*st), -SIGKILL) << describe_status(*st);
}

TEST(Spawn, AChildWithoutDieWithParentOutlivesTheThreadThatSpawnedIt) {
  Pipe sentinel_in, in, out;
  std::optional<Guard> sentinel, survivor;
  std::string error;
  std::thread([&] {
    Spec s = argv({"cat"});
    s.stdin_fd = sentinel_in.r.fd;
    s.null_stdio = true;
    Spec t = argv({"cat"});  // echoes what we write: alive
    t.stdin_fd = in.r.fd;
    t.stdout_fd = out.w.fd;
    t.null_stdio = true;
    t.die_with_parent = false;  // ended by EOF on its stdin if the test fails early
    try {
      sentinel.emplace(spawn(s));
      survivor.emplace(spawn(t));
    } catch (const std::exception& e) {
      error = e.what();
    }
  }).join();
  in.r.reset();
  out.w.reset();
  ASSERT_TRUE(sentinel.has_value() && survivor.has_value()) << error;
  // The kernel signals all the thread's children in one pass, and the sentinel cannot finish
  // exiting before that pass is over: once it is dead, a SIGKILL for the survivor would be there.
  auto st = sentinel->wait();
  ASSERT_TRUE(st.has_value());
  ASSERT_EQ(exit_code(*st), -SIGKILL) << describe_status(*st);
  ASSERT_EQ(::write(in.w.fd, "alive\n", 6), 6);
  in.w.reset();
  EXPECT_EQ(read_all(out.r.fd), "alive\n");
  st = survivor->wait();
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(exit_code(*st), 0) << describe_status(*st);
}

TEST(Spawn, TheChildStartsWithAnEmptySignalMask) {
  sigset_t all, old;
  sigfillset(&all);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &all, &old), 0);  // SIGUSR1 among them
  std::optional<Ended> e;
  try {
    e = run(report_signals());
  } catch (...) {
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    throw;
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  EXPECT_EQ(exit_code(e->status.value_or(-1)), 0) << e->out;
  EXPECT_EQ(sig_field(e->out, "SigBlk"), 0ULL) << e->out;
}

TEST(Spawn, TheChildStartsWithDefaultDispositionsWhateverThisProcessIgnores) {
  // Ignored dispositions survive exec (handlers do not): a harness started with `nohup`, from a
  // shell's background job (SIGINT, SIGQUIT), or with SIGTTOU or SIGALRM ignored must not pass
  // them on. Not ignored here: SIGCHLD (our children would be reaped behind the test's back) and
  // the signals of faults, which the sanitizers handle.
  std::vector<std::pair<int, struct sigaction>> saved;
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  for (int s = 1; s <= SIGRTMAX; ++s) {
    if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD || s == SIGSEGV || s == SIGBUS ||
        s == SIGFPE || s == SIGILL || s == SIGTRAP || s == SIGABRT || s == SIGSYS)
      continue;
    struct sigaction old {};
    if (::sigaction(s, &ign, &old) == 0) saved.emplace_back(s, old);  // 32, 33: glibc's own
  }
  auto restore = [&] {
    for (auto& [s, old] : saved)
      ::sigaction(s, &old, nullptr);
  };
  ASSERT_FALSE(saved.empty());
  std::optional<Ended> e;
  try {
    e = run(report_signals());
  } catch (...) {
    restore();
    throw;
  }
  restore();
  EXPECT_EQ(exit_code(e->status.value_or(-1)), 0) << e->out;
  auto ignored = sig_field(e->out, "SigIgn");
  ASSERT_TRUE(ignored.has_value()) << e->out;
  std::string names;
  for (int s = 1; s <= 64; ++s)
    if (*ignored & (1ULL << (s - 1))) names += " " + std::to_string(s);
  EXPECT_EQ(*ignored, 0ULL) << "still ignored in the child:" << names;
}

TEST(Spawn, IgnoreSigchldLeavesExactlySigchldIgnored) {
  Spec s = report_signals();
  s.ignore_sigchld = true;
  Ended e = run(s);
  EXPECT_EQ(exit_code(e.status.value_or(-1)), 0) << e.out;
  EXPECT_EQ(sig_field(e.out, "SigIgn"), 1ULL << (SIGCHLD - 1)) << e.out;
}

TEST(Spawn, TheListenerBecomesFd3EvenWhenOursIsCloexec) {
  Fd listener(loopback_listener());
  ASSERT_GE(listener.fd, 0) << std::strerror(errno);
  Spec s = argv({"readlink", "/proc/self/fd/3"});
  s.listen_fd = listener.fd;
  Ended e = run(s);
  EXPECT_EQ(exit_code(e.status.value_or(-1)), 0);
  EXPECT_EQ(e.out, socket_link(listener.fd) + "\n");
}

TEST(Spawn, TheListenerComesWithListenFdsOneAndTheChildsOwnPid) {
  Fd listener(loopback_listener());
  ASSERT_GE(listener.fd, 0) << std::strerror(errno);
  Spec s = argv({"env"});  // its environment as execve gave it: every entry, duplicates too
  s.listen_fd = listener.fd;
  Ended e = run(s);
  EXPECT_EQ(exit_code(e.status.value_or(-1)), 0);
  const auto env = lines_of(e.out);
  EXPECT_EQ(values_of(env, "LISTEN_FDS"), std::vector<std::string>{"1"});
  EXPECT_EQ(values_of(env, "LISTEN_PID"), std::vector<std::string>{std::to_string(e.pid)});
  EXPECT_TRUE(values_of(env, "LISTEN_FDNAMES").empty()) << "not asked for";
}

TEST(Spawn, ListenFdnamesNamesTheListenerWhenAsked) {
  Fd listener(loopback_listener());
  ASSERT_GE(listener.fd, 0) << std::strerror(errno);
  Spec s = argv({"env"});
  s.listen_fd = listener.fd;
  s.listen_fdnames = true;
  Ended e = run(s);
  EXPECT_EQ(values_of(lines_of(e.out), "LISTEN_FDNAMES"), std::vector<std::string>{"zerodrop"});
}

TEST(Spawn, ListenVariablesOfThisProcessNeverShadowTheChildsOwn) {
  // The harness itself socket-activated (or a caller's env with them): getenv() in the child
  // returns the first of duplicate entries, and LISTEN_PID=1 would tell it the fd is not its.
  ScopedEnv pid("LISTEN_PID", "1"), fds("LISTEN_FDS", "2"), names("LISTEN_FDNAMES", "stale");
  Fd listener(loopback_listener());
  ASSERT_GE(listener.fd, 0) << std::strerror(errno);
  Spec s = argv({"env"});
  s.listen_fd = listener.fd;
  Ended e = run(s);
  const auto env = lines_of(e.out);
  EXPECT_EQ(values_of(env, "LISTEN_FDS"), std::vector<std::string>{"1"});
  EXPECT_EQ(values_of(env, "LISTEN_PID"), std::vector<std::string>{std::to_string(e.pid)});
  EXPECT_TRUE(values_of(env, "LISTEN_FDNAMES").empty());
}

// A descriptor of ours without CLOEXEC, at a number no tool opens for itself.
int inheritable_fd() {
  Fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  return null.fd < 0 ? -1 : ::fcntl(null.fd, F_DUPFD, 50);  // F_DUPFD: CLOEXEC clear
}

TEST(Spawn, NoOtherDescriptorOfOursReachesTheChild) {
  Fd mine(inheritable_fd());
  ASSERT_GE(mine.fd, 50) << std::strerror(errno);
  Ended e = run(argv({"ls", "-1", "/proc/self/fd"}));
  ASSERT_EQ(exit_code(e.status.value_or(-1)), 0);
  const auto fds = fds_listed(e.out);
  ASSERT_FALSE(fds.empty()) << e.out;
  EXPECT_FALSE(fds.count(mine.fd)) << e.out;
  // 0-2, and 3: the directory ls is listing.
  EXPECT_LE(*fds.rbegin(), 3) << e.out;
}

TEST(Spawn, CloseOtherFdsFalseLetsInheritableDescriptorsThrough) {
  Fd mine(inheritable_fd());
  ASSERT_GE(mine.fd, 50) << std::strerror(errno);
  Spec s = argv({"ls", "-1", "/proc/self/fd"});
  s.close_other_fds = false;
  Ended e = run(s);
  ASSERT_EQ(exit_code(e.status.value_or(-1)), 0);
  EXPECT_TRUE(fds_listed(e.out).count(mine.fd)) << e.out;
}

// In a child of the death test (a fresh process: raise_fd_limit() not yet called there).
[[noreturn]] void fd_limit_handover(rlim_t low, rlim_t hard) {
  rlimit lowered{low, hard};
  if (::setrlimit(RLIMIT_NOFILE, &lowered) < 0) {
    std::fprintf(stderr, "setrlimit: %s\n", std::strerror(errno));
    std::_Exit(2);
  }
  const long raised = raise_fd_limit();
  Ended e = run(argv({"grep", "^Max open files", "/proc/self/limits"}));
  std::istringstream line(e.out.substr(std::min(e.out.size(), std::strlen("Max open files"))));
  unsigned long long soft = 0, child_hard = 0;
  line >> soft >> child_hard;
  const bool ok = raised == static_cast<long>(hard) && soft == low && child_hard == hard;
  std::fprintf(stderr, "raised to %ld (hard %llu); the child's: %s\n", raised,
               static_cast<unsigned long long>(hard), e.out.c_str());
  std::_Exit(ok ? 0 : 1);
}

TEST(SpawnDeathTest, AfterRaiseFdLimitTheChildGetsTheLimitThisProcessHadBefore) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // re-executed: a process with no raise yet
  rlimit r{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &r), 0);
  if (r.rlim_max < 128 || r.rlim_max == RLIM_INFINITY)
    GTEST_SKIP() << "hard limit " << r.rlim_max << ": no room to start below it";
  const rlim_t low = r.rlim_max / 2;
  EXPECT_EXIT(fd_limit_handover(low, r.rlim_max), ::testing::ExitedWithCode(0), "");
}

TEST(Spawn, AnExecFailureIsASpawnErrorWithItsErrnoAndAChildToReap) {
  struct Case {
    const char* exe;
    int error;
  };
  for (Case c : {Case{"/nonexistent/zerodrop-no-such-program", ENOENT},
                 Case{"zerodrop-no-such-program", ENOENT},  // looked up in PATH, not found
                 Case{"/etc/passwd", EACCES}}) {            // there, not executable
    SCOPED_TRACE(c.exe);
    try {
      Guard g(spawn(argv({c.exe})));
      ADD_FAILURE() << "spawn() returned pid " << g.c.pid;
    } catch (const SpawnError& e) {
      EXPECT_EQ(e.code().value(), c.error) << e.what();
      ASSERT_GT(e.pid, 0);
      auto st = wait_exit(e.pid, kBoundMs);
      ASSERT_TRUE(st.has_value()) << "no exit within " << kBoundMs << " ms";
      ASSERT_GE(*st, 0) << "exited but was not ours to reap: reaped behind the caller's back";
      EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) != 0) << describe_status(*st);
      errno = 0;
      EXPECT_EQ(::waitpid(e.pid, nullptr, WNOHANG), -1);
      EXPECT_EQ(errno, ECHILD) << "a zombie left";
    }
  }
}

TEST(Spawn, NoDescriptorOfOursIsLeftBehindEitherWay) {
  const int before = open_fd_count();
  Spec s = argv({"/nonexistent/zerodrop-no-such-program"});
  s.pipe_stdout = s.pipe_stderr = s.null_stdio = true;
  try {
    Guard g(spawn(s));
    ADD_FAILURE() << "spawn() returned";
  } catch (const SpawnError& e) {
    if (e.pid > 0) wait_exit(e.pid, kBoundMs);
  }
  EXPECT_EQ(open_fd_count(), before) << "after an exec failure";
  s.argv = {"true"};
  Ended e = run(s);  // closes both read ends
  EXPECT_EQ(exit_code(e.status.value_or(-1)), 0);
  EXPECT_EQ(open_fd_count(), before) << "after a run";
}

TEST(Spawn, ACwdThatDoesNotExistMakesTheChildExit126) {
  Spec s = argv({"true"});
  s.cwd = "/nonexistent/zerodrop-cwd";
  Ended e = run(s);
  ASSERT_TRUE(e.status.has_value());
  EXPECT_EQ(exit_code(*e.status), 126) << describe_status(*e.status);
}

TEST(Spawn, TheChildRunsInCwd) {
  namespace fs = std::filesystem;
  std::string tmpl = (fs::temp_directory_path() / "zerodrop-spawn-cwd-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
  Spec s = argv({"pwd", "-P"});
  s.cwd = tmpl;
  Ended e = run(s);
  EXPECT_EQ(e.out, fs::canonical(tmpl).string() + "\n");
  fs::remove(tmpl);
}

TEST(Spawn, ABareNameIsLookedUpInPathAndExeDefaultsToArgv0) {
  EXPECT_EQ(run(argv({"echo", "found"})).out, "found\n");
  Spec s = argv({"zerodrop-argv0", "-c", "echo \"$0\""});
  s.exe = "sh";  // what runs; argv[0] is only its name
  Ended e = run(s);
  EXPECT_EQ(e.out, "zerodrop-argv0\n");
}

TEST(Spawn, ArgvReachesTheChildAsIsNeverThroughAShell) {
  EXPECT_EQ(run(argv({"echo", "$HOME", "a;b", "*", "|", "`x`"})).out, "$HOME a;b * | `x`\n");
}

TEST(Spawn, PipeStdoutAndPipeStderrReturnTheChildsOutputOnCloexecReadEnds) {
  Spec s = argv({"sh", "-c", "echo out; echo err >&2"});
  s.pipe_stdout = s.pipe_stderr = true;
  Guard g(spawn(s));
  ASSERT_GE(g.c.stdout_fd, 0);
  ASSERT_GE(g.c.stderr_fd, 0);
  EXPECT_TRUE(::fcntl(g.c.stdout_fd, F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(::fcntl(g.c.stderr_fd, F_GETFD) & FD_CLOEXEC);
  EXPECT_EQ(read_all(g.c.stdout_fd), "out\n");
  EXPECT_EQ(read_all(g.c.stderr_fd), "err\n");
  auto st = g.wait();
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(exit_code(*st), 0);
}

TEST(Spawn, NullStdioPutsDevNullWhereNoDescriptorIsGiven) {
  Spec s = argv({"sh", "-c", "readlink /proc/$$/fd/0; readlink /proc/$$/fd/2"});
  s.null_stdio = true;  // stdout: run()'s pipe
  EXPECT_EQ(run(s).out, "/dev/null\n/dev/null\n");
}

TEST(Spawn, GivenDescriptorsBecomeTheChildsStdio) {
  Pipe in, out;
  Spec s = argv({"cat"});
  s.stdin_fd = in.r.fd;
  s.stdout_fd = out.w.fd;
  Guard g(spawn(s));
  in.r.reset();
  out.w.reset();
  ASSERT_EQ(::write(in.w.fd, "ping\n", 5), 5);
  in.w.reset();
  EXPECT_EQ(read_all(out.r.fd), "ping\n");
  auto st = g.wait();
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(exit_code(*st), 0);
}

TEST(Spawn, TheChildGetsExactlySpecEnvAsItsEnvironment) {
  Spec s = argv({"env"});
  s.env = {"ZERODROP_ONLY=1", "ZERODROP_TOO=two words"};
  EXPECT_EQ(run(s).out, "ZERODROP_ONLY=1\nZERODROP_TOO=two words\n");
}

TEST(Spawn, AnEmptySpecEnvPassesThisProcesssEnvironment) {
  ScopedEnv mark("ZERODROP_SPAWN_TEST_MARK", "here");
  EXPECT_EQ(values_of(lines_of(run(argv({"env"})).out), "ZERODROP_SPAWN_TEST_MARK"),
            std::vector<std::string>{"here"});
}

TEST(Environment, DropsEntriesWhoseNameStartsWithAPrefix) {
  ScopedEnv a("ZERODROP_SPAWN_TEST_DROP_A", "1"), b("ZERODROP_SPAWN_TEST_DROPPED", "1"),
      x("ZERODROP_SPAWN_TEST_X", "1"), x2("ZERODROP_SPAWN_TEST_X2", "1");
  // A prefix ending in '=' names exactly one variable.
  const auto env = environment({"ZERODROP_SPAWN_TEST_DROP", "ZERODROP_SPAWN_TEST_X="});
  EXPECT_TRUE(values_of(env, "ZERODROP_SPAWN_TEST_DROP_A").empty());
  EXPECT_TRUE(values_of(env, "ZERODROP_SPAWN_TEST_DROPPED").empty());
  EXPECT_TRUE(values_of(env, "ZERODROP_SPAWN_TEST_X").empty());
  EXPECT_EQ(values_of(env, "ZERODROP_SPAWN_TEST_X2"), std::vector<std::string>{"1"});
  if (const char* path = std::getenv("PATH")) {
    EXPECT_EQ(values_of(env, "PATH"), std::vector<std::string>{path}) << "the rest is kept";
  }
  EXPECT_EQ(environment({}).size(), env.size() + 3);
}

TEST(Environment, ExtraReplacesEntriesOfTheSameNameAndAddsTheRest) {
  ScopedEnv keep("ZERODROP_SPAWN_TEST_KEEP", "old"), prefix("ZERODROP_SPAWN_TEST_KEEPER", "k");
  const auto env =
      environment({}, {"ZERODROP_SPAWN_TEST_KEEP=new", "ZERODROP_SPAWN_TEST_ADDED=a=b"});
  EXPECT_EQ(values_of(env, "ZERODROP_SPAWN_TEST_KEEP"), std::vector<std::string>{"new"});
  EXPECT_EQ(values_of(env, "ZERODROP_SPAWN_TEST_KEEPER"), std::vector<std::string>{"k"});
  EXPECT_EQ(values_of(env, "ZERODROP_SPAWN_TEST_ADDED"), std::vector<std::string>{"a=b"});
  EXPECT_EQ(env.size(), environment({}).size() + 1);
}

}  // namespace
}  // namespace zerodrop::proc

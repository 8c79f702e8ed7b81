// fork + exec of the next generation. See restart.hpp.
//
// The order of events the parent may observe is not fixed (the error-pipe EOF, the ready
// byte, the ready-pipe EOF and SIGCHLD race each other), so each handler only records what it
// learned and the attempt ends in exactly one place: child_ready, or finish_failure() once the
// child is both condemned and reaped.
#include "zerodrop/server/restart.hpp"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "zerodrop/server/exe_path.hpp"
#include "zerodrop/server/log.hpp"

extern char** environ;

namespace zerodrop::server {
namespace {

// Variables we set for the child; inherited copies are dropped.
bool is_handover_var(const char* kv) {
  static constexpr const char* kNames[] = {
      "LISTEN_FDS=",          "LISTEN_PID=",        "LISTEN_FDNAMES=",
      "ZERODROP_GENERATION=", "ZERODROP_READY_FD=", "ZERODROP_BINARY="};
  for (const char* n : kNames)
    if (std::strncmp(kv, n, std::strlen(n)) == 0) return true;
  return false;
}

}  // namespace

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* abbrev = sigabbrev_np(WTERMSIG(status));
    return std::string("killed by SIG") + (abbrev != nullptr ? abbrev : "?");
  }
  return "status " + std::to_string(status);
}

Restarter::Restarter(EventLoop& loop, RestartObserver& observer, const SignalFd& signals,
                     std::string exe_path, std::vector<std::string> argv)
    : loop_(loop),
      observer_(observer),
      signals_(signals),
      exe_path_(std::move(exe_path)),
      argv_(std::move(argv)) {
  ready_pipe_.owner = this;
  ready_pipe_.kind = PipeWatch::Kind::kReady;
  error_pipe_.owner = this;
  answer_watch_.owner = this;
  answer_watch_.kind = PipeWatch::Kind::kAnswered;
}

Restarter::~Restarter() {
  if (answer_fd_ >= 0) ::close(answer_fd_);
  close_pipe(answer_watch_);
  close_pipe(ready_pipe_);
  close_pipe(error_pipe_);
}

bool Restarter::start(int listen_fd, std::uint32_t next_generation, Millis ready_timeout,
                      std::string& reason) {
  if (phase_ != Phase::kIdle) {
    reason = "a restart is already in progress";
    return false;
  }
  int ready[2], error[2];
  // Non-blocking: the read ends are polled by the loop, and a timeout handler peeks at the
  // ready channel (a blocking read there would hang the loop on a child that never writes).
  // The write ends carry one small write each, which cannot block on an empty buffer.
  // The ready channel is a socket pair, not a pipe: after the child's ready byte we answer
  // with one byte once we have stopped accepting, and only then does the child announce itself
  // (pid file, stdout, NOTIFY_SOCKET). So whoever learns of the new generation can no longer
  // reach the old one's accept().
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, ready) < 0) {
    log_syscall_error("socketpair", errno, "ready channel");
    reason = std::string("socketpair: ") + std::strerror(errno);
    return false;
  }
  if (pipe2(error, O_CLOEXEC | O_NONBLOCK) < 0) {
    log_syscall_error("pipe2", errno, "exec error pipe");
    reason = std::string("pipe2: ") + std::strerror(errno);
    ::close(ready[0]);
    ::close(ready[1]);
    return false;
  }

  const char* path = exe_path_.c_str();
  // What the child is about to exec, to tell later whether a SIGHUP asks for other code. A
  // replacement between this stat and the exec makes binary_replaced() true: one restart too
  // many, never one too few.
  if (::stat(path, &exec_stat_) < 0) exec_stat_ = {};

  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e)
    if (!is_handover_var(*e)) env_strings.emplace_back(*e);
  env_strings.emplace_back("LISTEN_FDS=1");
  env_strings.emplace_back("ZERODROP_GENERATION=" + std::to_string(next_generation));
  env_strings.emplace_back("ZERODROP_READY_FD=" + std::to_string(kChildReadyFd));
  // What it runs, for `reload` (exe_path.hpp): a generation whose file was replaced since does
  // not run the code a reload asked for.
  if (exec_stat_.st_nlink != 0)
    env_strings.emplace_back(std::string(kBinaryVar) + binary_identity(exec_stat_) + ":" +
                             exe_path_);
  env_strings.emplace_back("LISTEN_PID=0000000000000000");  // overwritten in the child
  std::vector<char*> envp;
  for (auto& s : env_strings)
    envp.push_back(s.data());
  envp.push_back(nullptr);
  char* listen_pid_value = env_strings.back().data() + std::strlen("LISTEN_PID=");
  std::vector<char*> argv;
  for (auto& a : argv_)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  // The child (spawn.hpp) shares our memory and, until it has made itself a small private
  // descriptor table, our descriptors: its cost does not grow with our connections. We are
  // suspended until it has exec'd (or failed to). Everything it touches is built above.
  Spawner::Request request{path,     argv.data(), envp.data(),      listen_fd,
                           ready[1], error[1],    listen_pid_value, &signals_};
  int spawn_err = 0;
  pid_t pid = spawner_.spawn(request, spawn_err);
  if (pid < 0) {
    reason = std::string("clone: ") + std::strerror(spawn_err);
    for (int fd : {ready[0], ready[1], error[0], error[1]})
      ::close(fd);
    return false;
  }

  ::close(ready[1]);
  ::close(error[1]);
  child_ = pid;
  reaped_ = false;
  child_status_ = 0;
  reason_.clear();
  reason_wants_status_ = false;
  phase_ = Phase::kWaiting;
  ++attempt_;
  ready_timeout_ = ready_timeout;
  ready_pipe_.fd = ready[0];
  error_pipe_.fd = error[0];
  // Level-triggered: each pipe is read once and closed.
  if (!loop_.add(ready_pipe_.fd, EPOLLIN, &ready_pipe_) ||
      !loop_.add(error_pipe_.fd, EPOLLIN, &error_pipe_)) {
    fail("epoll_ctl failed for the restart pipes");
    return true;
  }
  loop_.add_timer(loop_.now() + ready_timeout, this, attempt_);
  return true;
}

bool Restarter::binary_replaced() const {
  struct stat now {};
  if (exec_stat_.st_nlink == 0 || ::stat(exe_path_.c_str(), &now) < 0) return true;
  return binary_identity(now) != binary_identity(exec_stat_);
}

void Restarter::PipeWatch::on_io(std::uint32_t) {
  switch (kind) {
    case Kind::kReady:
      owner->on_ready_pipe();
      break;
    case Kind::kError:
      owner->on_error_pipe();
      break;
    case Kind::kAnswered:
      // EOF (or anything: the channel carries nothing more from the successor).
      owner->successor_announced();
      break;
  }
}

void Restarter::close_pipe(PipeWatch& w) {
  if (w.fd < 0) return;
  loop_.remove(w.fd);
  if (::close(w.fd) < 0) log_syscall_error("close", errno, "restart pipe");
  w.fd = -1;
}

void Restarter::on_error_pipe() {
  int err = 0;
  ssize_t n;
  do
    n = ::read(error_pipe_.fd, &err, sizeof err);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return;
  close_pipe(error_pipe_);
  if (n < 0) {
    log_syscall_error("read", errno, "exec error pipe");
    return;
  }
  if (n == 0) return;  // EOF: the exec succeeded (the pipe was close-on-exec)
  if (phase_ == Phase::kWaiting)
    fail("exec " + exe_path_ + ": " + std::strerror(err) + " (" + std::string(errno_name(err)) +
         ")");
}

void Restarter::on_ready_pipe() {
  char byte = 0;
  ssize_t n;
  do
    n = ::read(ready_pipe_.fd, &byte, 1);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return;
  // Keep the channel open until the observer has stopped our accepting: its answer byte tells
  // the child it may announce itself.
  const int channel = ready_pipe_.fd;
  loop_.remove(channel);
  ready_pipe_.fd = -1;
  if (phase_ == Phase::kWaiting && n == 1 && !reaped_) {
    pid_t pid = child_;
    close_pipe(error_pipe_);
    phase_ = Phase::kIdle;
    child_ = -1;
    close_pipe(answer_watch_);  // a previous successor's: no longer of interest
    answer_fd_ = channel;
    answered_ = false;
    observer_.restart_child_ready(pid);
    answer_successor();
    return;
  }
  if (::close(channel) < 0) log_syscall_error("close", errno, "ready channel");
  if (phase_ != Phase::kWaiting) return;
  if (n == 1) {
    // A child that wrote its byte and died at once is not a successor.
    reason_wants_status_ = true;
    fail("child exited right after reporting ready");
    return;
  }
  if (n < 0) log_syscall_error("read", errno, "ready pipe");
  child_died_before_ready();
}

void Restarter::answer_successor() {
  if (answer_fd_ < 0 || answered_) return;
  answered_ = true;
  // EPIPE: a successor that does not wait for the answer (an older build) closed its end.
  if (::send(answer_fd_, "A", 1, MSG_NOSIGNAL) < 0 && errno != EPIPE && errno != ECONNRESET)
    log_syscall_error("send", errno, "ready channel answer");
  // The successor closes its end once it has announced itself (pid file, READY=1). Until then
  // the observer may hold back work that would compete with it for the CPU.
  answer_watch_.fd = answer_fd_;
  answer_fd_ = -1;
  if (!loop_.add(answer_watch_.fd, EPOLLIN | EPOLLRDHUP, &answer_watch_)) {
    successor_announced();
    return;
  }
  loop_.add_timer(loop_.now() + kAnnounceWaitMs, this, kAnnounceTimer | ++answer_seq_);
}

void Restarter::successor_announced() {
  if (answer_watch_.fd < 0) return;
  close_pipe(answer_watch_);
  observer_.restart_successor_announced();
}

void Restarter::child_died_before_ready() {
  // A failed exec writes its errno and then exits: the errno is already in the pipe when
  // the exit becomes visible, and is the better reason.
  if (error_pipe_.fd >= 0) on_error_pipe();
  if (phase_ != Phase::kWaiting) return;
  reason_wants_status_ = true;
  fail("child exited before it was ready");
}

void Restarter::on_timer(std::uint64_t cookie) {
  if ((cookie & kAnnounceTimer) != 0) {
    if ((cookie & ~kAnnounceTimer) == answer_seq_ && answer_watch_.fd >= 0) {
      LogLine("successor_announce_timeout").kv("waited_ms", kAnnounceWaitMs);
      successor_announced();
    }
    return;
  }
  if (cookie != attempt_ || phase_ != Phase::kWaiting) return;
  // The byte may be sitting in the pipe right now: prefer it over a timeout.
  if (ready_pipe_.fd >= 0) {
    on_ready_pipe();
    if (phase_ != Phase::kWaiting) return;
  }
  fail("child not ready within " + std::to_string(ready_timeout_) + "ms");
}

void Restarter::fail(std::string reason) {
  if (phase_ != Phase::kWaiting) return;
  phase_ = Phase::kFailing;
  reason_ = std::move(reason);
  close_pipe(ready_pipe_);
  close_pipe(error_pipe_);
  // The pid cannot have been reused: it is our child and not yet reaped.
  if (!reaped_ && ::kill(child_, SIGKILL) < 0 && errno != ESRCH)
    log_syscall_error("kill", errno, "restart child");
  if (reaped_) finish_failure();
  // else: SIGCHLD → on_child_exit() → finish_failure()
}

bool Restarter::on_child_exit(pid_t pid, int status) {
  if (pid != child_ || phase_ == Phase::kIdle) return false;
  reaped_ = true;
  child_status_ = status;
  if (phase_ == Phase::kAborting) {
    LogLine("restart_child_reaped")
        .kv("child_pid", static_cast<std::int64_t>(pid))
        .kv("status", describe_wait_status(status));
    reset();
    return true;
  }
  if (phase_ == Phase::kFailing) {
    finish_failure();
    return true;
  }
  // Died while we waited. A ready byte may still sit in the pipe: let it be seen first
  // (on_ready_pipe checks reaped_ and refuses a dead successor).
  if (ready_pipe_.fd >= 0) on_ready_pipe();
  if (phase_ == Phase::kWaiting) child_died_before_ready();
  return true;
}

void Restarter::finish_failure() {
  std::string reason = reason_;
  if (reason_wants_status_ && reaped_)
    reason += " (" + describe_wait_status(child_status_) + ")";
  else if (!reason_wants_status_ && reaped_ && reason.find("not ready") != std::string::npos)
    reason += " (killed)";
  reset();
  observer_.restart_failed(reason);
}

void Restarter::reset() {
  close_pipe(ready_pipe_);
  close_pipe(error_pipe_);
  phase_ = Phase::kIdle;
  child_ = -1;
  reaped_ = false;
  ++attempt_;  // any pending timer is now stale
}

void Restarter::abort() {
  if (phase_ == Phase::kIdle || phase_ == Phase::kAborting) return;
  const pid_t pid = child_;
  close_pipe(ready_pipe_);
  close_pipe(error_pipe_);
  LogLine("restart_aborted").kv("child_pid", static_cast<std::int64_t>(pid));
  if (reaped_) {
    reset();
    return;
  }
  // The pid cannot have been reused: it is our child and not yet reaped. SIGKILL cannot be
  // caught, but the death is still asynchronous: its reap arrives by SIGCHLD
  // (on_child_exit), and the loop does not block for it. pending() stays true until then.
  if (::kill(pid, SIGKILL) < 0 && errno != ESRCH) log_syscall_error("kill", errno, "abort restart");
  phase_ = Phase::kAborting;
  ++attempt_;  // any pending timer is now stale
}

void Restarter::await_abort(Millis bound_ms) {
  if (phase_ != Phase::kAborting) return;
  // Only on the way out (after a hammer, or a drain that ended first): the loop no longer
  // runs, so wait here for SIGCHLD, bounded, never in a blocking waitpid.
  const Millis deadline = monotonic_ms() + bound_ms;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(child_, &status, WNOHANG);
    if (r == child_ || (r < 0 && errno == ECHILD)) break;
    if (r < 0 && errno != EINTR) {
      log_syscall_error("waitpid", errno, "abort restart");
      break;
    }
    const Millis left = deadline - monotonic_ms();
    if (left <= 0) {
      LogLine("restart_child_unreaped").kv("child_pid", static_cast<std::int64_t>(child_));
      break;
    }
    // SIGCHLD is blocked (read from the signalfd): take the next one here.
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    timespec ts{static_cast<time_t>(left / 1000), static_cast<long>(left % 1000) * 1000000};
    if (::sigtimedwait(&chld, nullptr, &ts) < 0 && errno != EAGAIN && errno != EINTR)
      log_syscall_error("sigtimedwait", errno, "abort restart");
  }
  reset();
}

int report_ready_to_parent() {
  const char* v = std::getenv("ZERODROP_READY_FD");
  if (v == nullptr) return -1;
  std::string value(v);
  unsetenv("ZERODROP_READY_FD");  // not for anything we start later
  char* end = nullptr;
  long fd = std::strtol(value.c_str(), &end, 10);
  if (end == value.c_str() || *end != '\0' || fd < 0 || fd > 1 << 20) {
    LogLine("ready_fd_invalid").kv("value", value);
    return -1;
  }
  const char byte = '1';
  ssize_t n;
  do
    n = ::write(static_cast<int>(fd), &byte, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) log_syscall_error("write", n < 0 ? errno : EIO, "ZERODROP_READY_FD");
  // Our parent generation answers on the same socket once it has stopped accepting; a
  // launcher's pipe carries no answer.
  struct stat st {};
  if (n == 1 && ::fstat(static_cast<int>(fd), &st) == 0 && S_ISSOCK(st.st_mode)) {
    if (fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC) < 0)
      log_syscall_error("fcntl", errno, "ZERODROP_READY_FD");
    return static_cast<int>(fd);
  }
  if (::close(static_cast<int>(fd)) < 0) log_syscall_error("close", errno, "ZERODROP_READY_FD");
  return -1;
}

}  // namespace zerodrop::server

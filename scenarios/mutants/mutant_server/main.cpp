// zerodrop-mutant: the lifecycle. One thread runs this state machine; each connection has a
// thread of its own (connection.cpp). Signal handlers only write the signal number to a
// self-pipe; every decision is taken here.
//
//   phase        SIGHUP (fork-restart)        SIGTERM/SIGINT   ready byte     conns == 0
//   kServing     spawn child -> kRestarting   drain            -              -
//   kRestarting  (ignored: one at a time)     drain            drain          -
//   kDraining    -                            -                -              exit 0
//   past --shutdown-timeout while draining: exit 1. SIGUSR2 anywhere: exit 0 at once.
//
// Each `--bug` bends exactly one of these transitions; look for "THE BUG".
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "connection.hpp"
#include "handoff.hpp"

namespace zerodrop::mutant {
namespace {

// kReuseportRestart: how long the old generation stops accepting before it closes its socket,
// so the connections the kernel keeps steering to it pile up in its queue (and are reset).
constexpr int kReuseportPauseMs = 300;
// kEarlyClose: the start-up work a new generation does before it binds; the old one has closed
// its listener already, so every connection in this window is refused.
constexpr int kEarlyCloseStartupMs = 300;
// kSlowStart: how long a new generation sits, announced ready, before its first accept().
constexpr int kSlowStartMs = 800;

int g_signal_pipe_write = -1;

extern "C" void on_signal(int signo) {
  const int saved = errno;
  const char byte = static_cast<char>(signo);
  [[maybe_unused]] const ssize_t n = ::write(g_signal_pipe_write, &byte, 1);
  errno = saved;
}

void install_signals(const SharedState& st, int& read_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
    log_event(st, "fatal", "syscall=pipe2");
    std::_Exit(1);
  }
  read_end = fds[0];
  g_signal_pipe_write = fds[1];
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (const int s : {SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGTSTP})
    if (::sigaction(s, &sa, nullptr) < 0) log_event(st, "error", "syscall=sigaction");
  std::signal(SIGPIPE, SIG_IGN);
}

enum class Phase { kServing, kRestarting, kDraining };

class Lifecycle {
 public:
  explicit Lifecycle(SharedState& st) : st_(st), o_(*st.options) {}

  [[noreturn]] void run() {
    install_signals(st_, signal_fd_);
    int drain_pipe[2];
    if (::pipe2(drain_pipe, O_CLOEXEC) < 0) fatal("pipe2");
    st_.drain_fd = drain_pipe[0];
    drain_write_ = drain_pipe[1];

    if (closes_early() && st_.generation > 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(kEarlyCloseStartupMs));
    listener_ = open_listener(st_, o_.bug == Bug::kReuseportRestart, port_);
    log_event(st_, "start", "port=" + std::to_string(port_));
    announce_ready(st_, port_);
    if (o_.bug == Bug::kSlowStart && st_.generation > 1)  // THE BUG: ready, but not accepting
      std::this_thread::sleep_for(std::chrono::milliseconds(kSlowStartMs));

    for (;;)
      step();
  }

 private:
  [[noreturn]] void fatal(const char* syscall) {
    log_event(st_, "fatal",
              std::string("syscall=") + syscall + " error=\"" + std::strerror(errno) + "\"");
    std::_Exit(1);
  }

  [[noreturn]] void exit_now(int code) {
    log_event(st_, "exit", "code=" + std::to_string(code));
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(code);
  }

  void step() {
    pollfd p[3] = {{signal_fd_, POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0}};
    if (listener_ >= 0 && phase_ != Phase::kDraining) p[1].fd = listener_;
    if (ready_channel_ >= 0) p[2].fd = ready_channel_;
    const int timeout = phase_ == Phase::kDraining ? 10 : -1;
    const int n = ::poll(p, 3, timeout);
    if (n < 0 && errno != EINTR) fatal("poll");
    if (n > 0 && p[0].revents != 0) on_signals();
    if (n > 0 && p[1].revents != 0) accept_all();
    if (n > 0 && p[2].revents != 0) on_ready_channel();
    if (phase_ == Phase::kDraining) drain_tick();
  }

  void accept_all() {
    for (;;) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
          log_event(st_, "error",
                    std::string("syscall=accept4 error=\"") + std::strerror(errno) + "\"");
        return;
      }
      st_.connections.fetch_add(1);
      std::thread([this, fd] { serve_connection(st_, fd); }).detach();
    }
  }

  void on_signals() {
    char buf[64];
    ssize_t n;
    while ((n = ::read(signal_fd_, buf, sizeof buf)) > 0)
      for (ssize_t i = 0; i < n; ++i)
        on_signal_number(buf[i]);
  }

  void on_signal_number(int signo) {
    switch (signo) {
      case SIGHUP:
        if (!o_.fork_restart) {
          log_event(st_, "sighup_ignored", "mode=shutdown");
        } else if (phase_ == Phase::kServing) {
          restart();
        }
        return;
      case SIGTERM:
      case SIGINT:
        if (o_.bug == Bug::kExitAtOnce) exit_now(0);  // THE BUG: no drain
        if (phase_ != Phase::kDraining) {
          notify("STOPPING=1");
          begin_drain();
        }
        return;
      case SIGUSR2:
        log_event(st_, "hammer");
        exit_now(0);
      default:
        log_event(st_, "stats", "connections=" + std::to_string(st_.connections.load()));
    }
  }

  void restart() {
    log_event(st_, "restart_requested");
    notify("RELOADING=1");
    if (o_.bug == Bug::kExecInPlace) {  // THE BUG: same process, same pid
      phase_ = Phase::kRestarting;
      exec_pending_ = true;
      begin_drain();
      return;
    }
    // A socketpair, not a pipe: the child says "ready" and then waits for our answer, sent only
    // once we have stopped accepting, before it announces itself (the reference server's
    // ready/answer handshake). Without it, a request started after the child's READY=1 could
    // still be accepted here: a new_served_by_new failure in every mutant, beside its own bug.
    int ready[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ready) < 0) {
      log_event(st_, "restart_failed", "syscall=socketpair");
      return;
    }
    const bool handover = o_.bug != Bug::kReuseportRestart && !closes_early();
    // THE BUG (kStoppingDuringRestart): a restart announced as a stop, as if to excuse the gap
    // in accepting that follows (a harness must only trust STOPPING=1 from the process it stops).
    if (o_.bug == Bug::kStoppingDuringRestart) notify("STOPPING=1");
    if (closes_early()) {  // THE BUG: the port is closed before the child exists
      ::close(listener_);
      listener_ = -1;
    }
    child_ = spawn_next(st_, handover ? listener_ : -1, port_, ready[1]);
    ::close(ready[1]);
    if (child_ < 0) {
      ::close(ready[0]);
      return;
    }
    log_event(st_, "child_spawned", "child=" + std::to_string(child_));
    if (o_.bug == Bug::kExitAtOnce) exit_now(0);  // THE BUG: no wait, no drain
    ready_channel_ = ready[0];
    phase_ = Phase::kRestarting;
    if (closes_early()) begin_drain();
  }

  bool closes_early() const {
    return o_.bug == Bug::kEarlyClose || o_.bug == Bug::kStoppingDuringRestart;
  }

  void on_ready_channel() {
    char byte;
    const ssize_t n = ::read(ready_channel_, &byte, 1);
    if (n < 0 && errno == EINTR) return;
    if (n == 1) {
      log_event(st_, "child_ready", "child=" + std::to_string(child_));
      if (phase_ == Phase::kRestarting) begin_drain();
      if (::write(ready_channel_, "1", 1) != 1) log_event(st_, "error", "syscall=write(answer)");
      ::close(ready_channel_);
      ready_channel_ = -1;
      return;
    }
    ::close(ready_channel_);
    ready_channel_ = -1;
    // The child died before it was ready: keep serving, reap it, allow another restart.
    int status = 0;
    ::waitpid(child_, &status, 0);
    log_event(st_, "restart_failed", "reason=child_exited status=" + std::to_string(status));
    notify("READY=1\nSTATUS=restart failed: child exited");
    if (phase_ == Phase::kRestarting) phase_ = Phase::kServing;
  }

  void begin_drain() {
    phase_ = Phase::kDraining;
    st_.drain_started_ms = now_ms();
    st_.draining = true;
    if (::write(drain_write_, "d", 1) != 1) log_event(st_, "error", "syscall=write(drain)");
    // kReuseportRestart closes later (drain_tick), exec in place keeps the socket.
    if (listener_ >= 0 && o_.bug != Bug::kReuseportRestart && !exec_pending_) {
      ::close(listener_);
      listener_ = -1;
    }
    log_event(st_, "drain_started", "connections=" + std::to_string(st_.connections.load()));
  }

  void drain_tick() {
    const std::int64_t elapsed = now_ms() - st_.drain_started_ms.load();
    if (listener_ >= 0 && o_.bug == Bug::kReuseportRestart && elapsed >= kReuseportPauseMs) {
      // THE BUG: connections the kernel queued on this SO_REUSEPORT socket are reset here.
      ::close(listener_);
      listener_ = -1;
    }
    if (st_.connections.load() == 0 && (listener_ < 0 || exec_pending_)) {
      log_event(st_, "drain_complete");
      if (exec_pending_) {
        exec_in_place(st_, listener_);
        exit_now(1);
      }
      if (o_.bug == Bug::kNeverExits) {  // THE BUG: drained, but lingers forever
        log_event(st_, "lingering");
        for (;;)
          ::pause();
      }
      exit_now(0);
    }
    if (elapsed > o_.shutdown_timeout_ms && o_.bug != Bug::kIgnoreDeadline) {
      // (kIgnoreDeadline: THE BUG is the missing branch: it waits for the slowest request.)
      log_event(st_, "drain_timeout", "connections=" + std::to_string(st_.connections.load()));
      // THE BUG (kStallInFlight): the requests it sat on are closed quietly, and it claims a
      // clean drain.
      exit_now(o_.bug == Bug::kStallInFlight ? 0 : 1);
    }
  }

  SharedState& st_;
  const Options& o_;
  Phase phase_ = Phase::kServing;
  int signal_fd_ = -1;
  int drain_write_ = -1;
  int listener_ = -1;
  int port_ = 0;
  int ready_channel_ = -1;  // our end of the socketpair to the child: its "ready", our answer
  pid_t child_ = -1;
  bool exec_pending_ = false;
};

}  // namespace
}  // namespace zerodrop::mutant

int main(int argc, char** argv) {
  using namespace zerodrop::mutant;
  static const Options options = parse_options(argc, argv);
  static SharedState state;
  state.options = &options;
  state.pid = ::getpid();
  if (const char* g = std::getenv("ZERODROP_GENERATION"); g != nullptr && std::atoi(g) > 0)
    state.generation = std::atoi(g);
  if (options.bug == Bug::kFdLeak) {
    // THE BUG: a descriptor without FD_CLOEXEC, so every exec'd generation inherits one more
    // open file. Placed at 20+ so the hand-over's dup2 onto fds 3 and 4 cannot reuse it.
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fcntl(fd, F_DUPFD, 20) < 0) std::perror("open(/dev/null)/fcntl(F_DUPFD)");
    if (fd >= 0) ::close(fd);
  }
  static Lifecycle lifecycle(state);
  lifecycle.run();
}

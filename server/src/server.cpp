// One generation: wiring and the execution of lifecycle actions. See server.hpp.
#include "zerodrop/server/server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "zerodrop/server/log.hpp"
#include "zerodrop/server/pid_file.hpp"

namespace zerodrop::server {
namespace {

constexpr std::uint64_t kDrainDeadlineTimer = 1;
constexpr std::uint64_t kAcceptResumeTimer = 2;
constexpr std::uint64_t kParentAnswerTimer = 3;
constexpr std::uint64_t kListenerCloseTimer = 4;
// How long a shutting-down listener stays open once no new handshake can start
// (stop_new_handshakes): handshakes already under way complete in microseconds on loopback,
// in milliseconds when the machine is busy; those that complete are accepted and served.
constexpr int kHandshakeGraceMs = 25;
constexpr Millis kParentAnswerMs = 1000;  // an old generation that never answers: announce anyway
constexpr Millis kAcceptPauseMs = 100;    // after EMFILE & co: let connections close first
constexpr int kAcceptBatch = 64;          // accept fairness against established connections
constexpr Millis kAbortReapMs = 1000;     // on the way out: how long a SIGKILLed child may take

std::uint32_t generation_from_env() {
  const char* v = std::getenv("ZERODROP_GENERATION");
  if (v == nullptr) return 1;
  char* end = nullptr;
  unsigned long g = std::strtoul(v, &end, 10);
  unsetenv("ZERODROP_GENERATION");
  if (end == v || *end != '\0' || g == 0 || g > 0xffffffffUL) return 1;
  return static_cast<std::uint32_t>(g);
}

// The stdout line, bounded: a reader that stopped reading gets kStdoutWaitMs, then the rest
// of the line is dropped (logged stdout_dropped). A pipe is written through a private
// O_NONBLOCK descriptor (fd 1's flags are shared with other processes).
constexpr int kStdoutWaitMs = 1000;

void write_stdout(const std::string& line) {
  int fd = STDOUT_FILENO;
  int own = -1;
  struct stat st {};
  if (::fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode)) {
    own = ::open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (own >= 0) fd = own;
  }
  const bool socket = S_ISSOCK(st.st_mode);
  const Millis deadline = monotonic_ms() + kStdoutWaitMs;
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = socket ? ::send(fd, p, left, MSG_DONTWAIT | MSG_NOSIGNAL) : ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      const Millis wait = deadline - monotonic_ms();
      pollfd pfd{fd, POLLOUT, 0};
      if (wait > 0 && ::poll(&pfd, 1, static_cast<int>(wait)) >= 0) continue;
      LogLine("stdout_dropped").kv("bytes", static_cast<std::uint64_t>(left));
      break;
    }
    if (n <= 0) {
      log_syscall_error("write", n < 0 ? errno : EIO, "stdout");
      break;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (own >= 0) ::close(own);
}

}  // namespace

Server::Server(Config config, std::string exe_path, std::vector<std::string> argv)
    : config_(std::move(config)),
      pid_(getpid()),
      generation_(generation_from_env()),
      signals_({SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGTSTP, SIGCHLD}),
      writer_(pid_, generation_),
      shared_{config_, loop_, writer_},
      restarter_(loop_, *this, signals_, std::move(exe_path), std::move(argv)) {
  log_set_identity(pid_, generation_);
  accept_watch_.owner = this;
  accept_watch_.fn = &Server::on_accept;
  signal_watch_.owner = this;
  signal_watch_.fn = &Server::on_signal;
  parent_watch_.owner = this;
  parent_watch_.fn = &Server::on_parent_answer;
}

Server::~Server() {
  if (parent_channel_ >= 0) ::close(parent_channel_);
  close_all();
  if (listener_.fd >= 0) ::close(listener_.fd);
}

int Server::run() {
  log_set_nonblocking();
  LogLine("start")
      .kv("mode", mode_name(config_.mode))
      .kv("exe", restarter_.exe_path())
      .kv("message", config_.message);
  if (restarter_.exe_path().empty()) LogLine("exe_path_unknown").kv("effect", "restarts will fail");
  auto l = adopt_or_bind(config_);
  if (!l) {
    LogLine("exit").kv("code", 1).kv("reason", "no listener");
    return 1;
  }
  listener_ = *l;
  if (!loop_.add(signals_.fd(), EPOLLIN, &signal_watch_) ||
      !loop_.add(listener_.fd, EPOLLIN, &accept_watch_)) {
    LogLine("exit").kv("code", 1).kv("reason", "epoll_ctl failed");
    return 1;
  }
  listener_registered_ = true;
  become_ready();

  while (state_ != State::kExited) {
    loop_.run_once();
    // Closed connections are recycled only between batches: an event for a connection closed
    // earlier in the same batch must find it closed, not reused.
    for (Connection* c : released_)
      free_.push_back(c);
    released_.clear();
    rejecter_.recycle();
    // An aborted successor is reaped (SIGCHLD) before we exit: no zombie left behind.
    if (state_ == State::kDraining && active_ == 0 && !restarter_.pending() && !listener_closing_)
      apply(Event::kDrainComplete);
  }

  restarter_.abort();
  restarter_.await_abort(kAbortReapMs);
  close_all();
  rejecter_.close_all();
  stop_accepting();
  if (!handed_over_) remove_pid_file_if_ours(config_.pid_file, pid_);
  pid_lock_.reset();
  LogLine("exit").kv("code", exit_code_).kv("requests", shared_.requests_total);
  return exit_code_;
}

void Server::become_ready() {
  // We are accepting. A parent generation learns it first and stops accepting; only once it
  // has answered do we tell the world (pid file, stdout, NOTIFY_SOCKET). Announcing first
  // would leave a moment in which a client that learnt of the new generation could still be
  // accepted by the old one.
  parent_channel_ = report_ready_to_parent();
  if (parent_channel_ < 0 || !loop_.add(parent_channel_, EPOLLIN | EPOLLRDHUP, &parent_watch_)) {
    close_parent_channel();
    apply(Event::kParentAnswered);
    return;
  }
  loop_.add_timer(loop_.now() + kParentAnswerMs, this, kParentAnswerTimer);
}

void Server::forward_restart_to_successor() {
  restart_again_ = false;
  // successor_ is our child and not yet reaped (reap_children clears it): the pid is its own.
  if (::kill(successor_, SIGHUP) < 0) {
    log_syscall_error("kill", errno, "forward SIGHUP to successor");
    return;
  }
  LogLine("restart_forwarded").kv("successor_pid", static_cast<std::int64_t>(successor_));
}

void Server::on_parent_answer() {
  // Signals first: a SIGHUP our parent forwarded was sent before its answer, and decides
  // whether we announce ourselves with or without the pid file.
  on_signal();
  char byte;
  ssize_t n;
  do
    n = ::read(parent_channel_, &byte, 1);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return;
  if (n < 0) log_syscall_error("read", errno, "ready channel");
  apply(Event::kParentAnswered);  // the answer, or EOF: either way the parent no longer accepts
  // Closed after the announcement: our parent holds back its drain until then.
  close_parent_channel();
}

void Server::close_parent_channel() {
  if (parent_channel_ < 0) return;
  loop_.remove(parent_channel_);
  if (::close(parent_channel_) < 0) log_syscall_error("close", errno, "ready channel");
  parent_channel_ = -1;
}

void Server::announce_ready(bool write_pid) {
  if (write_pid && !config_.pid_file.empty()) pid_lock_ = write_pid_file(config_.pid_file, pid_);
  write_stdout("listening on " + listener_.address + " pid=" + std::to_string(pid_) +
               " generation=" + std::to_string(generation_) + "\n");
  notifier_.send("MAINPID=" + std::to_string(pid_));
  notifier_.send("READY=1");
  LogLine("ready")
      .kv("address", listener_.address)
      .kv("inherited", listener_.inherited ? "true" : "false");
}

// ---- lifecycle ----------------------------------------------------------------------------

void Server::apply(Event event) {
  const State prev = state_;
  const Step step = next_step(state_, event);
  state_ = step.next;  // before the action: actions may feed further events
  switch (step.action) {
    case Action::kNone:
      break;
    case Action::kLogIgnored:
      LogLine("signal_ignored").kv("event", event_name(event)).kv("state", state_name(prev));
      break;
    case Action::kCoalesce:
      LogLine("restart_coalesced").kv("child_pid", static_cast<std::int64_t>(restarter_.child()));
      // The pending child exec'd the file as it was then. A request made after the file was
      // replaced asks for code nobody runs yet: carry it out once this attempt ends.
      if (!restart_again_ && restarter_.binary_replaced()) {
        restart_again_ = true;
        LogLine("restart_requested_again").kv("reason", "binary replaced since the child's exec");
      }
      break;
    case Action::kForwardRestart:
      // The sender read our pid before the successor announced itself. If the successor runs
      // the binary on disk, there is nothing to do; otherwise it is the one to restart.
      if (handed_over_ && successor_ > 0 && restarter_.binary_replaced()) {
        forward_restart_to_successor();
        break;
      }
      LogLine("signal_ignored").kv("event", event_name(event)).kv("state", state_name(prev));
      break;
    case Action::kLogStats:
      log_stats();
      break;
    case Action::kReapChildren:
      reap_children();
      break;
    case Action::kSpawnChild: {
      LogLine("restart_requested").kv("next_generation", generation_ + 1);
      notifier_.send("RELOADING=1");
      std::string reason;
      shared_.fork_in_progress = true;  // until the child is exec'd or reaped
      if (!restarter_.start(listener_.fd, generation_ + 1, config_.ready_timeout_ms, reason)) {
        restart_failed(reason);
        break;
      }
      LogLine("child_spawned")
          .kv("child_pid", static_cast<std::int64_t>(restarter_.child()))
          .kv("path", restarter_.exe_path());
      break;
    }
    case Action::kAbortChildDrain:
      restarter_.abort();
      shared_.fork_in_progress = false;
      [[fallthrough]];
    case Action::kShutdownDrain:
      notifier_.send("STOPPING=1");
      start_drain("shutdown");
      break;
    case Action::kHandOverDrain:
      LogLine("child_ready").kv("child_pid", static_cast<std::int64_t>(successor_));
      handed_over_ = true;
      // Before our answer: the successor then sees the SIGHUP before it announces itself,
      // and leaves the pid file to its own successor (reload waits for the new code).
      if (restart_again_) forward_restart_to_successor();
      start_drain("restart");
      break;
    case Action::kResumeServing:
      LogLine("restart_failed").kv("reason", failure_reason_);
      notifier_.send("READY=1");
      notifier_.send("STATUS=restart failed: " + failure_reason_);
      // A rewrite with our own pid marks the end of the attempt for `reload` (new inode) — not
      // yet when a retry follows (asked again after the binary was replaced): its outcome is
      // the answer to that request, and writes the file.
      if (!config_.pid_file.empty() && !restart_again_)
        pid_lock_ = write_pid_file(config_.pid_file, pid_);
      if (restart_again_) {
        // Asked again after the binary was replaced: the new file may well start.
        restart_again_ = false;
        apply(Event::kRestartSignal);
      }
      break;
    case Action::kHammer:
      LogLine("hammer").kv("connections", active_).kv("inflight", shared_.inflight);
      notifier_.send("STOPPING=1");
      restarter_.abort();
      shared_.fork_in_progress = false;
      stop_accepting();
      close_all();
      rejecter_.close_all();
      exit_code_ = 0;
      break;
    case Action::kExitClean:
      LogLine("drain_complete").kv("requests", shared_.requests_total);
      exit_code_ = 0;
      break;
    case Action::kAnnounce:
      announce_ready(true);
      break;
    case Action::kAnnounceNoPidFile:
      LogLine("pid_file_deferred").kv("reason", "restart in progress");
      announce_ready(false);
      break;
    case Action::kSkipAnnounce:
      // Told to stop before our parent answered: whoever follows the pid file or MAINPID=
      // must not be sent to a generation that is going away.
      LogLine("announce_skipped").kv("state", state_name(prev));
      break;
    case Action::kExitForced:
      LogLine("drain_timeout")
          .kv("connections", active_)
          .kv("inflight", shared_.inflight)
          .kv("timeout_ms", config_.shutdown_timeout_ms);
      close_all();
      exit_code_ = 1;
      break;
  }
}

void Server::restart_child_ready(pid_t pid) {
  shared_.fork_in_progress = false;  // it has exec'd: our fds were close-on-exec
  successor_ = pid;
  apply(Event::kChildReady);
}

void Server::restart_failed(const std::string& reason) {
  shared_.fork_in_progress = false;  // the child is reaped
  failure_reason_ = reason;
  apply(Event::kChildFailed);
}

void Server::on_signal() {
  while (int signo = signals_.read_one()) {
    const SignalRule* rule = find_signal_rule(signo);
    if (rule == nullptr) continue;
    if (signo != SIGCHLD)
      LogLine("signal").kv("signal", rule->name).kv("state", state_name(state_));
    apply(event_for_signal(*rule, config_.mode));
  }
}

void Server::reap_children() {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid == 0) return;
    if (pid < 0) {
      if (errno == EINTR) continue;
      if (errno != ECHILD) log_syscall_error("waitpid", errno);
      return;
    }
    if (pid == successor_) successor_ = -1;  // never signal a reaped pid
    if (!restarter_.on_child_exit(pid, status))
      LogLine("child_exited")
          .kv("child_pid", static_cast<std::int64_t>(pid))
          .kv("status", describe_wait_status(status));
  }
}

void Server::log_stats() {
  LogLine("stats")
      .kv("connections", active_)
      .kv("inflight", shared_.inflight)
      .kv("generation", generation_)
      .kv("pid", pid_)
      .kv("state", state_name(state_))
      .kv("requests", shared_.requests_total)
      .kv("accepted", accepted_total_)
      .kv("rejected_lingering", rejecter_.lingering())
      .kv("timers", loop_.timer_count());
}

// ---- draining ---------------------------------------------------------------------------

void Server::stop_accepting() {
  if (listener_.fd < 0) return;
  // Deregister and close *our* descriptor only. Never shutdown(): the socket is shared with
  // the next generation, and shutdown() acts on the socket, not on our descriptor.
  if (listener_registered_) loop_.remove(listener_.fd);
  listener_registered_ = false;
  if (::close(listener_.fd) < 0) log_syscall_error("close", errno, "listener");
  listener_.fd = -1;
}

void Server::start_drain(const char* reason) {
  shared_.draining = true;
  std::uint64_t from_backlog = 0;
  if (std::strcmp(reason, "shutdown") == 0) {
    // Closing the last descriptor of a listener resets every connection still in its accept
    // queue: the kernel completed those handshakes, so their clients count themselves
    // connected and have sent their requests. Take them first — they are served (with
    // Connection: close) like any in-flight request. What remains is the microsecond between
    // the last EAGAIN and close(). On a restart the queue is shared with the new generation,
    // which accepts what we leave.
    // Then the last microsecond too: with new SYNs dropped, the listener stays open (and
    // accepting) for kHandshakeGraceMs, so a handshake under way completes and is served
    // rather than reset by the close (a test client connecting as the TERM arrived lost 1 run
    // in 10). Only when the socket is ours alone: not during a restart.
    const bool ours_alone = !handed_over_ && !restarter_.pending();
    const std::uint64_t before = accepted_total_;
    accept_batch(std::numeric_limits<int>::max());
    from_backlog = accepted_total_ - before;
    if (ours_alone && listener_.fd >= 0 && stop_new_handshakes(listener_.fd)) {
      accept_batch(std::numeric_limits<int>::max());
      from_backlog = accepted_total_ - before;
      loop_.add_timer(loop_.now() + kHandshakeGraceMs, this, kListenerCloseTimer);
      listener_closing_ = true;
    }
  }
  if (!listener_closing_) stop_accepting();
  // Logged before the successor is answered: it announces itself (its `ready` line) only
  // after our answer, so the log shows the two in the order they happened (when the line came
  // after the answer, a fast successor's `ready` could be written first).
  LogLine("drain_started")
      .kv("reason", reason)
      .kv("backlog_accepted", from_backlog)
      .kv("connections", active_)
      .kv("inflight", shared_.inflight)
      .kv("deadline_ms", config_.shutdown_timeout_ms);
  // A successor waits for this before it announces itself.
  restarter_.answer_successor();
  loop_.add_timer(loop_.now() + config_.shutdown_timeout_ms, this, kDrainDeadlineTimer);
  // The per-connection work (FIN to idle connections, and their clients' closes in answer)
  // is O(connections); on a restart it waits until the successor has announced itself
  // (restart_successor_announced, at most 1 s), so it does not compete with it for the CPU:
  // with 20,000 idle connections it tripled the time to READY=1. Meanwhile nothing is lost:
  // we no longer accept, and a request on an open connection is answered with
  // Connection: close (shared_.draining).
  if (handed_over_ && restarter_.awaiting_announcement()) {
    drain_held_ = true;
    return;
  }
  drain_connections();
}

void Server::drain_connections() {
  drain_held_ = false;
  for (auto& c : pool_)
    if (c->is_open()) c->begin_drain();
}

void Server::restart_successor_announced() {
  if (drain_held_ && state_ == State::kDraining) drain_connections();
}

void Server::close_all() {
  for (auto& c : pool_)
    if (c->is_open()) c->close_now();
}

void Server::on_timer(std::uint64_t cookie) {
  if (cookie == kParentAnswerTimer) {
    if (parent_channel_ >= 0) {
      LogLine("parent_answer_timeout").kv("waited_ms", kParentAnswerMs);
      apply(Event::kParentAnswered);
      close_parent_channel();
    }
    return;
  }
  if (cookie == kListenerCloseTimer) {
    accept_batch(std::numeric_limits<int>::max());  // the handshakes that completed meanwhile
    stop_accepting();
    listener_closing_ = false;
    return;
  }
  if (cookie == kDrainDeadlineTimer) {
    if (state_ != State::kDraining) return;
    if (active_ == 0) {
      // Only an aborted successor's reap was left: the way out waits for it, bounded.
      if (restarter_.pending()) apply(Event::kDrainComplete);
      return;
    }
    // Only unfinished requests make a drain late. Connections that are merely idle (inside
    // their drain grace) or lingering after a delivered response have lost nothing: close
    // them and call the drain complete.
    std::size_t busy = 0;
    for (auto& c : pool_)
      if (c->is_open() && c->has_work()) ++busy;
    if (busy > 0) {
      apply(Event::kDrainDeadline);
      return;
    }
    LogLine("drain_idle_closed").kv("connections", active_);
    close_all();
    apply(Event::kDrainComplete);
    return;
  }
  if (cookie == kAcceptResumeTimer && listener_.fd >= 0 && !listener_registered_ &&
      (state_ == State::kServing || state_ == State::kRestarting)) {
    listener_registered_ = loop_.add(listener_.fd, EPOLLIN, &accept_watch_);
  }
}

// ---- accepting --------------------------------------------------------------------------

void Server::on_accept() {
  accept_batch(kAcceptBatch);
}

void Server::accept_batch(int limit) {
  for (int i = 0; i < limit && listener_.fd >= 0; ++i) {
    // Flags come from accept4, never inherited from (or written to) the shared listener.
    int fd = ::accept4(listener_.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      switch (errno) {
        case EAGAIN:
          return;  // the queue is empty (or the other generation took it)
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
        case EPERM:
          continue;
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
          // Level-triggered: we would spin. Stop watching for a moment.
          log_syscall_error("accept4", errno, "pausing accept");
          loop_.remove(listener_.fd);
          listener_registered_ = false;
          loop_.add_timer(loop_.now() + kAcceptPauseMs, this, kAcceptResumeTimer);
          return;
        default:
          log_syscall_error("accept4", errno);
          return;
      }
    }
    ++accepted_total_;
    if (active_ >= config_.max_connections) {
      reject_overload(fd);
      continue;
    }
    Connection* c;
    if (!free_.empty()) {
      c = free_.back();
      free_.pop_back();
    } else {
      pool_.push_back(std::make_unique<Connection>(shared_, *this));
      c = pool_.back().get();
    }
    ++active_;
    c->open(fd);
    if (shared_.draining) c->begin_drain();
    if (!loop_.add(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, c)) c->close_now();
  }
}

void Server::reject_overload(int fd) {
  // Over --max-connections: a 503 and a lingering close, so the client learns why (and a
  // request already sent does not turn the close into an RST).
  rejecter_.reject(fd);
  if (loop_.now() - last_limit_log_ >= 1000) {
    last_limit_log_ = loop_.now();
    LogLine("connection_limit").kv("max_connections", config_.max_connections);
  }
}

void Server::connection_closed(Connection& c) {
  --active_;
  released_.push_back(&c);
}

}  // namespace zerodrop::server

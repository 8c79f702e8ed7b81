// See zerodrop/launcher.hpp. Spawning, the notify socket, the stdout parser, reaping, the guardian
// and /proc are the process layer's (zerodrop/proc/); this file keeps the run's bookkeeping:
// which pids are known, which exited how, which is the main one, and the events they make.
#include "zerodrop/launcher.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iterator>
#include <stdexcept>
#include <thread>

#include "zerodrop/proc/reap.hpp"
#include "zerodrop/proc/server_lines.hpp"

namespace zerodrop {

namespace {
std::atomic<int> g_interrupt{0};
void on_interrupt(int sig) {
  g_interrupt.store(sig);
}

}  // namespace

int signal_number(const std::string& n) {
  static const std::map<std::string, int> m = {
      {"HUP", SIGHUP},     {"INT", SIGINT},   {"TERM", SIGTERM}, {"USR1", SIGUSR1},
      {"USR2", SIGUSR2},   {"KILL", SIGKILL}, {"QUIT", SIGQUIT}, {"TSTP", SIGTSTP},
      {"WINCH", SIGWINCH}, {"STOP", SIGSTOP}, {"CONT", SIGCONT}};
  auto it = m.find(n);
  return it == m.end() ? 0 : it->second;
}

void Launcher::install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}
bool Launcher::interrupted() {
  return g_interrupt.load() != 0;
}

Launcher::Launcher(RunClock clock, std::string workdir)
    : clock_(clock), workdir_(std::move(workdir)) {
  proc::become_subreaper();
  notify_path_ = workdir_ + "/notify.sock";
  try {
    notify_ = std::make_unique<proc::NotifySocket>(notify_path_);
  } catch (const std::system_error& e) {
    throw std::runtime_error(e.what());
  }
  guardian_ = std::make_unique<proc::Guardian>(run_tag());
}

Launcher::~Launcher() {
  const bool all_ended = end_all(2000);
  if (all_ended) guardian_->dismiss();
  guardian_.reset();
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

void Launcher::record(const std::string& event, long pid, long other, const std::string& detail) {
  record_at(clock_.now_ns(), event, pid, other, detail);
}

// Events stay in time order: one stamped on arrival may be older than events recorded while it
// waited in the socket.
void Launcher::record_at(std::int64_t t_ns, const std::string& event, long pid, long other,
                         const std::string& detail) {
  LifecycleEvent e{t_ns, event, pid, other, detail};
  if (history_ != nullptr) history_->write(e);  // streamed as it happens; readers sort by time
  std::lock_guard lk(mu_);
  auto at = events_.end();
  while (at != events_.begin() && std::prev(at)->t_ns > t_ns)
    --at;
  events_.insert(at, std::move(e));
}

std::vector<LifecycleEvent> Launcher::events() const {
  std::lock_guard lk(mu_);
  return events_;
}

std::optional<int> Launcher::exit_of(pid_t pid) const {
  auto it = exits_.find(pid);
  if (it == exits_.end()) return std::nullopt;
  return it->second;
}

std::set<pid_t> Launcher::live_pids() const {
  std::set<pid_t> out;
  for (auto p : known_)
    if (!exits_.count(p) && !vanished_.count(p)) out.insert(p);
  return out;
}

pid_t Launcher::spawn(const SpawnOptions& o, const std::string& what) {
  std::vector<std::string> extra = o.env;
  extra.push_back(run_tag());
  if (o.notify) extra.push_back("NOTIFY_SOCKET=" + notify_path_);
  proc::Spec spec;
  spec.argv = o.argv;
  spec.env = proc::environment(
      {"LISTEN_", "NOTIFY_SOCKET=", "ZERODROP_GENERATION=", "ZERODROP_READY_FD=", "ZERODROP_RUN="},
      extra);
  spec.listen_fd = o.listen_fd;
  spec.listen_fdnames = true;
  spec.pipe_stdout = o.capture_stdout && stdout_fd_ < 0;  // later generations inherit it
  int err_fd = -1;
  if (!o.stderr_path.empty()) {
    err_fd = open(o.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (err_fd < 0)
      throw std::runtime_error("open(" + o.stderr_path + "): " + std::strerror(errno));
    spec.stderr_fd = err_fd;
  }
  proc::Child c;
  try {
    c = proc::spawn(spec);
  } catch (const proc::SpawnError& e) {
    if (err_fd >= 0) close(err_fd);
    if (e.pid <= 0) throw std::runtime_error(e.what());
    known_.insert(e.pid);
    groups_.insert(e.pid);
    const int child_errno = e.code().value();
    record("exec_failed", e.pid, child_errno, o.argv[0] + ": " + std::strerror(child_errno));
    throw std::runtime_error("cannot execute " + o.argv[0] + ": " + std::strerror(child_errno));
  }
  if (err_fd >= 0) close(err_fd);
  groups_.insert(c.pid);
  known_.insert(c.pid);
  if (c.stdout_fd >= 0) {
    stdout_fd_ = c.stdout_fd;
    fcntl(stdout_fd_, F_SETFL, O_NONBLOCK);
  }
  record(what, c.pid, 0, o.argv[0]);
  if (main_pid_ == 0 && what == "spawned") main_pid_ = c.pid;
  return c.pid;
}

bool Launcher::signal_pid(pid_t pid, int sig) {
  if (pid <= 0) return false;
  if (kill(pid, sig) < 0) {
    const int e = errno;
    std::fprintf(stderr, "zerodrop: kill(%d, %d): %s\n", static_cast<int>(pid), sig,
                 std::strerror(e));
    errno = e;  // for the caller's record
    return false;
  }
  return true;
}

void Launcher::read_notify() {
  while (auto d = notify_->receive()) {
    // The kernel's arrival stamp is CLOCK_REALTIME; the run clock is monotonic: convert by the
    // datagram's age (a clock step backwards gives age < 0: keep the read time).
    std::int64_t at = clock_.now_ns();
    const std::int64_t age = proc::realtime_ns() - d->arrived_ns;
    if (age > 0 && age < at) at -= age;
    const pid_t sender = d->sender;
    for (std::string_view line : d->lines()) {
      if (sender > 0) known_.insert(sender);
      if (line == "READY=1") {
        record_at(at, "ready", sender, 0, "notify");
        if (sender == main_pid_) ready_ = true;
      } else if (line.rfind("MAINPID=", 0) == 0) {
        pid_t np = static_cast<pid_t>(std::atol(std::string(line.substr(8)).c_str()));
        if (np > 0) known_.insert(np);
        if (np != main_pid_) {
          record_at(at, "mainpid", np, main_pid_, "notify");
          main_pid_ = np;
        }
      } else if (line == "RELOADING=1") {
        record_at(at, "reloading", sender, 0, "notify");
      } else if (line == "STOPPING=1") {
        record_at(at, "stopping", sender, 0, "notify");
      } else if (line.rfind("STATUS=", 0) == 0) {
        record_at(at, "status", sender, 0, std::string(line.substr(7)));
      }
    }
  }
}

void Launcher::read_stdout() {
  if (stdout_fd_ < 0) return;
  char buf[4096];
  for (;;) {
    ssize_t n = read(stdout_fd_, buf, sizeof buf);
    if (n <= 0) {
      if (n == 0) {
        close(stdout_fd_);
        stdout_fd_ = -1;
      }
      break;
    }
    stdout_buf_.append(buf, static_cast<std::size_t>(n));
  }
  std::size_t nl;
  while ((nl = stdout_buf_.find('\n')) != std::string::npos) {
    std::string line = stdout_buf_.substr(0, nl);
    stdout_buf_.erase(0, nl + 1);
    const auto l = proc::parse_listening_line(line);
    if (!l) continue;
    const long port = l->port, pid = l->pid;
    record("listening", pid, port, line);
    if (port > 0 && port_ == 0) port_ = static_cast<std::uint16_t>(port);
    if (pid > 0) known_.insert(static_cast<pid_t>(pid));
  }
}

void Launcher::reap() {
  while (auto r = proc::reap_one()) {
    if (guardian_ && r->pid == guardian_->pid()) {  // died early (no group kill of ours hits it)
      guardian_->forget();
      continue;
    }
    const int code = proc::exit_code(r->status);
    exits_[r->pid] = code;
    known_.insert(r->pid);
    record("exited", r->pid, code, proc::describe_status(r->status));
  }
}

void Launcher::poll() {
  read_notify();
  read_stdout();
  reap();
  // A generation whose parent (an older generation) is still alive is reaped by that parent,
  // not by us. Our own exited children stay zombies until reap() above, so kill(pid, 0)
  // failing with ESRCH can only mean someone else reaped it: it exited, code unobservable.
  for (auto p : known_) {
    if (exits_.count(p) || vanished_.count(p)) continue;
    if (kill(p, 0) < 0 && errno == ESRCH) {
      vanished_.insert(p);
      record("vanished", p, 0, "exited and reaped by its parent; exit code not observable here");
    }
  }
}

bool Launcher::end_all(int grace_ms) {
  auto any_live = [&] {
    poll();
    for (auto p : known_)
      if (!exits_.count(p) && !vanished_.count(p) && kill(p, 0) == 0) return true;
    // Descendants we never heard of (a shell's background job, a server's helper) still
    // count while their process group has members; zombies among them were reaped above.
    for (auto g : groups_)
      if (kill(-g, 0) == 0) return true;
    return false;
  };
  // Anything of ours that escaped the tree (and so every process group we know) ends now.
  for (pid_t p : tagged_processes_outside(run_tag(), getpid())) {
    kill(p, SIGKILL);
    record("orphan_killed", p, 0, "outside the harness's tree");
  }
  if (!any_live()) return true;
  for (auto g : groups_)
    kill(-g, SIGTERM);
  for (auto p : live_pids())
    kill(p, SIGTERM);
  for (int waited = 0; waited < grace_ms && any_live(); waited += 5)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (any_live()) {
    for (auto g : groups_)
      kill(-g, SIGKILL);
    for (auto p : live_pids())
      kill(p, SIGKILL);
    record("teardown_kill", 0, 0, "SIGKILL after grace");
    for (int waited = 0; waited < 2000 && any_live(); waited += 5)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return !any_live();
}

int bind_loopback_listener(std::uint16_t& port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(fd, 4096) < 0) {
    int e = errno;
    close(fd);
    throw std::runtime_error(std::string("bind/listen 127.0.0.1:0: ") + std::strerror(e));
  }
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

}  // namespace zerodrop

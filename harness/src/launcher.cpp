// Process spawning is done with fork + execvpe rather than Boost.Process: the child needs
// setpgid, PR_SET_PDEATHSIG, fd 3 and LISTEN_PID=<its own pid>, all between fork and exec,
// and Boost.Process 1.74's child object would SIGKILL on destruction and install a global
// SIGCHLD handler. Reaping is ours: waitpid(-1) as a subreaper sees every generation.
#include "zerodrop/launcher.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace zerodrop {

namespace {
std::atomic<int> g_interrupt{0};
void on_interrupt(int sig) {
  g_interrupt.store(sig);
}

void put_uint(char* p, long v) {  // async-signal-safe decimal, for the child after fork
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0);
  while (n > 0)
    *p++ = tmp[--n];
  *p = '\0';
}
}  // namespace

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
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
    std::fprintf(stderr, "zerodrop: prctl(PR_SET_CHILD_SUBREAPER): %s\n", std::strerror(errno));
  notify_path_ = workdir_ + "/notify.sock";
  notify_fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (notify_fd_ < 0)
    throw std::runtime_error(std::string("socket(AF_UNIX): ") + std::strerror(errno));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (notify_path_.size() >= sizeof a.sun_path)
    throw std::runtime_error("notify socket path too long: " + notify_path_);
  std::strcpy(a.sun_path, notify_path_.c_str());
  unlink(notify_path_.c_str());
  if (bind(notify_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
    throw std::runtime_error("bind(" + notify_path_ + "): " + std::strerror(errno));
  int one = 1;
  if (setsockopt(notify_fd_, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
    std::fprintf(stderr, "zerodrop: setsockopt(SO_PASSCRED): %s\n", std::strerror(errno));
  // The kernel stamps each datagram on arrival: READY=1 is then timed when the server sent it,
  // not when the harness's loop (which polls every millisecond, on cores shared with the load)
  // got round to reading it. Restart times in reports would otherwise run up to a few ms long.
  if (setsockopt(notify_fd_, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0)
    std::fprintf(stderr, "zerodrop: setsockopt(SO_TIMESTAMPNS): %s\n", std::strerror(errno));
  start_guardian();
}

// PR_SET_PDEATHSIG covers only the processes we fork; later generations are forked by the
// server, and if the harness is SIGKILLed they would be re-parented to init and live on. The
// guardian is a shell in its own process group, immune to INT/TERM/HUP, blocked reading a pipe
// whose only write end we hold: when we die, however we die, the read returns EOF and it kills
// every process carrying this run's tag. On a normal end, once end_all() has seen every process
// end, the destructor writes "done" first: the guardian exits without its scan of every
// /proc/*/environ (over a second on a busy machine, paid by every run).
void Launcher::start_guardian() {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) {
    std::fprintf(stderr, "zerodrop: pipe2 (guardian): %s\n", std::strerror(errno));
    return;
  }
  static const char kScript[] =
      "trap '' INT TERM HUP\n"
      "while read -r x; do [ \"$x\" = done ] && exit 0; done\n"
      "for e in /proc/[0-9]*/environ; do\n"
      "  grep -qxzF -e \"$1\" \"$e\" 2>/dev/null || continue\n"
      "  q=${e#/proc/}; kill -KILL \"${q%/environ}\" 2>/dev/null\n"
      "done\n";
  std::string tag = run_tag();
  std::vector<char*> argv = {const_cast<char*>("/bin/sh"),
                             const_cast<char*>("-c"),
                             const_cast<char*>(kScript),
                             const_cast<char*>("zerodrop-guardian"),
                             tag.data(),
                             nullptr};
  char* envp[] = {const_cast<char*>("PATH=/usr/bin:/bin"), nullptr};
  pid_t g = fork();
  if (g < 0) {
    std::fprintf(stderr, "zerodrop: fork (guardian): %s\n", std::strerror(errno));
    close(p[0]);
    close(p[1]);
    return;
  }
  if (g == 0) {  // async-signal-safe calls only until exec
    setpgid(0, 0);
    dup2(p[0], 0);  // dup2 clears FD_CLOEXEC on 0; both pipe ends close at exec
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, 1);
    execve("/bin/sh", argv.data(), envp);
    _exit(127);
  }
  close(p[0]);
  guardian_pid_ = g;
  guardian_fd_ = p[1];
}

Launcher::~Launcher() {
  bool all_ended = end_all(2000);
  if (guardian_fd_ >= 0) {
    static const char kDone[] = "done\n";
    if (all_ended && write(guardian_fd_, kDone, sizeof kDone - 1) < 0)
      std::fprintf(stderr, "zerodrop: write (guardian): %s\n", std::strerror(errno));
    close(guardian_fd_);
    if (guardian_pid_ > 0) waitpid(guardian_pid_, nullptr, 0);
  }
  if (notify_fd_ >= 0) close(notify_fd_);
  if (stdout_fd_ >= 0) close(stdout_fd_);
  unlink(notify_path_.c_str());
}

namespace {
rlimit g_original_nofile{};  // before raise_fd_limit(); restored in every spawned child
}  // namespace

long raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) < 0) {
    std::fprintf(stderr, "zerodrop: getrlimit(RLIMIT_NOFILE): %s\n", std::strerror(errno));
    return -1;
  }
  if (g_original_nofile.rlim_cur == 0) g_original_nofile = r;
  if (r.rlim_cur < r.rlim_max) {
    rlimit raised = r;
    raised.rlim_cur = r.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) < 0) {
      std::fprintf(stderr, "zerodrop: setrlimit(RLIMIT_NOFILE): %s\n", std::strerror(errno));
      return static_cast<long>(r.rlim_cur);
    }
    return static_cast<long>(raised.rlim_cur);
  }
  return static_cast<long>(r.rlim_cur);
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
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view s(*e);
    if (s.rfind("LISTEN_", 0) == 0 || s.rfind("NOTIFY_SOCKET=", 0) == 0 ||
        s.rfind("ZERODROP_GENERATION=", 0) == 0 || s.rfind("ZERODROP_READY_FD=", 0) == 0 ||
        s.rfind("ZERODROP_RUN=", 0) == 0)
      continue;
    env.emplace_back(s);
  }
  env.push_back(run_tag());
  if (o.notify) env.push_back("NOTIFY_SOCKET=" + notify_path_);
  std::size_t listen_pid_index = 0;
  if (o.listen_fd >= 0) {
    env.push_back("LISTEN_FDS=1");
    env.push_back("LISTEN_FDNAMES=zerodrop");
    listen_pid_index = env.size();
    env.push_back(std::string("LISTEN_PID=") + std::string(24, ' '));
  }
  std::vector<char*> envp, argv;
  for (auto& s : env)
    envp.push_back(s.data());
  envp.push_back(nullptr);
  for (auto& s : o.argv)
    argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  char* listen_pid_slot = listen_pid_index ? env[listen_pid_index].data() + 11 : nullptr;

  int out_pipe[2] = {-1, -1};
  if (o.capture_stdout && stdout_fd_ < 0) {
    if (pipe2(out_pipe, O_CLOEXEC) < 0)
      throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }
  int err_fd = -1;
  if (!o.stderr_path.empty()) {
    err_fd = open(o.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (err_fd < 0)
      throw std::runtime_error("open(" + o.stderr_path + "): " + std::strerror(errno));
  }
  int exec_err[2];
  if (pipe2(exec_err, O_CLOEXEC) < 0)
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the harness died between fork and prctl
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s : {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGUSR1, SIGUSR2})
      signal(s, SIG_DFL);
    if (out_pipe[1] >= 0) dup2(out_pipe[1], 1);
    if (err_fd >= 0) dup2(err_fd, 2);
    if (o.listen_fd >= 0) {
      if (o.listen_fd == 3)
        fcntl(3, F_SETFD, 0);
      else
        dup2(o.listen_fd, 3);  // dup2 clears FD_CLOEXEC on the new fd
      put_uint(listen_pid_slot, getpid());
    }
    // Nothing the harness inherited reaches the server beyond fds 0-2 and the listener (as
    // systemd passes only what it names); CLOEXEC, not close, so the exec-error pipe still works.
    close_range(o.listen_fd >= 0 ? 4 : 3, ~0U, CLOSE_RANGE_CLOEXEC);
    // The server runs with the descriptor limit the harness was started with, not the one the
    // harness raised for its own load (raise_fd_limit()).
    if (g_original_nofile.rlim_cur != 0) setrlimit(RLIMIT_NOFILE, &g_original_nofile);
    execvpe(argv[0], argv.data(), envp.data());
    int e = errno;
    (void)!write(exec_err[1], &e, sizeof e);
    _exit(127);
  }
  // Both sides set the group, so a signal to -pid right after fork cannot miss it.
  setpgid(pid, pid);
  close(exec_err[1]);
  if (out_pipe[1] >= 0) close(out_pipe[1]);
  if (err_fd >= 0) close(err_fd);
  int child_errno = 0;
  ssize_t n;
  do
    n = read(exec_err[0], &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  close(exec_err[0]);
  groups_.insert(pid);
  known_.insert(pid);
  if (out_pipe[0] >= 0) {
    stdout_fd_ = out_pipe[0];
    fcntl(stdout_fd_, F_SETFL, O_NONBLOCK);
  }
  if (n > 0) {
    record("exec_failed", pid, child_errno, o.argv[0] + ": " + std::strerror(child_errno));
    throw std::runtime_error("cannot execute " + o.argv[0] + ": " + std::strerror(child_errno));
  }
  record(what, pid, 0, o.argv[0]);
  if (main_pid_ == 0 && what == "spawned") main_pid_ = pid;
  return pid;
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
  for (;;) {
    char buf[4096];
    char cbuf[CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(timespec))];
    iovec iov{buf, sizeof buf - 1};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = cbuf;
    m.msg_controllen = sizeof cbuf;
    ssize_t n = recvmsg(notify_fd_, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        std::fprintf(stderr, "zerodrop: recvmsg(notify): %s\n", std::strerror(errno));
      return;
    }
    pid_t sender = 0;
    std::int64_t at = clock_.now_ns();
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
        ucred u;
        std::memcpy(&u, CMSG_DATA(c), sizeof u);
        sender = u.pid;
      } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        timespec arrived;  // CLOCK_REALTIME; the run clock is monotonic: convert by the age
        std::memcpy(&arrived, CMSG_DATA(c), sizeof arrived);
        timespec now{};
        clock_gettime(CLOCK_REALTIME, &now);
        std::int64_t age =
            (now.tv_sec - arrived.tv_sec) * 1'000'000'000LL + (now.tv_nsec - arrived.tv_nsec);
        if (age > 0 && age < at)
          at -= age;  // a clock step backwards gives age < 0: keep the read time
      }
    }
    std::string text(buf, static_cast<std::size_t>(n));
    std::size_t pos = 0;
    while (pos < text.size()) {
      auto nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      std::string line = text.substr(pos, nl - pos);
      pos = nl + 1;
      if (sender > 0) known_.insert(sender);
      if (line == "READY=1") {
        record_at(at, "ready", sender, 0, "notify");
        if (sender == main_pid_) ready_ = true;
      } else if (line.rfind("MAINPID=", 0) == 0) {
        pid_t np = static_cast<pid_t>(std::atol(line.c_str() + 8));
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
        record_at(at, "status", sender, 0, line.substr(7));
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
    // "listening on 127.0.0.1:PORT pid=PID generation=N"
    auto at = line.find("listening on ");
    if (at == std::string::npos) continue;
    auto colon = line.find(':', at);
    long port = colon == std::string::npos ? 0 : std::atol(line.c_str() + colon + 1);
    auto pp = line.find("pid=");
    long pid = pp == std::string::npos ? 0 : std::atol(line.c_str() + pp + 4);
    record("listening", pid, port, line);
    if (port > 0 && port_ == 0) port_ = static_cast<std::uint16_t>(port);
    if (pid > 0) known_.insert(static_cast<pid_t>(pid));
  }
}

void Launcher::reap() {
  for (;;) {
    int st = 0;
    pid_t p = waitpid(-1, &st, WNOHANG);
    if (p <= 0) {
      if (p < 0 && errno != ECHILD && errno != EINTR)
        std::fprintf(stderr, "zerodrop: waitpid: %s\n", std::strerror(errno));
      return;
    }
    if (p == guardian_pid_) {  // died early (it cannot be signalled by a group kill of ours)
      guardian_pid_ = -1;
      continue;
    }
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? -WTERMSIG(st) : 0;
    exits_[p] = code;
    known_.insert(p);
    record("exited", p, code,
           WIFSIGNALED(st) ? std::string("signal ") + strsignal(WTERMSIG(st))
                           : "code " + std::to_string(code));
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

namespace {
long parent_of(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  std::getline(f, s);
  auto rp = s.rfind(')');
  if (rp == std::string::npos || rp + 4 >= s.size()) return 0;
  return std::atol(s.c_str() + rp + 4);
}

bool environ_has(long pid, const std::string& entry) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  for (std::string e; std::getline(f, e, '\0');)
    if (e == entry) return true;
  return false;
}
}  // namespace

std::vector<pid_t> tagged_processes_outside(const std::string& tag_entry, pid_t root) {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    long pid = std::atol(e->d_name);
    if (pid == root || !environ_has(pid, tag_entry)) continue;
    bool inside = false;
    for (long p = parent_of(pid), hops = 0; p > 1 && hops < 4096; p = parent_of(p), ++hops)
      if (p == root) {
        inside = true;
        break;
      }
    if (!inside) out.push_back(static_cast<pid_t>(pid));
  }
  closedir(d);
  return out;
}

int fd_count(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(path.c_str());
  if (!d) return -1;
  int n = 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
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

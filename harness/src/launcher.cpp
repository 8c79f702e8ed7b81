// See zerodrop/launcher.hpp. Spawning, the notify socket, the stdout parser, reaping, the guardian
// and /proc are the process layer's (zerodrop/proc/); this file keeps the run's bookkeeping:
// which pids are known, which exited how, which is the main one, which generations are alive,
// and the events they make (written to the Recorder).
#include "zerodrop/launcher.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "zerodrop/proc/reap.hpp"
#include "zerodrop/proc/server_lines.hpp"

namespace zerodrop {

namespace {
std::atomic<int> g_interrupt{0};

// SIGINT/SIGTERM of the harness must wake a wait_until() in whichever thread the signal lands:
// the handler writes a byte to this pipe (async-signal-safe), the epoll watches its read end.
int* interrupt_pipe() {
  static int p[2] = {-1, -1};
  static bool made = [] {
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
      std::fprintf(stderr, "zerodrop: pipe2 (interrupt): %s\n", std::strerror(errno));
    return true;
  }();
  (void)made;
  return p;
}

void on_interrupt(int sig) {
  g_interrupt.store(sig);
  const int saved = errno;
  if (interrupt_pipe()[1] >= 0) (void)!write(interrupt_pipe()[1], "i", 1);
  errno = saved;
}

// epoll tags: what woke wait_until(); a pidfd's tag is its pid.
constexpr std::uint64_t kTagNotify = 1ULL << 40;
constexpr std::uint64_t kTagStdout = kTagNotify + 1;
constexpr std::uint64_t kTagTimer = kTagNotify + 2;
constexpr std::uint64_t kTagWake = kTagNotify + 3;
constexpr std::uint64_t kTagInterrupt = kTagNotify + 4;
constexpr std::uint64_t kTagStderr = kTagNotify + 5;
constexpr std::uint64_t kTagPidFile = kTagNotify + 6;

// The scenario's names of the sources (scenario.cpp), in enum order, for events' details.
const char* name_of(Ready r) {
  static constexpr const char* kNames[] = {"notify", "stdout", "pid_file", "http", "log"};
  return kNames[static_cast<int>(r)];
}
const char* name_of(MainPid m) {
  static constexpr const char* kNames[] = {"notify", "pid_file", "log", "first"};
  return kNames[static_cast<int>(m)];
}

}  // namespace

void Launcher::install_interrupt_handlers() {
  interrupt_pipe();  // made before a signal can arrive
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
    : own_recorder_(std::make_unique<Recorder>(clock)),
      recorder_(own_recorder_.get()),
      workdir_(std::move(workdir)) {
  init();
}

Launcher::Launcher(Recorder& recorder, std::string workdir)
    : recorder_(&recorder), workdir_(std::move(workdir)) {
  init();
}

void Launcher::init() {
  proc::become_subreaper();
  notify_path_ = workdir_ + "/notify.sock";
  try {
    notify_ = std::make_unique<proc::NotifySocket>(notify_path_);
  } catch (const std::system_error& e) {
    throw std::runtime_error(e.what());
  }
  guardian_ = std::make_unique<proc::Guardian>(run_tag());
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0)
    throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (timer_fd_ < 0)
    throw std::runtime_error(std::string("timerfd_create: ") + std::strerror(errno));
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  watch(notify_->fd(), kTagNotify, EPOLLIN);
  watch(timer_fd_, kTagTimer, EPOLLIN);
  watch(wake_fd_, kTagWake, EPOLLIN);
  if (interrupt_pipe()[0] >= 0) watch(interrupt_pipe()[0], kTagInterrupt, EPOLLIN);
}

Launcher::~Launcher() {
  const bool all_ended = end_all(2000);
  if (all_ended) guardian_->dismiss();
  guardian_.reset();
  stdout_.reset();
  stderr_.reset();
  pid_watch_.reset();
  for (auto& [pid, fd] : pidfds_)
    close(fd);
  for (int fd : {epoll_fd_, timer_fd_, wake_fd_})
    if (fd >= 0) close(fd);
}

void Launcher::watch(int fd, std::uint64_t tag, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0)
    std::fprintf(stderr, "zerodrop: epoll_ctl(ADD, %d): %s\n", fd, std::strerror(errno));
}

void Launcher::know(pid_t pid) {
  if (pid <= 0 || !known_.insert(pid).second) return;
  if (exits_.count(pid) || vanished_.count(pid)) return;
  const int fd = proc::pidfd_open(pid);
  if (fd < 0) {
    exiting_.insert(pid);  // gone already: the next poll() finds out how
    return;
  }
  pidfds_[pid] = fd;
  watch(fd, static_cast<std::uint64_t>(pid), EPOLLIN | EPOLLONESHOT);
}

void Launcher::forget_pidfd(pid_t pid) {
  exiting_.erase(pid);
  auto it = pidfds_.find(pid);
  if (it == pidfds_.end()) return;
  close(it->second);  // also leaves the epoll set
  pidfds_.erase(it);
}

void Launcher::wake() {
  const std::uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof one) < 0 && errno != EAGAIN)
    std::fprintf(stderr, "zerodrop: write (eventfd): %s\n", std::strerror(errno));
}

void Launcher::wait_until(std::int64_t deadline_ns) {
  std::int64_t left = deadline_ns - now_ns();
  // A pidfd fired for a process that is not ours to reap: its parent (an older generation)
  // reaps it any moment, and only kill(pid, 0) tells when. Look again soon, not at the deadline.
  if (!exiting_.empty()) left = std::min<std::int64_t>(left, ms_to_ns(1));
  if (left > 0 && !interrupted()) {
    itimerspec t{};
    t.it_value.tv_sec = static_cast<time_t>(left / 1'000'000'000);
    t.it_value.tv_nsec = static_cast<long>(left % 1'000'000'000);
    if (timerfd_settime(timer_fd_, 0, &t, nullptr) < 0)
      std::fprintf(stderr, "zerodrop: timerfd_settime: %s\n", std::strerror(errno));
    epoll_event evs[16];
    int n;
    while ((n = epoll_wait(epoll_fd_, evs, 16, -1)) < 0 && errno == EINTR && !interrupted()) {
    }
    if (n < 0 && errno != EINTR)
      std::fprintf(stderr, "zerodrop: epoll_wait: %s\n", std::strerror(errno));
    for (int i = 0; i < n; ++i) {
      const std::uint64_t tag = evs[i].data.u64;
      char drain[64];
      if (tag == kTagTimer || tag == kTagWake || tag == kTagInterrupt) {
        const int fd = tag == kTagTimer  ? timer_fd_
                       : tag == kTagWake ? wake_fd_
                                         : interrupt_pipe()[0];
        (void)!read(fd, drain, sizeof drain);
      } else if (tag < kTagNotify) {
        exiting_.insert(static_cast<pid_t>(tag));
      }
    }
  }
  poll();
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

void Launcher::add_generation(pid_t pid) {
  if (pid > 0) tree_.add_root(pid);  // also a settle restart's: its workers are the probe's
  if (pid <= 0 || gens_frozen_ || std::find(gens_.begin(), gens_.end(), pid) != gens_.end()) return;
  gens_.push_back(pid);
  last_gen_ready_ = false;
}

void Launcher::note_ready(pid_t pid) {
  if (!gens_frozen_ && !gens_.empty() && gens_.back() == pid) last_gen_ready_ = true;
}

pid_t Launcher::generation_of(pid_t pid) const {
  for (int hops = 0; pid > 0 && hops < 4096; ++hops, pid = tree_.parent(pid))
    if (std::find(gens_.begin(), gens_.end(), pid) != gens_.end()) return pid;
  return 0;
}

std::set<pid_t> Launcher::tree_of(pid_t root) const {
  std::set<pid_t> out;
  for (pid_t p : live_pids())
    for (pid_t a = p, hops = 0; a > 0 && hops < 4096; a = tree_.parent(a), ++hops)
      if (a == root) {
        out.insert(p);
        break;
      }
  return out;
}

void Launcher::discover() {
  std::vector<proc::TreeProcess> found = tree_.scan();
  if (found.empty()) return;
  // Start times are CLOCK_BOOTTIME; the run clock is monotonic: map them by the offset now.
  timespec boot{};
  if (clock_gettime(CLOCK_BOOTTIME, &boot) < 0) {
    std::fprintf(stderr, "zerodrop: clock_gettime(CLOCK_BOOTTIME): %s\n", std::strerror(errno));
    return;
  }
  const std::int64_t now = now_ns();
  const std::int64_t offset = now - (boot.tv_sec * 1'000'000'000LL + boot.tv_nsec);
  for (const auto& p : found) {
    know(p.pid);
    record(EventKind::kProcess, p.pid, p.ppid,
           nlohmann::json{{"start_ns", p.start_boottime_ns + offset},
                          {"resolution_ns", p.resolution_ns},
                          {"comm", p.comm}}
               .dump());
  }
}

std::set<pid_t> Launcher::live_generations() const {
  std::set<pid_t> live;
  for (pid_t g : gens_)
    if (!exited(g)) live.insert(g);
  return live;
}

pid_t Launcher::spawn(const SpawnOptions& o, EventKind kind) {
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
  spec.cwd = o.cwd;
  // Later generations inherit the pipes of the first: one each for the run.
  spec.pipe_stdout = o.capture_stdout && !(stdout_ && stdout_->open());
  spec.pipe_stderr = o.capture_stderr && !(stderr_ && stderr_->open());
  int err_fd = -1;
  if (!o.stderr_path.empty()) {
    err_fd = open(o.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (err_fd < 0)
      throw std::runtime_error("open(" + o.stderr_path + "): " + std::strerror(errno));
    if (!spec.pipe_stderr) spec.stderr_fd = err_fd;
    if (o.stdout_to_log && !spec.pipe_stdout) spec.stdout_fd = err_fd;
  }
  proc::Child c;
  try {
    c = proc::spawn(spec);
  } catch (const proc::SpawnError& e) {
    if (err_fd >= 0) close(err_fd);
    if (e.pid <= 0) throw std::runtime_error(e.what());
    know(e.pid);
    groups_.insert(e.pid);
    const int child_errno = e.code().value();
    record(EventKind::kExecFailed, e.pid, child_errno,
           o.argv[0] + ": " + std::strerror(child_errno));
    throw std::runtime_error("cannot execute " + o.argv[0] + ": " + std::strerror(child_errno));
  }
  groups_.insert(c.pid);
  know(c.pid);
  if (c.stdout_fd >= 0) {
    stdout_ = std::make_unique<proc::LinePipe>(c.stdout_fd, -1, "server stdout");
    watch(stdout_->fd(), kTagStdout, EPOLLIN);
  }
  if (c.stderr_fd >= 0) {
    // The server's log file still gets every byte: the pipe writes it through (and owns it).
    stderr_ = std::make_unique<proc::LinePipe>(c.stderr_fd, err_fd, "server stderr");
    err_fd = -1;
    stderr_->grow(1 << 20);
    watch(stderr_->fd(), kTagStderr, EPOLLIN);
  }
  if (err_fd >= 0) close(err_fd);
  record(kind, c.pid, 0, o.argv[0]);
  if (kind == EventKind::kSpawned) {
    if (main_pid_ == 0) main_pid_ = c.pid;
    if (first_ == 0) first_ = c.pid;
    add_generation(c.pid);
  }
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
    std::int64_t at = now_ns();
    const std::int64_t age = proc::realtime_ns() - d->arrived_ns;
    if (age > 0 && age < at) at -= age;
    const pid_t sender = d->sender;
    Recorder& r = *recorder_;
    for (std::string_view line : d->lines()) {
      know(sender);
      // Only the sources the scenario names count: a server that also speaks sd_notify while
      // followed by its pid file is heard, not believed.
      const bool notify_ready = follow_.ready == Ready::kNotify || follow_.ready == Ready::kStdout;
      const bool notify_main = follow_.main_pid == MainPid::kNotify;
      if ((line == "READY=1" && !notify_ready) ||
          (line.rfind("MAINPID=", 0) == 0 && !notify_main)) {
        r.record_at(at, EventKind::kStatus, sender, 0,
                    std::string(line) + " (not followed: ready " + name_of(follow_.ready) +
                        ", main_pid " + name_of(follow_.main_pid) + ")");
      } else if (line == "READY=1") {
        r.record_at(at, EventKind::kReady, sender, 0, "notify");
        if (sender == main_pid_) ready_ = true;
        announced_ready_.insert(sender);
        note_ready(sender);
      } else if (line.rfind("MAINPID=", 0) == 0) {
        pid_t np = static_cast<pid_t>(std::atol(std::string(line.substr(8)).c_str()));
        know(np);
        if (np != main_pid_) {
          r.record_at(at, EventKind::kMainpid, np, main_pid_, "notify");
          main_pid_ = np;
          add_generation(np);
        }
      } else if (line == "RELOADING=1") {
        r.record_at(at, EventKind::kReloading, sender, 0, "notify");
      } else if (line == "STOPPING=1") {
        r.record_at(at, EventKind::kStopping, sender, 0, "notify");
      } else if (line.rfind("STATUS=", 0) == 0) {
        r.record_at(at, EventKind::kStatus, sender, 0, std::string(line.substr(7)));
      }
    }
  }
}

void Launcher::read_stdout() {
  if (!stdout_ || !stdout_->open()) return;
  for (const std::string& line : stdout_->read()) {
    match_log(line, "stdout");
    const auto l = proc::parse_listening_line(line);
    if (!l) continue;
    const long port = l->port, pid = l->pid;
    know(static_cast<pid_t>(pid));
    // The line is a source of generations only where it always was (ready: stdout, or beside
    // MAINPID=): a server followed by its pid file or its log is not second-guessed by it.
    if (follow_.ready != Ready::kStdout && follow_.main_pid != MainPid::kNotify) {
      record(EventKind::kStatus, pid, port, "stdout (not followed): " + line);
      continue;
    }
    record(EventKind::kListening, pid, port, line);
    if (port > 0 && port_ == 0) port_ = static_cast<std::uint16_t>(port);
    // A server without the notify protocol: a new pid listening once the last generation was
    // ready is a new generation.
    if (pid > 0 && last_gen_ready_ && std::find(gens_.begin(), gens_.end(), pid) == gens_.end())
      add_generation(static_cast<pid_t>(pid));
    note_ready(static_cast<pid_t>(pid));
  }
}

void Launcher::read_stderr() {
  if (!stderr_ || !stderr_->open()) return;
  for (const std::string& line : stderr_->read())
    match_log(line, "stderr");
}

void Launcher::match_log(const std::string& line, const char* stream) {
  if (!log_match_) return;
  const auto m = log_match_->match(line);
  if (!m) return;
  announced(Ready::kLog, MainPid::kLog, m->pid, std::string("log (") + stream + "): " + line);
}

void Launcher::read_pid_file() {
  if (!pid_watch_) return;
  if (const auto pid = pid_watch_->changed())
    announced(Ready::kPidFile, MainPid::kPidFile, *pid, "pid_file: " + pid_watch_->path());
}

void Launcher::announced(Ready ready_src, MainPid main_src, pid_t pid, const std::string& detail) {
  if (pid > 0) {
    // A pid file left over, or a log line of a process already gone, announces nothing.
    if (!proc::process_exists(pid)) return;
    know(pid);
  }
  if (follow_.main_pid == main_src && pid > 0 && pid != main_pid_) {
    // Named before anything was ready, below the first process: its daemon (a daemonizing
    // start), the first generation once the first process has exited 0.
    const bool daemon = daemon_ == 0 && first_ > 0 && main_pid_ == first_ && gens_.size() == 1 &&
                        announced_ready_.empty() && descends_from_first(pid);
    record(EventKind::kMainpid, pid, main_pid_, name_of(ready_src));
    main_pid_ = pid;
    add_generation(pid);
    if (daemon) {
      daemon_ = pid;
      note_daemonized();
    }
  }
  // Readiness is the current main pid's, whoever the source named: with main_pid: first, a
  // pid file written by a helper still says that the server is up.
  if (follow_.ready == ready_src && announced_ready_.insert(main_pid_).second) {
    record(EventKind::kReady, main_pid_, pid, detail);
    ready_ = true;
    note_ready(main_pid_);
  }
}

bool Launcher::spawned_by_us(pid_t child) const {
  return groups_.count(child) > 0 || (guardian_ && child == guardian_->pid());
}

bool Launcher::descends_from_first(pid_t pid) const {
  const pid_t harness = getpid();
  pid_t below = pid;
  for (pid_t p = proc::parent_of(pid), hops = 0; p > 1 && hops < 4096;
       below = p, p = proc::parent_of(p), ++hops) {
    if (p == first_) return true;
    // The first process exited (or an intermediate one did, a double fork): the kernel gave its
    // orphans to the subreaper. A child of ours we never spawned is one of those.
    if (p == harness) return !spawned_by_us(below);
  }
  return false;
}

bool Launcher::left_behind() const {
  for (pid_t p : proc::live_children_of(getpid()))
    if (!spawned_by_us(p)) return true;
  return false;
}

void Launcher::note_daemonized() {
  if (daemonized_ || daemon_ <= 0) return;
  const std::optional<int> code = exit_of(first_);
  // Exited non-zero: a failed start (run/start.cpp says so), and the first stays a generation.
  if (!code || *code != 0) return;
  // Only the hand-over itself: a generation announced after the daemon is a restart of its own.
  if (gens_.size() != 2 || gens_[0] != first_ || gens_[1] != daemon_) return;
  daemonized_ = true;
  gens_.erase(gens_.begin());
  record(EventKind::kDaemonized, daemon_, first_,
         std::string("the first process exited 0; its daemon, named by ") +
             name_of(follow_.main_pid) + ", is the first generation");
}

void Launcher::ready_from_probe(const std::string& detail) {
  if (!announced_ready_.insert(main_pid_).second) return;
  record(EventKind::kReady, main_pid_, 0, detail);
  ready_ = true;
  note_ready(main_pid_);
}

void Launcher::follow(const Follow& f) {
  follow_ = f;
  try {
    if (f.ready == Ready::kPidFile || f.main_pid == MainPid::kPidFile) {
      pid_watch_ = std::make_unique<proc::PidFileWatch>(f.pid_file);
      watch(pid_watch_->fd(), kTagPidFile, EPOLLIN);
    }
    if (f.ready == Ready::kLog) log_match_ = std::make_unique<proc::LogMatch>(f.log_regex);
  } catch (const std::system_error& e) {
    throw std::runtime_error(std::string("pid file ") + f.pid_file + ": " + e.what());
  } catch (const std::regex_error& e) {
    throw std::runtime_error("log regex \"" + f.log_regex + "\": " + e.what());
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
    forget_pidfd(r->pid);
    record(EventKind::kExited, r->pid, code, proc::describe_status(r->status));
    if (r->pid == first_) note_daemonized();
  }
}

void Launcher::poll() {
  read_notify();
  read_stdout();
  read_stderr();
  read_pid_file();
  discover();  // before reaping: a worker that just exited is still in /proc as a zombie
  reap();
  // A generation whose parent (an older generation) is still alive is reaped by that parent,
  // not by us. Our own exited children stay zombies until reap() above, so kill(pid, 0)
  // failing with ESRCH can only mean someone else reaped it: it exited, code unobservable.
  for (auto p : known_) {
    if (exits_.count(p) || vanished_.count(p)) continue;
    if (kill(p, 0) < 0 && errno == ESRCH) {
      vanished_.insert(p);
      forget_pidfd(p);
      record(EventKind::kVanished, p, 0,
             "exited and reaped by its parent; exit code not observable here");
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
  // A process group has no descriptor to await: while one still has members, look again every
  // 5 ms (exits and datagrams wake the wait at once).
  auto await_none = [&](int ms) {
    const std::int64_t deadline = now_ns() + ms_to_ns(ms);
    while (any_live() && now_ns() < deadline)
      wait_until(std::min(deadline, now_ns() + ms_to_ns(5)));
  };
  // Anything of ours that escaped the tree (and so every process group we know) ends now.
  for (pid_t p : tagged_processes_outside(run_tag(), getpid())) {
    kill(p, SIGKILL);
    record(EventKind::kOrphanKilled, p, 0, "outside the harness's tree");
  }
  if (!any_live()) return true;
  for (auto g : groups_)
    kill(-g, SIGTERM);
  for (auto p : live_pids())
    kill(p, SIGTERM);
  await_none(grace_ms);
  if (any_live()) {
    for (auto g : groups_)
      kill(-g, SIGKILL);
    for (auto p : live_pids())
      kill(p, SIGKILL);
    record(EventKind::kTeardownKill, 0, 0, "SIGKILL after grace");
    await_none(2000);
  }
  return !any_live();
}

int bind_loopback_listener(std::uint16_t& port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  // Each failure closes the socket and names its syscall: a port we could not read back would
  // send the load to port 0, a run that proves nothing.
  auto fail = [fd](const char* what) {
    const int e = errno;
    close(fd);
    return std::runtime_error(std::string(what) + ": " + std::strerror(e));
  };
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
    throw fail("setsockopt(SO_REUSEADDR)");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) throw fail("bind 127.0.0.1:0");
  if (listen(fd, 4096) < 0) throw fail("listen");
  socklen_t len = sizeof a;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) < 0) throw fail("getsockname");
  port = ntohs(a.sin_port);
  return fd;
}

}  // namespace zerodrop

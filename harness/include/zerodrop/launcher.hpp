// launcher — starts the server under test and every process of a run, watches them, ends them.
//
// Contract: a Launcher makes the harness a child subreaper (PR_SET_CHILD_SUBREAPER) so every
// generation of the server stays its descendant; it spawns argv through the process layer
// (proc/spawn.hpp: Boost.Process, never a shell, a new process group, PR_SET_PDEATHSIG(SIGKILL));
// optionally hands over a listening socket as fd 3 with LISTEN_FDS=1/LISTEN_PID=<child pid>, and
// provides a NOTIFY_SOCKET whose READY=1 / MAINPID= / RELOADING=1 / STOPPING=1 / STATUS=
// datagrams (sender pid from SO_PASSCRED, time of arrival from SO_TIMESTAMPNS) become lifecycle
// events in the run's Recorder (recorder.hpp), as do the server's `listening on` stdout lines and
// every exit reaped (code, or signal as a negative number); a generation reaped by its own parent
// (an older generation) becomes a `vanished` event: it exited, its code unobservable. It keeps
// which generations are alive (live_generations()). poll() does the watching without blocking;
// wait_until() blocks on all of it at once (one epoll: notify socket, stdout pipe, a pidfd per
// known process, the interrupt pipe, an eventfd for wake(), a timerfd for the deadline) and then
// polls; both from one thread. end_all() — also run by the destructor, so an exception cannot
// leave processes behind — sends SIGTERM to every process group and known pid, waits, then
// SIGKILLs and reaps; when it saw them all end, the destructor dismisses the guardian. Every
// spawned process inherits ZERODROP_RUN=<workdir>; a guardian process (proc/guardian.hpp) kills
// every process carrying that tag when the harness dies without running its destructor, since
// PR_SET_PDEATHSIG reaches only the generation the harness forked itself.
// install_interrupt_handlers() makes SIGINT/SIGTERM of the harness set a flag (interrupted()),
// and wake any wait_until(), that the run turns into end_all().
//
// Readiness and the main pid come from the sources follow() names (scenario.hpp's Ready and
// MainPid), before the first spawn: NOTIFY_SOCKET (READY=1 / MAINPID=, recorded as such only
// when they are the sources followed, else as `status` events saying so), the stdout `listening
// on` line (a source of generations, as before, only with ready: stdout or main_pid: notify;
// else a `status` event), the pid file (proc/pid_file_watch.hpp: inotify on its directory, in
// the same epoll) naming a live pid, a line of the server's stdout or stderr matching a regex
// (proc/log_match.hpp; stderr then passes through the harness on its way to its file), or the
// run's http probe (ready_from_probe()). Each announcement of a new live pid by the main-pid
// source is a `mainpid` event (the history's generations, faults' target); the first
// announcement by the ready source for the current main pid is its `ready` event.
//
// A daemonizing start (nginx's `daemon on`, gunicorn -D): the process spawned forks the server
// and exits 0, and the pid file (or log line) names that descendant. When the main-pid source
// (pid_file or log) names a new pid before anything was ready, and that pid descends from the
// first process — its parent chain in /proc reaches it, or, the first having exited, reaches
// the harness through a process the harness never spawned (an orphan the subreaper inherited)
// — the named pid is the daemon: recorded as a `mainpid` event as any announcement, and once
// the first process has exited 0 (before or after the naming) as a `daemonized` event (pid: the
// daemon; other: the first process) that removes the first process from the generations: the
// daemon is the first generation, not a restart (checks/timeline.cpp does the same from the
// history). handing_over() says a daemon is named and the first process has not exited yet
// (run/start.cpp awaits it); a first process that exits non-zero stays a generation of its own
// and the start reports it. left_behind() says whether a first process that exited 0 before
// naming anyone left a process behind (one re-parented to the harness that it never spawned):
// its daemon may still name itself; when none is left, nothing will.
//
// Process trees: every poll() — so on every wake of wait_until(), which is also the run's 10 ms
// sampling tick, and right before settle and teardown, which poll first — looks for new
// descendants of the server's generations (proc/tree.hpp) and records each once, when first
// seen, as a `process` event (pid; other: its parent then; detail: its start time on the run
// clock). Prefork workers answering requests are then attributed to their generation by the
// checks (a worker orphaned later has lost its ancestry in /proc, not in the history). Each one
// is watched like any process of the run (its exit is `vanished` or `exited`). Why /proc and not
// the proc connector (NETLINK_CONNECTOR, CN_IDX_PROC): the connector streams every fork of the
// whole machine (a busy CI box with compilers), needs CAP_NET_ADMIN, and drops events when its
// socket buffer overflows, so a /proc scan is needed as the fallback anyway; the scan alone is
// cheap (one getdents() of /proc and one read per process new on the machine) and its only blind
// spot — a process forked by a parent that exits before the next scan — is a short window.
// /proc/PID/task/TID/children is not used: kernels without CONFIG_PROC_CHILDREN (this CI's) lack
// it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "zerodrop/clock.hpp"
#include "zerodrop/event_kind.hpp"
#include "zerodrop/history.hpp"
#include "zerodrop/proc/guardian.hpp"
#include "zerodrop/proc/line_pipe.hpp"
#include "zerodrop/proc/log_match.hpp"
#include "zerodrop/proc/notify_socket.hpp"
#include "zerodrop/proc/pid_file_watch.hpp"
#include "zerodrop/proc/procfs.hpp"
#include "zerodrop/proc/spawn.hpp"
#include "zerodrop/proc/tree.hpp"
#include "zerodrop/recorder.hpp"
#include "zerodrop/scenario.hpp"

namespace zerodrop {

struct SpawnOptions {
  std::vector<std::string> argv;
  int listen_fd = -1;            // handed over as fd 3 when >= 0
  bool notify = false;           // set NOTIFY_SOCKET
  std::string stderr_path;       // server's stderr goes there ("" = inherit)
  bool capture_stdout = true;    // read `listening on` lines
  bool capture_stderr = false;   // read its lines too (on their way to stderr_path)
  std::vector<std::string> env;  // extra "NAME=value" entries
  std::string cwd;               // "" = the harness's own
  bool stdout_to_log = false;    // with capture_stdout false: stdout goes to stderr_path too
};

// The sources a launcher follows for readiness and the main pid (see the contract above).
struct Follow {
  Ready ready = Ready::kNotify;
  MainPid main_pid = MainPid::kNotify;
  std::string pid_file;   // watched when ready or main_pid is kPidFile
  std::string log_regex;  // matched when ready is kLog (main_pid kLog: its first group)
};

class Launcher {
 public:
  // Events go to `recorder` (which must outlive the launcher).
  Launcher(Recorder& recorder, std::string workdir);
  // Events are kept by a Recorder of the launcher's own (tests, benchmarks).
  Launcher(RunClock clock, std::string workdir);
  ~Launcher();
  Launcher(const Launcher&) = delete;
  Launcher& operator=(const Launcher&) = delete;

  // Returns the pid, or throws std::runtime_error when fork/exec fails (the exec error included).
  // `kind`: spawned (the server), command (a fault's) or sidecar (a scenario's helper).
  pid_t spawn(const SpawnOptions& o, EventKind kind = EventKind::kSpawned);
  // Before the first spawn. Throws std::runtime_error naming the syscall (a pid file whose
  // directory does not exist) or the regex.
  void follow(const Follow& f);
  // The run's own probe (ready: http) found the server answering: the main pid is ready.
  void ready_from_probe(const std::string& detail);
  void poll();
  // Blocks until something the launcher watches happens — a notify datagram, a stdout line, a
  // process of the run exiting (its pidfd), SIGINT/SIGTERM of the harness, a wake() — or the run
  // clock reaches deadline_ns (a timerfd), then poll()s: one epoll, no sleeping.
  void wait_until(std::int64_t deadline_ns);
  // Thread-safe (an eventfd): makes wait_until() return, for news it cannot see (the load's).
  void wake();
  // True when every process of the run has ended (none left for the guardian to find).
  bool end_all(int grace_ms);
  bool signal_pid(pid_t pid, int sig);

  pid_t main_pid() const { return main_pid_; }
  bool ready() const { return ready_; }
  // True when the main pid source names each new generation (notify, pid_file, log): a successor
  // then says when it is ready, and nobody needs to knock before it does.
  bool announces_successors() const { return follow_.main_pid != MainPid::kFirst; }
  // A daemon is named by the main-pid source and the first process has not exited yet (see
  // "A daemonizing start" above); daemon() is the pid named (0: none).
  bool handing_over() const { return daemon_ > 0 && !exited(first_); }
  pid_t daemon() const { return daemon_; }
  // A process the harness never spawned is its child now: an orphan of the run's processes, so
  // the daemon of a first process that exited may still name itself. Reads /proc (milliseconds).
  bool left_behind() const;
  // The pids the ready source has announced ready so far (notify: READY=1's senders).
  const std::set<pid_t>& announced_ready() const { return announced_ready_; }
  std::uint16_t port_from_stdout() const { return port_; }
  bool exited(pid_t pid) const { return exits_.count(pid) > 0 || vanished_.count(pid) > 0; }
  std::optional<int> exit_of(pid_t pid) const;
  std::set<pid_t> live_pids() const;
  // The server's generations alive now, as the checks' Timeline will count them from the
  // history (checks/timeline.cpp): the first process spawned, each MAINPID=, and — for a server
  // without the notify protocol — a new pid listening once the last generation was ready; none
  // added after freeze_generations() (the settle restart's are its probe's, not the run's).
  // Answered from the launcher's own bookkeeping: no Timeline is built mid-run.
  std::set<pid_t> live_generations() const;
  void freeze_generations() { gens_frozen_ = true; }
  // The generation (main pid) `pid` belongs to: itself if it is one, else its nearest ancestor
  // that is, by the parents recorded when each process was first seen; 0 when none is.
  pid_t generation_of(pid_t pid) const;
  // `root` and every live process of the run found below it (the recorded tree).
  std::set<pid_t> tree_of(pid_t root) const;
  std::vector<LifecycleEvent> events() const { return recorder_->events(); }
  Recorder& recorder() { return *recorder_; }
  const std::string& notify_path() const { return notify_path_; }
  std::int64_t now_ns() const { return recorder_->now_ns(); }
  // The environment entry every process of this run inherits (ZERODROP_RUN=<workdir>): how a
  // process that left the harness's tree is still recognised as ours.
  std::string run_tag() const { return "ZERODROP_RUN=" + workdir_; }

  static void install_interrupt_handlers();
  static bool interrupted();

 private:
  void read_notify();
  void read_stdout();
  void read_stderr();
  void read_pid_file();
  void match_log(const std::string& line, const char* stream);
  // A pid (0: none named) announced by a source other than NOTIFY_SOCKET.
  void announced(Ready ready_src, MainPid main_src, pid_t pid, const std::string& detail);
  void reap();
  void record(EventKind k, long pid, long other, const std::string& detail) {
    recorder_->record(k, pid, other, detail);
  }
  void init();
  void know(pid_t pid);  // a process of the run: watched by a pidfd until it is gone
  void forget_pidfd(pid_t pid);
  void add_generation(pid_t pid);
  // A child of the harness it started itself (a process group leader it spawned, the guardian);
  // any other child is an orphan the subreaper inherited.
  bool spawned_by_us(pid_t child) const;
  bool descends_from_first(pid_t pid) const;  // the parent chain now (see "A daemonizing start")
  void note_daemonized();                     // the daemon named and the first exited 0: record
  void discover();                            // new descendants of the server: `process` events
  void note_ready(pid_t pid);
  void watch(int fd, std::uint64_t tag, std::uint32_t events);

  std::unique_ptr<Recorder> own_recorder_;
  Recorder* recorder_;
  std::string workdir_, notify_path_;
  std::unique_ptr<proc::NotifySocket> notify_;
  std::unique_ptr<proc::Guardian> guardian_;  // kills the run's processes if the harness dies
  Follow follow_;
  std::unique_ptr<proc::LinePipe> stdout_, stderr_;
  std::unique_ptr<proc::PidFileWatch> pid_watch_;
  std::unique_ptr<proc::LogMatch> log_match_;
  std::set<pid_t> announced_ready_;  // pids whose `ready` the ready source has given
  std::set<pid_t> groups_, known_, vanished_;
  std::map<pid_t, int> exits_;
  pid_t main_pid_ = 0;
  pid_t first_ = 0;   // the server's first process (spawned)
  pid_t daemon_ = 0;  // its descendant named before anything was ready (a daemonizing start)
  bool daemonized_ = false;
  bool ready_ = false;
  std::uint16_t port_ = 0;
  std::vector<pid_t> gens_;  // in the order they took over
  proc::ProcessTree tree_;
  bool last_gen_ready_ = false, gens_frozen_ = false;
  // wait_until(): one epoll over the notify socket, the stdout pipe, a pidfd per known process
  // (one-shot: a zombie of another parent stays readable until that parent reaps it), the
  // interrupt pipe, an eventfd and a timerfd.
  int epoll_fd_ = -1, timer_fd_ = -1, wake_fd_ = -1;
  std::map<pid_t, int> pidfds_;
  std::set<pid_t> exiting_;  // pidfd fired, not yet seen reaped or vanished
};

// The process layer's /proc and limit helpers, under the names the run has always used.
using proc::fd_count;
using proc::raise_fd_limit;
using proc::tagged_processes_outside;
// A listening TCP socket on 127.0.0.1:0; returns fd and sets port.
int bind_loopback_listener(std::uint16_t& port);

}  // namespace zerodrop

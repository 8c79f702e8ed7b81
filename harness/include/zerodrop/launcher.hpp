// launcher — starts the server under test and every process of a run, watches them, ends them.
//
// Contract: a Launcher makes the harness a child subreaper (PR_SET_CHILD_SUBREAPER) so every
// generation of the server stays its descendant; it spawns argv directly (fork + execvpe, never
// a shell) in a new process group with PR_SET_PDEATHSIG(SIGKILL); optionally hands over a
// listening socket as fd 3 with LISTEN_FDS=1/LISTEN_PID=<child pid>, and provides a
// NOTIFY_SOCKET whose READY=1 / MAINPID= / RELOADING=1 / STOPPING=1 / STATUS= datagrams (sender
// pid from SO_PASSCRED, time of arrival from SO_TIMESTAMPNS) become lifecycle events, as do the
// server's `listening on` stdout lines and every exit reaped (code, or signal as a negative
// number); a generation reaped by its own parent (an older generation) becomes a `vanished` event:
// it exited, its code unobservable. poll() does all the watching and must be called often from one
// thread. end_all() — also run by the destructor, so an exception cannot leave processes behind —
// sends SIGTERM to every process group and known pid, waits, then SIGKILLs and reaps; when it saw
// them all end, the destructor dismisses the guardian. Every spawned process inherits
// ZERODROP_RUN=<workdir>; a guardian process (its own group, immune to INT/TERM/HUP) kills every
// process carrying that tag when the harness dies without running its destructor (SIGKILL), since
// PR_SET_PDEATHSIG reaches only the generation the harness forked itself.
// install_interrupt_handlers() makes SIGINT/SIGTERM of the harness set a flag (interrupted()) that
// the run loop turns into end_all().
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "zerodrop/clock.hpp"
#include "zerodrop/history.hpp"

namespace zerodrop {

struct SpawnOptions {
  std::vector<std::string> argv;
  int listen_fd = -1;          // handed over as fd 3 when >= 0
  bool notify = false;         // set NOTIFY_SOCKET
  std::string stderr_path;     // server's stderr goes there ("" = inherit)
  bool capture_stdout = true;  // read `listening on` lines
};

class Launcher {
 public:
  Launcher(RunClock clock, std::string workdir);
  ~Launcher();
  Launcher(const Launcher&) = delete;
  Launcher& operator=(const Launcher&) = delete;

  // Returns the pid, or throws std::runtime_error when fork/exec fails (the exec error included).
  pid_t spawn(const SpawnOptions& o, const std::string& what = "spawned");
  void poll();
  // True when every process of the run has ended (none left for the guardian to find).
  bool end_all(int grace_ms);
  bool signal_pid(pid_t pid, int sig);

  pid_t main_pid() const { return main_pid_; }
  bool ready() const { return ready_; }
  std::uint16_t port_from_stdout() const { return port_; }
  bool exited(pid_t pid) const { return exits_.count(pid) > 0 || vanished_.count(pid) > 0; }
  std::optional<int> exit_of(pid_t pid) const;
  std::set<pid_t> live_pids() const;
  std::vector<LifecycleEvent> events() const;
  void record(const std::string& event, long pid, long other, const std::string& detail);
  void record_at(std::int64_t t_ns, const std::string& event, long pid, long other,
                 const std::string& detail);
  const std::string& notify_path() const { return notify_path_; }
  std::int64_t now_ns() const { return clock_.now_ns(); }
  // Every event recorded from now on is also streamed to `w` (which must outlive the launcher).
  void set_history(HistoryWriter* w) { history_ = w; }
  // The environment entry every process of this run inherits (ZERODROP_RUN=<workdir>): how a
  // process that left the harness's tree is still recognised as ours.
  std::string run_tag() const { return "ZERODROP_RUN=" + workdir_; }

  static void install_interrupt_handlers();
  static bool interrupted();

 private:
  void read_notify();
  void read_stdout();
  void reap();
  void start_guardian();

  RunClock clock_;
  std::string workdir_, notify_path_;
  int notify_fd_ = -1;
  pid_t guardian_pid_ = -1;  // kills the run's processes if the harness dies (see launcher.cpp)
  int guardian_fd_ = -1;
  int stdout_fd_ = -1;
  std::string stdout_buf_;
  std::set<pid_t> groups_, known_, vanished_;
  std::map<pid_t, int> exits_;
  pid_t main_pid_ = 0;
  bool ready_ = false;
  std::uint16_t port_ = 0;
  mutable std::mutex mu_;
  std::vector<LifecycleEvent> events_;
  HistoryWriter* history_ = nullptr;
};

// Raises the harness's RLIMIT_NOFILE soft limit to its hard limit (a load of many connections
// must not fail on the harness's side first) and returns the limit now in force; spawned
// processes get the limit the harness started with.
long raise_fd_limit();
// Number of open file descriptors of pid (from /proc/PID/fd), or -1.
int fd_count(pid_t pid);
// A listening TCP socket on 127.0.0.1:0; returns fd and sets port.
int bind_loopback_listener(std::uint16_t& port);
// Processes whose environment holds `tag_entry` exactly and that are not `root` nor below it
// (the ppid chain from /proc): the run's processes that escaped its tree.
std::vector<pid_t> tagged_processes_outside(const std::string& tag_entry, pid_t root);

}  // namespace zerodrop

// run step 1, start: spawn the server (fd 3 or its own {port}, NOTIFY_SOCKET when a notify
// source is followed, its environment and working directory, its log in the workdir) and await
// its readiness from the source the scenario names — READY=1 from the main pid, a `listening on`
// line, the pid file, a log line (each an event the launcher records), or, for `ready: http`,
// GET server.probe_path answering anything — up to the scenario's startup timeout. A
// daemonizing server (launcher.hpp, "A daemonizing start") is ready once its daemon is named and
// its first process has exited 0; a first process that exits non-zero, or exits 0 leaving no
// process behind that could still name itself, is a start that failed. Returns kGoOn, or 1 when
// it never became ready (said on err, and as a not_ready event saying why).
#include <unistd.h>

#include <algorithm>

#include "steps.hpp"
#include "zerodrop/http_response.hpp"
#include "zerodrop/proc/procfs.hpp"

namespace zerodrop::run {
namespace {

// How often `ready: http` asks: a bounded rate (50/s), each ask a connect that a port nobody
// listens on yet refuses at once.
constexpr int kProbeEveryMs = 20;
// An ask that connected waits at most this long for an answer before the wait loop resumes.
constexpr int kProbeTimeoutMs = 1000;

bool follows_notify(const Scenario& sc) {
  return sc.ready == Ready::kNotify || sc.ready == Ready::kStdout ||
         sc.main_pid == MainPid::kNotify;
}

// Why the start has failed by now ("" while it may still succeed): the first process exited
// (non-zero; or 0 with nothing named, unless a process it left behind — its daemon — may still
// name itself: the pid file or log line comes once the daemon has forked), the deadline passed,
// or the harness was interrupted. The first words are the not_ready event's detail as before.
std::string not_started(const Run& r, const Launcher& L, pid_t first, std::int64_t deadline) {
  const std::optional<int> code = L.exit_of(first);
  if (Launcher::interrupted()) return "interrupted";
  if (code && *code != 0) {
    if (L.daemon() > 0)
      return "exited " + std::to_string(*code) + " after naming its daemon " +
             std::to_string(L.daemon());
    return "exited " + std::to_string(*code);
  }
  if (r.clock.now_ns() > deadline) {
    if (code) return "startup timeout; the first process exited 0 and nothing was named";
    if (L.daemon() > 0)
      return "startup timeout; the first process has not exited since naming its daemon " +
             std::to_string(L.daemon());
    return "startup timeout";
  }
  if (L.exited(first) && !code) return "exited";  // vanished: its code unobservable
  const bool names_its_pid = r.sc.main_pid == MainPid::kPidFile || r.sc.main_pid == MainPid::kLog;
  if (code && L.daemon() == 0 && !(names_its_pid && L.left_behind()))
    return "exited 0, leaving no process that could name itself";
  return "";
}

}  // namespace

int start(Run& r, Launcher& L) {
  start_sidecars(r, L);  // before the server: a backend it proxies to is there when it starts
  Follow f;
  f.ready = r.sc.ready;
  f.main_pid = r.sc.main_pid;
  f.pid_file = r.pid_file;
  f.log_regex = r.sc.ready_log_regex;
  L.follow(f);  // before the spawn: an announcement cannot come before its watch
  SpawnOptions so;
  so.argv = r.argv;
  so.listen_fd = r.listen_fd;
  so.notify = follows_notify(r.sc);
  so.stderr_path = r.workdir + "/server.log";
  so.capture_stderr = r.sc.ready == Ready::kLog;
  so.env = r.env;
  so.cwd = r.cwd;
  const pid_t first = L.spawn(so);
  if (r.listen_fd >= 0)
    close(r.listen_fd);  // ours must not keep queuing connections once the server is gone
  r.listen_fd = -1;
  const std::int64_t deadline = r.clock.now_ns() + ms_to_ns(r.sc.startup_timeout_ms);
  const bool http = r.sc.ready == Ready::kHttp;
  std::int64_t next_probe = r.clock.now_ns();
  L.poll();
  for (;;) {
    const bool ready = r.sc.ready == Ready::kStdout ? L.port_from_stdout() != 0 : L.ready();
    // A daemonizing start is ready once its first process has exited 0 (handing over);
    // one that exited non-zero after naming its daemon failed (said below).
    const bool handed_over = L.daemon() == 0 || L.exit_of(first) == 0;
    if (ready && !L.handing_over() && handed_over) break;
    const std::string why = not_started(r, L, first, deadline);
    if (!why.empty()) {
      r.err << "zerodrop: the server did not become ready (" << why << "); its log: " << r.workdir
            << "/server.log; history: " << r.history_path << "\n";
      r.recorder->record(EventKind::kNotReady, first, 0, why);
      return 1;
    }
    if (ready) {  // awaiting the first process's exit: no probing
      L.wait_until(deadline + 1);
      continue;
    }
    if (http && r.clock.now_ns() >= next_probe) {
      const int left_ms = static_cast<int>((deadline - r.clock.now_ns()) / 1'000'000) + 1;
      const FetchResult a = fetch(r.port, r.sc.probe_path, std::min(kProbeTimeoutMs, left_ms));
      // Any answer will do (a 404 too): the server accepts and speaks HTTP.
      if (a.ok()) {
        L.ready_from_probe("http GET " + r.sc.probe_path + ": " +
                           std::to_string(a.response.status));
        continue;
      }
      next_probe = r.clock.now_ns() + ms_to_ns(kProbeEveryMs);
    }
    L.wait_until(http ? std::min(deadline + 1, next_probe) : deadline + 1);
  }
  if (r.sc.ready == Ready::kStdout && r.sc.listener == Listener::kPort)
    r.port = L.port_from_stdout();  // the port it printed (it may have bound {port} or 0)
  r.started = true;
  r.first_fds = proc::fd_count(L.main_pid());
  r.recorder->record(EventKind::kFdCount, L.main_pid(), r.first_fds, "at ready");
  return kGoOn;
}

}  // namespace zerodrop::run

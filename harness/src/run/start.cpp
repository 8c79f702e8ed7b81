// run step 1, start: spawn the server (fd 3, NOTIFY_SOCKET, its log in the workdir) and await
// its readiness (READY=1 from the main pid, or a `listening on` line) as an event, up to the
// scenario's startup timeout. Returns kGoOn, or 1 when it never became ready (said on err).
#include <unistd.h>

#include "steps.hpp"
#include "zerodrop/proc/procfs.hpp"

namespace zerodrop::run {

int start(Run& r, Launcher& L) {
  start_sidecars(r, L);  // before the server: a backend it proxies to is there when it starts
  SpawnOptions so;
  so.argv = r.argv;
  so.listen_fd = r.listen_fd;
  so.notify = true;
  so.stderr_path = r.workdir + "/server.log";
  const pid_t first = L.spawn(so);
  if (r.listen_fd >= 0)
    close(r.listen_fd);  // ours must not keep queuing connections once the server is gone
  r.listen_fd = -1;
  const std::int64_t deadline = r.clock.now_ns() + ms_to_ns(r.sc.startup_timeout_ms);
  L.poll();
  for (;;) {
    const bool ready = r.sc.ready == Ready::notify ? L.ready() : L.port_from_stdout() != 0;
    if (ready) break;
    if (L.exited(first) || r.clock.now_ns() > deadline || Launcher::interrupted()) {
      r.err << "zerodrop: the server did not become ready ("
            << (L.exited(first) ? "it exited" : "timeout") << "); its log: " << r.workdir
            << "/server.log; history: " << r.history_path << "\n";
      r.recorder->record(EventKind::not_ready, first, 0,
                         L.exited(first) ? "exited" : "startup timeout");
      return 1;
    }
    L.wait_until(deadline + 1);
  }
  if (r.sc.listener == Listener::port) r.port = L.port_from_stdout();
  r.started = true;
  r.first_fds = proc::fd_count(L.main_pid());
  r.recorder->record(EventKind::fd_count, L.main_pid(), r.first_fds, "at ready");
  return kGoOn;
}

}  // namespace zerodrop::run

// The run's observer: what it sees of the server besides the server's own events — the settle
// probe's answer (X-Pid to GET server.probe_path), descriptor counts, zombies among the
// generations' children, the run's processes that escaped its tree — each written to the
// Recorder as an event.
#include <unistd.h>

#include <algorithm>

#include "steps.hpp"
#include "zerodrop/http_response.hpp"
#include "zerodrop/proc/procfs.hpp"

namespace zerodrop::run {

long probe_pid(std::uint16_t port, const std::string& path, const std::string& pid_header) {
  const FetchResult r = fetch(port, path, 5000, pid_header);
  if (!r.ok()) return 0;
  return r.response.pid != 0 ? r.response.pid : -1;  // -1: answered without X-Pid
}

void observe_settled(Run& r, Launcher& L, const std::set<pid_t>& live, long probed) {
  Recorder& rec = *r.recorder;
  // The load is over, but a server may still be closing the connections it served (a
  // thread-per-connection server notices the client's close late): a leak is what stays.
  // Sample for up to 500 ms and keep the lowest count (no event marks a descriptor closed).
  for (pid_t p : live) {
    int fds = proc::fd_count(p);
    for (int i = 0; i < 10 && fds > r.first_fds + r.sc.expect.fd_slack; ++i) {
      L.wait_until(r.clock.now_ns() + ms_to_ns(50));
      const int again = proc::fd_count(p);
      if (again >= 0) fds = std::min(fds, again);
    }
    rec.record(EventKind::kFdCount, p, fds, "at settle");
  }
  // Zombies among the server's processes: a child that exited and that its parent (a
  // generation) never reaped. The harness reaps its own (it is the subreaper).
  for (pid_t z : proc::zombies_of(live))
    rec.record(EventKind::kZombie, z, 0, "unreaped child of a generation");
  for (pid_t escaped : proc::tagged_processes_outside(L.run_tag(), getpid()))
    rec.record(EventKind::kOrphan, escaped, 0, "outside the harness's tree");
  rec.record(EventKind::kSettle, static_cast<long>(L.main_pid()), static_cast<long>(live.size()),
             std::to_string(probed));
}

}  // namespace zerodrop::run

// run step 4, teardown: a graceful stop of whatever serves (SIGTERM to each live generation, so
// its exit code can be checked too), awaited as exits up to drain_ms + slack_ms.
#include <csignal>

#include "steps.hpp"

namespace zerodrop::run {

void teardown(Run& r, Launcher& L) {
  r.recorder->record(EventKind::kTeardown, L.main_pid(), 0, "SIGTERM to the main pid");
  for (pid_t p : L.live_generations())
    L.signal_pid(p, SIGTERM);  // after settles' restart
  const std::int64_t deadline =
      r.clock.now_ns() + ms_to_ns(r.sc.expect.drain_ms + r.sc.expect.slack_ms);
  while (!L.live_generations().empty() && r.clock.now_ns() < deadline && !Launcher::interrupted())
    L.wait_until(deadline);
}

}  // namespace zerodrop::run

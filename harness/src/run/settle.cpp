// run step 3, settle: the faults are over; old generations get their drain time to go (awaited
// as exits, up to drain_ms + slack_ms); then the observer records what is left (observe.cpp);
// then settles' last question: does a restart still work once the faults are over?
#include <csignal>

#include "steps.hpp"

namespace zerodrop::run {
namespace {

// Sends the scenario's restart signal (its first signal fault to the main pid that is not a
// stop: a signal to the previous main pid, the workers or the group restarts nothing) to the
// generation that answered the settle probe, then probes until another pid answers or the
// startup timeout passes, and waits for the replaced generation to go. Only for scenarios that
// restart.
void settle_restart(Run& r, Launcher& L, long serving) {
  const Expect& x = r.sc.expect;
  if (!x.settle_restart || x.restarts < 1 || x.shutdown_ends_run) return;
  static const std::set<std::string> kStops = {"TERM", "INT", "KILL", "QUIT", "USR2"};
  std::string sig;
  for (auto& f : r.sc.faults)
    if (!f.signal.empty() && !kStops.count(f.signal) && f.to == FaultTarget::kMain) {
      sig = f.signal;
      break;
    }
  if (sig.empty()) return;
  // Its generations are the probe's, not the run's (checks/timeline.cpp skips them too).
  L.freeze_generations();
  r.recorder->record(EventKind::settle_restart, serving, signal_number(sig), sig);
  L.signal_pid(static_cast<pid_t>(serving), signal_number(sig));
  const std::int64_t deadline = r.clock.now_ns() + ms_to_ns(r.sc.startup_timeout_ms + 2000);
  long answered = 0;
  while (r.clock.now_ns() < deadline && !Launcher::interrupted()) {
    answered = probe_pid(r.port, r.sc.probe_path);
    if (answered > 0 && answered != serving) break;
    // The successor's datagram or line wakes this at once; a server that tells nothing is
    // probed again after 10 ms.
    L.wait_until(std::min(deadline, r.clock.now_ns() + ms_to_ns(10)));
  }
  r.recorder->record(EventKind::settle_restart_result, serving, answered, "");
  const std::int64_t gone = r.clock.now_ns() + ms_to_ns(x.drain_ms + x.slack_ms);
  while (answered > 0 && answered != serving && !L.exited(static_cast<pid_t>(serving)) &&
         r.clock.now_ns() < gone && !Launcher::interrupted())
    L.wait_until(gone);
}

}  // namespace

void settle(Run& r, Launcher& L) {
  const std::int64_t deadline =
      r.clock.now_ns() + ms_to_ns(r.sc.expect.drain_ms + r.sc.expect.slack_ms);
  const std::size_t want_live = r.sc.expect.shutdown_ends_run ? 0 : 1;
  L.poll();
  while (L.live_generations().size() > want_live && r.clock.now_ns() <= deadline &&
         !Launcher::interrupted())
    L.wait_until(deadline + 1);
  const std::set<pid_t> live = L.live_generations();
  long probed = 0;
  if (!live.empty()) {
    probed = probe_pid(r.port, r.sc.probe_path);
    if (probed == -1 && live.size() == 1)
      probed = *live.begin();  // no X-Pid: a response from the only one alive
  }
  observe_settled(r, L, live, probed);
  if (probed > 0 && live.size() == 1) settle_restart(r, L, probed);
}

}  // namespace zerodrop::run

// run step 3, settle: the faults are over; old generations get their drain time to go (awaited
// as exits, up to drain_ms + slack_ms); then the observer records what is left (observe.cpp);
// then settles' last question: does a restart still work once the faults are over?
#include <csignal>

#include "steps.hpp"

namespace zerodrop::run {
namespace {

// Sends the scenario's restart signal (its first signal fault to the main pid that is not a stop: a
// signal to the previous main pid, the workers or the group restarts nothing) to the main pid of
// the generation that answered the settle probe (the pid itself, or the master of a prefork
// worker), then probes until a process that was not in that generation's tree answers (a new
// generation; in_place, a new worker set) or the startup timeout passes, and waits for the replaced
// processes to go (in_place: the old workers; the main stays). Only for scenarios that restart, and
// whose responses name their pid.
void settle_restart(Run& r, Launcher& L, long serving) {
  const Expect& x = r.sc.expect;
  if (!x.settle_restart || x.restarts < 1 || x.shutdown_ends_run || r.sc.pid_header.empty()) return;
  static const std::set<std::string> kStops = {"TERM", "INT", "KILL", "QUIT", "USR2"};
  std::string sig;
  for (auto& f : r.sc.faults)
    if (!f.signal.empty() && !kStops.count(f.signal) && f.to == FaultTarget::kMain) {
      sig = f.signal;
      break;
    }
  if (sig.empty()) return;
  const pid_t main = L.generation_of(static_cast<pid_t>(serving)) > 0
                         ? L.generation_of(static_cast<pid_t>(serving))
                         : static_cast<pid_t>(serving);
  std::set<pid_t> old = L.tree_of(main);
  // Its generations are the probe's, not the run's (checks/timeline.cpp skips them too).
  L.freeze_generations();
  const std::set<pid_t> ready_before = L.announced_ready();
  r.recorder->record(EventKind::kSettleRestart, main, signal_number(sig), sig);
  L.signal_pid(main, signal_number(sig));
  const std::int64_t deadline = r.clock.now_ns() + ms_to_ns(r.sc.startup_timeout_ms + 2000);
  long answered = 0;
  auto handed_over = [&] { return answered > 0 && !old.count(static_cast<pid_t>(answered)); };
  // A server that names its successors is probed once one has said it is ready, not while the
  // hand-over runs: a probe then is the harness's own traffic, which no scenario asked for, landing
  // in the one window where it can change the server's fate (cloudflare/tableflip on Go 1.19: a
  // connection the parent accepts while the shared listener is briefly in blocking mode leaves its
  // next accept(2) blocked, and its Shutdown waits for a connection that, idle, never comes —
  // scenarios/peers/go-tableflip.yaml). Under load that traffic is the scenario's, and judged.
  auto successor_ready = [&] {
    for (pid_t p : L.announced_ready())
      if (!ready_before.count(p) && !old.count(p)) return true;
    return false;
  };
  if (x.reload == Reload::kNewMainPid && L.announces_successors())
    while (!successor_ready() && r.clock.now_ns() < deadline && !Launcher::interrupted())
      L.wait_until(deadline);
  // At least one probe, also past the deadline: a successor that never announced itself leaves
  // the evidence "answered by the old pid", not "no answer".
  for (bool last = false; !last && !Launcher::interrupted();) {
    last = r.clock.now_ns() >= deadline;
    answered = probe_pid(r.port, r.sc.probe_path, r.sc.pid_header);
    r.recorder->record(EventKind::kSettleProbe, main, answered, "");
    if (handed_over()) break;
    // The successor's datagram or line wakes this at once; a server that tells nothing is
    // probed again after 10 ms.
    if (!last) L.wait_until(std::min(deadline, r.clock.now_ns() + ms_to_ns(10)));
  }
  L.poll();  // the answering worker is recorded before the result that names it
  r.recorder->record(EventKind::kSettleRestartResult, main, answered, "");
  if (x.reload == Reload::kInPlace) old.erase(main);  // the main stays; its old workers go
  const std::int64_t gone = r.clock.now_ns() + ms_to_ns(x.drain_ms + x.slack_ms);
  auto all_gone = [&] {
    for (pid_t p : old)
      if (!L.exited(p)) return false;
    return true;
  };
  while (handed_over() && !all_gone() && r.clock.now_ns() < gone && !Launcher::interrupted())
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
    probed = probe_pid(r.port, r.sc.probe_path, r.sc.pid_header);
    if (probed == -1 && live.size() == 1)
      probed = *live.begin();  // no X-Pid: a response from the only one alive
  }
  observe_settled(r, L, live, probed);
  if (probed > 0 && live.size() == 1) settle_restart(r, L, probed);
}

}  // namespace zerodrop::run

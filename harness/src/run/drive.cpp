// run step 2, drive: the load (its own thread) and the faults (the nemesis, here) until both are
// over, bounded by the load's duration + timeout + 2 s and the last fault + 7 s. The supervisor
// sleeps in Launcher::wait_until() until the nemesis's next due time, the history's next flush,
// the next progress line, the next cpu_wait sample (every 10 ms), or an event: a datagram, a stdout
// line, an exit, an interrupt, or the load engine's news (its slow requests in flight changed, or
// it ended: an eventfd).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdio>
#include <thread>

#include "steps.hpp"
#include "zerodrop/cpu_wait.hpp"
#include "zerodrop/load.hpp"
#include "zerodrop/nemesis.hpp"

namespace zerodrop::run {

void drive(Run& r, Launcher& L) {
  const bool progress = r.opt.progress || isatty(2);
  const std::int64_t start_ns = r.clock.now_ns() + ms_to_ns(20);
  LoadEngine engine(r.sc.load, r.port, r.clock, start_ns);
  engine.set_recorder(r.recorder.get());
  engine.set_on_slow_change([&L] { L.wake(); });
  engine.set_pid_header(r.sc.pid_header);
  std::atomic<bool> stop{false}, load_done{false};
  std::thread loader([&] {
    engine.run(stop);
    load_done = true;
    L.wake();
  });
  struct Joiner {
    std::thread& t;
    std::atomic<bool>& stop;
    ~Joiner() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } joiner{loader, stop};
  Nemesis nemesis(r.sc.faults, r.vars, L, start_ns, r.binary, r.workdir + "/commands.log",
                  r.sc.startup_timeout_ms);
  const std::int64_t hard_end =
      std::max(start_ns + ms_to_ns(r.sc.load.duration_ms + r.sc.load.timeout_ms) + ms_to_ns(2000),
               nemesis.last_planned_ns() + ms_to_ns(7000));
  std::int64_t next_progress = 0, next_flush = 0, next_cpu_wait = 0;
  CpuWaitSampler cpu_wait;
  L.poll();
  while (!load_done || !nemesis.done()) {
    const std::int64_t now = r.clock.now_ns();
    nemesis.tick(now, engine.slow_in_flight(), load_done);
    if (now >= next_cpu_wait) {  // latency_bound takes a busy machine's share out
      for (pid_t p : L.live_pids())
        for (const auto& c : cpu_wait.sample(p, now))
          r.recorder->record_at(c.t_ns, EventKind::kCpuWait, p, static_cast<long>(c.wait_ns), "");
      if (pid_t tid = engine.thread_id())  // pid 0: the harness's own load engine
        for (const auto& c : cpu_wait.sample_own_thread(tid, now))
          r.recorder->record_at(c.t_ns, EventKind::kCpuWait, 0, static_cast<long>(c.wait_ns),
                                "harness load engine");
      next_cpu_wait = now + ms_to_ns(10);
    }
    if (Launcher::interrupted() || now > hard_end) break;
    if (now >= next_flush) {
      r.recorder->flush();
      next_flush = now + ms_to_ns(50);
    }
    if (progress && now >= next_progress) {
      char buf[200];
      std::snprintf(buf, sizeof buf,
                    "\r[zerodrop] %5.1fs ok=%llu failed=%llu slow_in_flight=%d main_pid=%d   ",
                    static_cast<double>(now - start_ns) / 1e9,
                    static_cast<unsigned long long>(engine.completed()),
                    static_cast<unsigned long long>(engine.failed()), engine.slow_in_flight(),
                    static_cast<int>(L.main_pid()));
      r.err << buf << std::flush;
      next_progress = now + ms_to_ns(250);
    }
    L.wait_until(std::min(
        {nemesis.next_due_ns(), next_flush, progress ? next_progress : INT64_MAX, hard_end + 1}));
  }
  if (progress) r.err << "\n";
  stop = true;
  loader.join();
  r.h.requests = engine.take_records();
  const LoadSummary ls = engine.summary();
  r.recorder->record(EventKind::kLoadSummary, 0, static_cast<long>(ls.planned),
                     nlohmann::json{{"issued", ls.issued}, {"saturated", ls.saturated}}.dump());
  if (Launcher::interrupted()) {
    r.err << "zerodrop: interrupted; ending the server\n";
    r.code = 130;
  }
}

}  // namespace zerodrop::run

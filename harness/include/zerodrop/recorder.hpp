// recorder — the run's history as it happens: the one owner of its lifecycle events.
//
// Contract: every part of a run that has something to say — the launcher (spawns, notify
// datagrams, stdout lines, exits), the nemesis (faults), the load engine (idle closes, and each
// request record), the run's observer (fd counts, zombies, orphans, the settle probe) — calls
// record() with a typed EventKind (event_kind.hpp; its name is what the history stores). Each
// event is streamed at once to the HistoryWriter given (JSON lines, the on-disk format of
// history.hpp, unchanged; flush() pushes them to the file) and kept in memory in time order: an
// event stamped on arrival (record_at) may be older than events recorded while it waited in a
// socket. Thread-safe (the load engine records from its own thread). events() is a copy for the
// checks at the end of a run; nothing mid-run needs it (the launcher answers which generations
// are alive itself; latest_ns() when a kind of event last happened).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "zerodrop/clock.hpp"
#include "zerodrop/event_kind.hpp"
#include "zerodrop/history.hpp"

namespace zerodrop {

class Recorder {
 public:
  explicit Recorder(RunClock clock, HistoryWriter* writer = nullptr)
      : clock_(clock), writer_(writer) {}
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  void record(EventKind k, long pid, long other, const std::string& detail);
  void record_at(std::int64_t t_ns, EventKind k, long pid, long other, const std::string& detail);
  void request(const RequestRecord& r);  // streamed only: the engine keeps its records
  void flush();

  std::vector<LifecycleEvent> events() const;
  // The time of the latest event of kind k recorded so far (-1: none): what the nemesis awaits
  // mid-run (a new `ready`), without copying events().
  std::int64_t latest_ns(EventKind k) const;
  std::int64_t now_ns() const { return clock_.now_ns(); }
  RunClock clock() const { return clock_; }

 private:
  RunClock clock_;
  HistoryWriter* writer_;
  mutable std::mutex mu_;
  std::vector<LifecycleEvent> events_;
  std::map<EventKind, std::int64_t> latest_;
};

}  // namespace zerodrop

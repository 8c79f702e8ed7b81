// timer_heap: a binary min-heap of (deadline, handler, cookie) entries, with cancellation.
//
// Contract: add() returns a TimerId that cancel() accepts until the entry fires or is
// cancelled; after that the id is dead (a generation count makes a stale id harmless even when
// its slot is reused), so a handler may cancel whatever id it still holds. fire_due(now) fires
// the entries due at `now` that existed when it was called, in deadline order (FIFO among
// equal deadlines); an entry added while it runs waits for the next call even if it is due —
// a handler that re-arms itself "now" (a stream with no interval) must not keep one pass
// running forever. Connections cancel their entries when they close, so the heap holds at
// most two entries per open connection (per-connection I/O deadlines are also re-armed
// lazily: see connection.hpp).
#pragma once

#include <cstdint>
#include <vector>

namespace zerodrop::server {

using Millis = std::int64_t;
using TimerId = std::uint64_t;  // 0: none
constexpr TimerId kNoTimer = 0;

class TimerHandler {
 public:
  virtual void on_timer(std::uint64_t cookie) = 0;

 protected:
  ~TimerHandler() = default;
};

class TimerHeap {
 public:
  TimerId add(Millis when, TimerHandler* handler, std::uint64_t cookie);
  // False if `id` already fired, was cancelled, or is kNoTimer.
  bool cancel(TimerId id);
  // The earliest deadline, or -1 when empty.
  Millis next_deadline() const { return heap_.empty() ? -1 : heap_.front().when; }
  void fire_due(Millis now);
  std::size_t size() const { return heap_.size(); }

 private:
  struct Entry {
    Millis when;
    std::uint64_t seq;  // FIFO among equal deadlines: deterministic order
    TimerHandler* handler;
    std::uint64_t cookie;
    std::uint32_t slot;
  };
  struct Slot {
    std::uint32_t pos;  // index in heap_, kFree when unused
    std::uint32_t gen;  // bumped on every release: ids of earlier uses go stale
  };
  static constexpr std::uint32_t kFree = 0xffffffff;
  static bool later(const Entry& a, const Entry& b) {
    return a.when != b.when ? a.when > b.when : a.seq > b.seq;
  }
  void place(std::size_t i, const Entry& e);
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);
  Entry remove_at(std::size_t i);  // and frees its slot

  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t seq_ = 0;
};

}  // namespace zerodrop::server

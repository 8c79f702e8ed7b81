// timer_heap: a binary min-heap of (deadline, handler, cookie) entries.
//
// Contract: entries are never removed; a handler that no longer wants a timer ignores it when
// it fires (it compares the cookie with what it armed). This keeps arming O(log n) and
// cancelling free, which suits the loop: per-connection I/O deadlines are kept in the
// connection and re-armed lazily (see connection.hpp), so the heap holds at most a couple of
// entries per connection however many requests it serves. Handlers must outlive their entries
// (connections are pooled and never freed while the loop runs).
#pragma once

#include <cstdint>
#include <vector>

namespace zerodrop::server {

using Millis = std::int64_t;

class TimerHandler {
 public:
  virtual void on_timer(std::uint64_t cookie) = 0;

 protected:
  ~TimerHandler() = default;
};

class TimerHeap {
 public:
  void add(Millis when, TimerHandler* handler, std::uint64_t cookie);
  // The earliest deadline, or -1 when empty.
  Millis next_deadline() const { return heap_.empty() ? -1 : heap_.front().when; }
  // Fires every entry due at `now` (entries added while firing that are due also fire).
  void fire_due(Millis now);
  std::size_t size() const { return heap_.size(); }

 private:
  struct Entry {
    Millis when;
    std::uint64_t seq;  // FIFO among equal deadlines: deterministic order
    TimerHandler* handler;
    std::uint64_t cookie;
  };
  static bool later(const Entry& a, const Entry& b) {
    return a.when != b.when ? a.when > b.when : a.seq > b.seq;
  }
  std::vector<Entry> heap_;
  std::uint64_t seq_ = 0;
};

}  // namespace zerodrop::server

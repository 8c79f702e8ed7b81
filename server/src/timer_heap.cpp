// Binary min-heap of timers with cancellation. See timer_heap.hpp.
#include "zerodrop/server/timer_heap.hpp"

namespace zerodrop::server {

void TimerHeap::place(std::size_t i, const Entry& e) {
  heap_[i] = e;
  slots_[e.slot].pos = static_cast<std::uint32_t>(i);
}

void TimerHeap::sift_up(std::size_t i) {
  const Entry e = heap_[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / 2;
    if (!later(heap_[parent], e)) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, e);
}

void TimerHeap::sift_down(std::size_t i) {
  const Entry e = heap_[i];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && later(heap_[child], heap_[child + 1])) ++child;
    if (!later(e, heap_[child])) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, e);
}

TimerId TimerHeap::add(Millis when, TimerHandler* handler, std::uint64_t cookie) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.push_back(Slot{kFree, 1});
  }
  heap_.push_back(Entry{when, seq_++, handler, cookie, slot});
  sift_up(heap_.size() - 1);
  return (static_cast<TimerId>(slots_[slot].gen) << 32) | slot;
}

TimerHeap::Entry TimerHeap::remove_at(std::size_t i) {
  const Entry e = heap_[i];
  Slot& s = slots_[e.slot];
  s.pos = kFree;
  if (++s.gen == 0) s.gen = 1;  // 0 would make an id equal to kNoTimer
  free_slots_.push_back(e.slot);
  const Entry last = heap_.back();
  heap_.pop_back();
  if (i < heap_.size()) {
    place(i, last);
    sift_down(i);
    sift_up(slots_[last.slot].pos);
  }
  return e;
}

bool TimerHeap::cancel(TimerId id) {
  if (id == kNoTimer) return false;
  const auto slot = static_cast<std::uint32_t>(id & 0xffffffff);
  const auto gen = static_cast<std::uint32_t>(id >> 32);
  if (slot >= slots_.size() || slots_[slot].gen != gen || slots_[slot].pos == kFree) return false;
  remove_at(slots_[slot].pos);
  return true;
}

void TimerHeap::fire_due(Millis now) {
  // Entries added from here on have seq >= limit. They are due at `now` or later, so when one
  // is at the front every entry that was due before this call has fired.
  const std::uint64_t limit = seq_;
  while (!heap_.empty() && heap_.front().when <= now && heap_.front().seq < limit) {
    // A copy: the handler may add or cancel timers (the heap can reallocate).
    const Entry e = remove_at(0);
    e.handler->on_timer(e.cookie);
  }
}

}  // namespace zerodrop::server

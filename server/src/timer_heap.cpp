// Binary min-heap of timers. See timer_heap.hpp.
#include "zerodrop/server/timer_heap.hpp"

#include <algorithm>

namespace zerodrop::server {

void TimerHeap::add(Millis when, TimerHandler* handler, std::uint64_t cookie) {
  heap_.push_back(Entry{when, seq_++, handler, cookie});
  std::push_heap(heap_.begin(), heap_.end(), later);
}

void TimerHeap::fire_due(Millis now) {
  while (!heap_.empty() && heap_.front().when <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    Entry e = heap_.back();
    heap_.pop_back();
    // The handler may add timers (the heap can reallocate): e is a copy, so that is safe.
    e.handler->on_timer(e.cookie);
  }
}

}  // namespace zerodrop::server

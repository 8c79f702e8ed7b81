// Unit tests for the timer heap: order, FIFO ties, timers added while firing.
#include "zerodrop/server/timer_heap.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace zerodrop::server {
namespace {

struct Recorder final : TimerHandler {
  std::vector<std::uint64_t> fired;
  TimerHeap* heap = nullptr;
  void on_timer(std::uint64_t cookie) override {
    fired.push_back(cookie);
    if (cookie == 100 && heap) heap->add(5, this, 101);  // due now: fires in the same pass
  }
};

TEST(TimerHeap, FiresInDeadlineOrderWithFifoTies) {
  TimerHeap h;
  Recorder r;
  h.add(30, &r, 3);
  h.add(10, &r, 1);
  h.add(20, &r, 2);
  h.add(10, &r, 11);
  EXPECT_EQ(h.next_deadline(), 10);
  h.fire_due(15);
  EXPECT_EQ(r.fired, (std::vector<std::uint64_t>{1, 11}));
  h.fire_due(100);
  EXPECT_EQ(r.fired, (std::vector<std::uint64_t>{1, 11, 2, 3}));
  EXPECT_EQ(h.next_deadline(), -1);
}

TEST(TimerHeap, TimersAddedWhileFiringThatAreDueAlsoFire) {
  TimerHeap h;
  Recorder r;
  r.heap = &h;
  h.add(5, &r, 100);
  h.fire_due(5);
  EXPECT_EQ(r.fired, (std::vector<std::uint64_t>{100, 101}));
}

}  // namespace
}  // namespace zerodrop::server

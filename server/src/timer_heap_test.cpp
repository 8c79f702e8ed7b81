// Unit tests for the timer heap: order, FIFO ties, timers added while firing, cancellation.
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
    if (cookie == 100 && heap) heap->add(5, this, 101);  // due now: waits for the next pass
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

// Issue 13 item 1: a stream with interval_ms=0 re-arms itself "now" from its handler; when
// such entries fired in the same pass, the whole stream was produced in one pass (the loop
// froze for seconds). They wait for the next pass now.
TEST(TimerHeap, TimersAddedWhileFiringWaitForTheNextPass) {
  TimerHeap h;
  Recorder r;
  r.heap = &h;
  h.add(5, &r, 100);
  h.fire_due(5);
  EXPECT_EQ(r.fired, (std::vector<std::uint64_t>{100}));
  EXPECT_EQ(h.next_deadline(), 5);
  h.fire_due(5);
  EXPECT_EQ(r.fired, (std::vector<std::uint64_t>{100, 101}));
}

// Issue 13 item 8: a connection that closes cancels its timers (a /slow?ms=3600000 followed by
// a reset left an entry for an hour, one per cycle).
TEST(TimerHeap, CancelledTimersLeaveTheHeapAndStaleIdsAreHarmless) {
  TimerHeap h;
  Recorder r;
  std::vector<TimerId> ids;
  for (int i = 0; i < 100; ++i)
    ids.push_back(h.add(1000 + (i * 37) % 100, &r, static_cast<std::uint64_t>(i)));
  for (int i = 0; i < 100; i += 2)
    EXPECT_TRUE(h.cancel(ids[static_cast<std::size_t>(i)]));
  EXPECT_EQ(h.size(), 50u);
  EXPECT_FALSE(h.cancel(ids[0])) << "already cancelled";
  EXPECT_FALSE(h.cancel(kNoTimer));
  TimerId reused = h.add(1, &r, 999);  // takes a freed slot
  EXPECT_FALSE(h.cancel(ids[0])) << "a stale id must not cancel the slot's new entry";
  h.fire_due(5000);
  ASSERT_EQ(r.fired.size(), 51u);
  EXPECT_EQ(r.fired.front(), 999u);
  for (std::size_t i = 1; i < r.fired.size(); ++i)
    EXPECT_EQ(r.fired[i] % 2, 1u) << "only the odd ones were left";
  for (std::size_t i = 2; i < r.fired.size(); ++i)
    EXPECT_LE((1000 + (r.fired[i - 1] * 37) % 100), (1000 + (r.fired[i] * 37) % 100));
  EXPECT_FALSE(h.cancel(reused)) << "fired";
  EXPECT_EQ(h.size(), 0u);
}

}  // namespace
}  // namespace zerodrop::server

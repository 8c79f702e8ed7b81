// event_loop: one epoll instance, a monotonic clock cached per iteration, and timers.
//
// Contract: knows nothing about HTTP. Handlers are registered per fd with the epoll events
// they want; the loop calls IoHandler::on_io with the ready mask. run_once() waits for I/O or
// the next timer, dispatches every ready event, then fires due timers. `now()` is the
// CLOCK_MONOTONIC time in ms taken when epoll_wait returned, so every handler in one batch
// sees the same time. remove() also drops any event the current batch still holds for that
// watch: a handler never sees an event for a registration it no longer has (its fd may be
// closed, or reused by then). An fd closed *without* remove() leaves its pending event in the
// batch, so a handler whose fd is closed during a batch must not be destroyed (or reused)
// before the batch ends (the server frees connections after run_once returns).
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <vector>

#include "zerodrop/server/timer_heap.hpp"

namespace zerodrop::server {

Millis monotonic_ms();

class IoHandler {
 public:
  virtual void on_io(std::uint32_t events) = 0;

 protected:
  ~IoHandler() = default;
};

class EventLoop {
 public:
  EventLoop();  // throws std::system_error if epoll_create1 fails
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Each returns false after logging the failing syscall. remove() first discards the events
  // of this fd's watch still pending in the current batch.
  bool add(int fd, std::uint32_t events, IoHandler* handler);
  bool modify(int fd, std::uint32_t events, IoHandler* handler);
  bool remove(int fd);

  TimerId add_timer(Millis when, TimerHandler* handler, std::uint64_t cookie) {
    return timers_.add(when, handler, cookie);
  }
  bool cancel_timer(TimerId id) { return timers_.cancel(id); }
  std::size_t timer_count() const { return timers_.size(); }
  Millis now() const { return now_; }
  void update_now() { now_ = monotonic_ms(); }

  // One iteration: epoll_wait (bounded by the next timer and `max_wait_ms`), dispatch, timers.
  void run_once(Millis max_wait_ms = -1);

 private:
  static constexpr int kMaxEvents = 512;
  void remember(int fd, IoHandler* handler);

  int epfd_ = -1;
  // The handler last registered per fd, so remove(fd) can find its pending events.
  std::vector<IoHandler*> handlers_;
  int dispatch_next_ = 0;  // events_[dispatch_next_, dispatch_end_) are not yet delivered
  int dispatch_end_ = 0;
  Millis now_ = 0;
  TimerHeap timers_;
  epoll_event events_[kMaxEvents];
};

}  // namespace zerodrop::server

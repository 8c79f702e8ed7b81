// epoll + timers. See event_loop.hpp.
#include "zerodrop/server/event_loop.hpp"

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <limits>
#include <system_error>

#include "zerodrop/server/log.hpp"

namespace zerodrop::server {

Millis monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<Millis>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

EventLoop::EventLoop() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) {
    int err = errno;
    log_syscall_error("epoll_create1", err);
    throw std::system_error(err, std::generic_category(), "epoll_create1");
  }
  update_now();
}

EventLoop::~EventLoop() {
  if (epfd_ >= 0) ::close(epfd_);
}

void EventLoop::remember(int fd, IoHandler* handler) {
  if (fd < 0) return;
  const auto i = static_cast<std::size_t>(fd);
  if (i >= handlers_.size()) handlers_.resize(i + 1 + i / 2, nullptr);
  handlers_[i] = handler;
}

bool EventLoop::add(int fd, std::uint32_t events, IoHandler* handler) {
  remember(fd, handler);
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
    log_syscall_error("epoll_ctl", errno, "EPOLL_CTL_ADD");
    return false;
  }
  return true;
}

bool EventLoop::modify(int fd, std::uint32_t events, IoHandler* handler) {
  remember(fd, handler);
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) < 0) {
    log_syscall_error("epoll_ctl", errno, "EPOLL_CTL_MOD");
    return false;
  }
  return true;
}

bool EventLoop::remove(int fd) {
  // The current batch may still hold an event for this watch, fetched before the removal;
  // its fd may be closed (or already reused) by the time we would deliver it. Drop it.
  const auto i = static_cast<std::size_t>(fd);
  if (fd >= 0 && i < handlers_.size() && handlers_[i] != nullptr) {
    IoHandler* const h = handlers_[i];
    handlers_[i] = nullptr;
    for (int j = dispatch_next_; j < dispatch_end_; ++j)
      if (events_[j].data.ptr == h) events_[j].data.ptr = nullptr;
  }
  if (epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr) < 0) {
    log_syscall_error("epoll_ctl", errno, "EPOLL_CTL_DEL");
    return false;
  }
  return true;
}

void EventLoop::run_once(Millis max_wait_ms) {
  Millis timeout = -1;
  Millis next = timers_.next_deadline();
  if (next >= 0) timeout = next > now_ ? next - now_ : 0;
  if (max_wait_ms >= 0 && (timeout < 0 || timeout > max_wait_ms)) timeout = max_wait_ms;
  // Durations go up to 10^12 ms; epoll takes an int. Wrapped, 2^32 ms became 0 (a spin).
  if (timeout > std::numeric_limits<int>::max()) timeout = std::numeric_limits<int>::max();
  int n = epoll_wait(epfd_, events_, kMaxEvents, static_cast<int>(timeout));
  if (n < 0) {
    // EINTR cannot come from our signals (they are blocked and read from a signalfd) but can
    // from a debugger/ptrace stop; anything else is a programming error worth reporting.
    if (errno != EINTR) log_syscall_error("epoll_wait", errno);
    n = 0;
  }
  update_now();
  dispatch_end_ = n;
  for (dispatch_next_ = 0; dispatch_next_ < dispatch_end_;) {
    const epoll_event& ev = events_[dispatch_next_++];
    if (ev.data.ptr != nullptr) static_cast<IoHandler*>(ev.data.ptr)->on_io(ev.events);
  }
  dispatch_next_ = dispatch_end_ = 0;
  timers_.fire_due(now_);
}

}  // namespace zerodrop::server

// herd — N idle keep-alive clients of one server, as the restart and drain benchmarks need.
//
// Contract: Herd opens n connections to 127.0.0.1:port and completes one GET / on each (so the
// server counts them as idle keep-alive connections, not fresh ones), then a watcher thread
// closes each socket as soon as the server closes its side, as a real client would (so the
// server's lingering half-close ends at once instead of at its linger timeout). Throws if a
// connection or its request fails. The epoll set is complete when the constructor returns: the
// watcher thread only waits, so it takes no CPU from what is measured next (registering 20,000
// sockets is ~20 ms of work, which once ran concurrently with the restart being timed). The
// destructor stops the watcher and closes what is left.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace zerodrop::bench {

class Herd {
 public:
  // Opens n connections to 127.0.0.1:port, one GET / each (answered), then watches them.
  Herd(std::uint16_t port, int n);
  ~Herd();
  Herd(const Herd&) = delete;
  Herd& operator=(const Herd&) = delete;
  int open_count() const { return open_.load(); }

 private:
  void watch();
  int ep_ = -1;  // every connection registered before the constructor returns
  std::vector<int> fds_;
  std::atomic<int> open_{0};
  std::atomic<bool> stop_{false};
  std::thread watcher_;
};

// Raises RLIMIT_NOFILE to its hard limit (first the hard limit to `want`, if that is higher and
// we may: CAP_SYS_RESOURCE); returns the soft limit now in force.
long raise_fd_limit(long want = 0);

}  // namespace zerodrop::bench

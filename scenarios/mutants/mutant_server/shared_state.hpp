// What the lifecycle (main.cpp) and the connection threads share. The lifecycle thread is the
// only writer of `draining` / `drain_started_ms` and the drain pipe; connection threads read
// them. `drain_fd` becomes readable (forever) when the drain starts, so a connection thread
// blocked in poll() on an idle keep-alive connection wakes at once instead of by polling a flag.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>

#include "options.hpp"

namespace zerodrop::mutant {

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct SharedState {
  const Options* options = nullptr;
  int generation = 1;
  pid_t pid = 0;
  int drain_fd = -1;  // read end of the drain pipe
  std::atomic<bool> draining{false};
  std::atomic<std::int64_t> drain_started_ms{0};
  std::atomic<std::int64_t> ready_ms{0};  // when this generation announced readiness
  std::atomic<int> connections{0};        // open client connections (threads alive)
};

}  // namespace zerodrop::mutant

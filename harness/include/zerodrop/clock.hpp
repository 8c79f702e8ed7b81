// clock — the run's time base: monotonic nanoseconds since the run started.
//
// Contract: every timestamp in a History comes from one RunClock, so request records and
// lifecycle events are comparable. Copyable; thread-safe (steady_clock is).
#pragma once

#include <chrono>
#include <cstdint>

namespace zerodrop {

class RunClock {
 public:
  RunClock() : start_(std::chrono::steady_clock::now()) {}
  std::int64_t now_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

constexpr std::int64_t ms_to_ns(std::int64_t ms) {
  return ms * 1'000'000;
}

}  // namespace zerodrop

// pacer — when each request of an open-loop run is due, and which kind it is.
//
// Contract: Pacer::due_ns(i) is the scheduled start of request i at a constant arrival rate
// (i / rate seconds), whatever the server does: latency is measured from it, as in wrk2, so a
// stalled server cannot hide behind coordinated omission. KindPicker spreads kinds by weight
// deterministically (smooth weighted round-robin): the same scenario issues the same sequence.
#pragma once

#include <cstdint>
#include <vector>

#include "zerodrop/scenario.hpp"

namespace zerodrop {

class Pacer {
 public:
  Pacer(double rate, std::int64_t duration_ns) : rate_(rate), duration_ns_(duration_ns) {}
  std::int64_t due_ns(std::uint64_t i) const {
    return static_cast<std::int64_t>(static_cast<double>(i) * 1e9 / rate_);
  }
  // Number of requests the schedule holds: those due strictly before the duration ends.
  std::uint64_t count() const;

 private:
  double rate_;
  std::int64_t duration_ns_;
};

class KindPicker {
 public:
  explicit KindPicker(const std::vector<RequestKind>& kinds);
  std::size_t next();

 private:
  std::vector<double> weights_, current_;
  double total_ = 0;
};

}  // namespace zerodrop

// stats — the one percentile definition of the harness, its checks, its reports and bench/.
//
// Contract: percentile(v, p) is the nearest-rank percentile: sort the n samples, take the
// ceil(p/100 * n)-th smallest (1-based; rank 1 at least, n at most). It is always one of the
// samples, never an interpolation. With 100 samples p99 is the 99th value, not the maximum;
// with fewer than 100 samples p99 is the maximum (there is no finer rank to take), so a "p99"
// only means something beside its sample count. p = 100 is the maximum, p = 50 the lower
// median (the 50th of 100). An empty sample gives 0. p is clamped to [0, 100].
// summarize() gives the figures every report prints: n, p50, p99, max. One figure is kept off
// it on purpose: in_flight_served_by_old's accepted margin (checks/served_by.cpp) keeps its own
// rank, since moving it moves verdicts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace zerodrop {

double percentile(std::vector<double> v, double p);
std::int64_t percentile(std::vector<std::int64_t> v, double p);
// The 1-based nearest rank of percentile p among n samples (0 when n is 0).
std::size_t nearest_rank(std::size_t n, double p);

struct Summary {
  std::size_t n = 0;
  double p50 = 0, p99 = 0, max = 0;
};
Summary summarize(const std::vector<double>& v);
// {"n", "p50_ms", "p99_ms", "max_ms"}; an infinite value (a request that never finished) is
// written as "never".
nlohmann::json to_json_ms(const Summary& s);

}  // namespace zerodrop

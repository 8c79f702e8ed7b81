// Nearest-rank percentiles (see stats.hpp for the definition).
#include "zerodrop/stats.hpp"

#include <algorithm>
#include <cmath>

namespace zerodrop {

std::size_t nearest_rank(std::size_t n, double p) {
  if (n == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // p * n first, then / 100: 99 * 100 / 100 is exactly 99, where 0.99 * 100 may not be. The
  // small tolerance keeps a product that lands a rounding error above an integer on it.
  const double r = std::ceil(p * static_cast<double>(n) / 100.0 - 1e-9);
  return std::clamp<std::size_t>(static_cast<std::size_t>(std::max(r, 1.0)), 1, n);
}

namespace {
template <typename T>
T nth_ranked(std::vector<T> v, double p) {
  if (v.empty()) return T{};
  auto k = v.begin() + static_cast<std::ptrdiff_t>(nearest_rank(v.size(), p) - 1);
  std::nth_element(v.begin(), k, v.end());
  return *k;
}
}  // namespace

double percentile(std::vector<double> v, double p) {
  return nth_ranked(std::move(v), p);
}

std::int64_t percentile(std::vector<std::int64_t> v, double p) {
  return nth_ranked(std::move(v), p);
}

Summary summarize(const std::vector<double>& v) {
  return {v.size(), percentile(v, 50), percentile(v, 99), percentile(v, 100)};
}

nlohmann::json to_json_ms(const Summary& s) {
  auto show = [](double x) { return std::isinf(x) ? nlohmann::json("never") : nlohmann::json(x); };
  return {{"n", s.n}, {"p50_ms", show(s.p50)}, {"p99_ms", show(s.p99)}, {"max_ms", show(s.max)}};
}

}  // namespace zerodrop

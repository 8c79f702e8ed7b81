// The one percentile definition (nearest rank) and the Timeline's latency split.
#include "zerodrop/stats.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "zerodrop/checks.hpp"

namespace zerodrop {
namespace {

std::vector<double> one_to(int n) {
  std::vector<double> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 1.0);
  std::reverse(v.begin(), v.end());  // unsorted input
  return v;
}

// The defect of issue 11: restart_bench and analyze.py took index floor(0.99 * n) (or a
// rounding of it) of 100 sorted samples — the 100th, the maximum — and called it p99.
TEST(Stats, P99Of100SamplesIsThe99thValueNotTheMaximum) {
  const auto v = one_to(100);
  EXPECT_EQ(percentile(v, 99), 99);
  EXPECT_EQ(percentile(v, 100), 100);
  EXPECT_EQ(percentile(v, 50), 50);  // the lower median
  const Summary s = summarize(v);
  EXPECT_EQ(s.n, 100u);
  EXPECT_EQ(s.p50, 50);
  EXPECT_EQ(s.p99, 99);
  EXPECT_EQ(s.max, 100);
}

TEST(Stats, NearestRank) {
  EXPECT_EQ(percentile(std::vector<double>{}, 99), 0);
  EXPECT_EQ(percentile(std::vector<double>{3, 1, 2}, 50), 2);
  EXPECT_EQ(percentile(one_to(10), 99), 10);  // fewer than 100 samples: p99 is the max
  EXPECT_EQ(percentile(one_to(1000), 99), 990);
  EXPECT_EQ(percentile(one_to(200), 99), 198);
  EXPECT_EQ(percentile(one_to(7), 0), 1);
  EXPECT_EQ(percentile(std::vector<std::int64_t>{5, 1, 4, 2, 3}, 50), 3);
  EXPECT_EQ(nearest_rank(0, 50), 0u);
  EXPECT_EQ(nearest_rank(100, 99), 99u);
  EXPECT_EQ(nearest_rank(3, 150), 3u);     // clamped
  for (std::size_t n = 1; n <= 1000; ++n)  // no rounding error moves a rank off ceil(p n / 100)
    EXPECT_EQ(nearest_rank(n, 99), (99 * n + 99) / 100) << n;
}

TEST(Timeline, SpanOfSplitsAroundTheFaults) {
  Timeline t;
  const std::vector<std::int64_t> at = {1000, 2000};
  EXPECT_EQ(t.span_of(5000, 100, {}), Timeline::Span::kSteady);  // no faults: all steady
  EXPECT_EQ(t.span_of(899, 100, at), Timeline::Span::kSteady);
  EXPECT_EQ(t.span_of(900, 100, at), Timeline::Span::kWindow);
  EXPECT_EQ(t.span_of(1100, 100, at), Timeline::Span::kWindow);
  EXPECT_EQ(t.span_of(1500, 100, at), Timeline::Span::kOther);  // between two windows
  EXPECT_EQ(t.span_of(2101, 100, at), Timeline::Span::kAfter);
  t.shutdown_ns = 3000;
  EXPECT_EQ(t.span_of(3000, 100, at), Timeline::Span::kOther);  // not served by design
}

TEST(Timeline, RestartTimesRunFromTheCausingSignalToReady) {
  History h;
  h.events = {{0, "spawned", 100, 0, ""},
              {10, "ready", 100, 0, "notify"},
              {1'000'000, "signal", 100, 1, "HUP"},
              {3'000'000, "mainpid", 200, 100, ""},
              {4'500'000, "ready", 200, 0, "notify"},
              {6'000'000, "command", 300, 0, "x"}};
  const Timeline t = build_timeline(h);
  ASSERT_EQ(t.restart_times_ms().size(), 1u);
  EXPECT_DOUBLE_EQ(t.restart_times_ms()[0], 3.5);
  EXPECT_EQ(t.signal_times(), std::vector<std::int64_t>{1'000'000});
  EXPECT_EQ(t.restart_fault_times(), (std::vector<std::int64_t>{1'000'000, 6'000'000}));
}

}  // namespace
}  // namespace zerodrop

#include "zerodrop/pacer.hpp"

#include <gtest/gtest.h>

namespace zerodrop {
namespace {

TEST(Pacer, ConstantArrivalRate) {
  Pacer p(200, 1'000'000'000);
  EXPECT_EQ(p.due_ns(0), 0);
  EXPECT_EQ(p.due_ns(1), 5'000'000);
  EXPECT_EQ(p.due_ns(200), 1'000'000'000);
  EXPECT_EQ(p.count(), 200u);  // due strictly before the end
  EXPECT_EQ(Pacer(3, 1'000'000'000).count(), 3u);
  EXPECT_EQ(Pacer(0.5, 3'000'000'000).count(), 2u);  // at 0 s and 2 s
}

TEST(KindPicker, SpreadsByWeightDeterministically) {
  std::vector<RequestKind> kinds(2);
  kinds[0].weight = 3;
  kinds[1].kind = "slow";
  KindPicker a(kinds), b(kinds);
  int counts[2] = {0, 0};
  for (int i = 0; i < 400; ++i) {
    auto k = a.next();
    EXPECT_EQ(k, b.next());
    counts[k]++;
  }
  EXPECT_EQ(counts[0], 300);
  EXPECT_EQ(counts[1], 100);
}

}  // namespace
}  // namespace zerodrop

// cpu_wait: the sampler records a flat stretch once at each end, and the kernel's figure is read.
#include "zerodrop/cpu_wait.hpp"

#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

namespace zerodrop {
namespace {

TEST(CpuWait, ReadsThisProcessAndNothingForAPidThatIsGone) {
  const auto w = read_cpu_wait(::getpid());
  ASSERT_TRUE(w.has_value()) << "/proc/self/task/*/schedstat unreadable";
  EXPECT_GE(*w, 0);
  EXPECT_FALSE(read_cpu_wait(0x3fffffff).has_value());
}

TEST(CpuWait, AFlatStretchIsRecordedAtItsStartAndItsEnd) {
  CpuWaitSampler s;
  auto n = [](const std::vector<CpuWaitSample>& v) { return v.size(); };
  EXPECT_EQ(n(s.add(5, {10, 100})), 1u);  // first sample
  EXPECT_EQ(n(s.add(5, {20, 100})), 0u);  // flat
  EXPECT_EQ(n(s.add(5, {30, 100})), 0u);  // flat
  auto moved = s.add(5, {40, 900});       // the last flat sample, then the move
  ASSERT_EQ(n(moved), 2u);
  EXPECT_EQ(moved[0].t_ns, 30);
  EXPECT_EQ(moved[0].wait_ns, 100);
  EXPECT_EQ(moved[1].t_ns, 40);
  EXPECT_EQ(moved[1].wait_ns, 900);
  EXPECT_EQ(n(s.add(5, {50, 950})), 1u);  // moving: each sample
  EXPECT_EQ(n(s.add(6, {50, 7})), 1u);    // another pid, its own series
}

TEST(CpuWait, AProcessFirstSeenLateWaitedForNothingBeforeItStarted) {
  CpuWaitSampler s;
  auto first = s.add(9, {400, 300}, 100);  // started at 100, first read at 400: 300 ns waited
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].t_ns, 100);
  EXPECT_EQ(first[0].wait_ns, 0);
  EXPECT_EQ(first[1].wait_ns, 300);
  EXPECT_EQ(s.add(9, {500, 300}, 100).size(), 0u);  // only the first sighting
}

TEST(CpuWait, TheStartOfThisProcessIsBeforeNow) {
  const auto started = process_start_boottime_ns(::getpid());
  ASSERT_TRUE(started.has_value());
  timespec boot{};
  ASSERT_EQ(::clock_gettime(CLOCK_BOOTTIME, &boot), 0);
  EXPECT_LE(*started, boot.tv_sec * 1'000'000'000LL + boot.tv_nsec);
  EXPECT_GT(*started, 0);
}

}  // namespace
}  // namespace zerodrop

// The toy server's restart, from gtest through zerodrop::testing: run a scenario, then assert on
// the invariants that matter here, each failure carrying zerodrop's evidence.
#include <gtest/gtest.h>

#include <zerodrop/testing.hpp>

namespace {

using zerodrop::testing::InvariantHolds;
using zerodrop::testing::ScenarioPasses;

TEST(ToyServer, RestartUnderLoadDropsNothing) {
  // {server} in the scenario stands for this build's toy-server.
  auto report = zerodrop::testing::run_scenario_file(TOY_SCENARIOS "/restart.yaml", TOY_SERVER);
  EXPECT_TRUE(InvariantHolds(report, "no_dropped_requests"));
  EXPECT_TRUE(InvariantHolds(report, "in_flight_served_by_old"));
  EXPECT_TRUE(InvariantHolds(report, "pid_transition"));
  EXPECT_TRUE(ScenarioPasses(report));
}

}  // namespace

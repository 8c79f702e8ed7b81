// zerodrop/testing.hpp: the gtest helpers read a report back and fail with the evidence.
#include "zerodrop/testing.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using zerodrop::testing::InvariantHolds;
using zerodrop::testing::recheck_history;
using zerodrop::testing::run_scenario_file;
using zerodrop::testing::ScenarioPasses;

// histories/dropped.jsonl: three requests, one reset; invariants no_dropped_requests (fails)
// and pid_transition (holds).
const std::string kDropped = ZERODROP_TEST_HISTORIES "/dropped.jsonl";

TEST(Testing, ReportReadBackFromARecordedHistory) {
  auto r = recheck_history(kDropped);
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_FALSE(r.passed());
  ASSERT_EQ(r.invariants.size(), 2u) << r;
  EXPECT_EQ(r.invariants[0].name, "no_dropped_requests");
  EXPECT_EQ(r.invariants[0].verdict, "fail");
  EXPECT_EQ(r.invariants[0].examples, std::vector<std::uint64_t>{1});
  EXPECT_TRUE(r.passed("pid_transition"));
  EXPECT_FALSE(r.passed("no_dropped_requests"));
  EXPECT_EQ(r.evidence("no_dropped_requests"),
            "no_dropped_requests: fail — 3 requests, 2 ok, 1 dropped (reset=1) [ids 1]");
}

TEST(Testing, InvariantHoldsFailsWithItsEvidenceAndTheTable) {
  auto r = recheck_history(kDropped);
  EXPECT_TRUE(InvariantHolds(r, "pid_transition"));
  auto failed = InvariantHolds(r, "no_dropped_requests");
  ASSERT_FALSE(failed);
  const std::string msg = failed.message();
  EXPECT_EQ(msg.rfind("no_dropped_requests: fail — 3 requests, 2 ok, 1 dropped", 0), 0u) << msg;
  EXPECT_NE(msg.find("RESULT: FAIL (no_dropped_requests)"), std::string::npos) << msg;
}

TEST(Testing, AnInvariantNotCheckedDoesNotHold) {
  auto r = recheck_history(kDropped);
  auto missing = InvariantHolds(r, "settles");
  ASSERT_FALSE(missing);
  EXPECT_NE(std::string(missing.message()).find("settles: not in the report"), std::string::npos)
      << missing.message();
}

TEST(Testing, ScenarioPassesNamesEachFailedInvariant) {
  auto r = recheck_history(kDropped);
  auto res = ScenarioPasses(r);
  ASSERT_FALSE(res);
  const std::string msg = res.message();
  EXPECT_NE(msg.find("  no_dropped_requests: fail"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("pid_transition: pass"), std::string::npos) << msg;
}

TEST(Testing, AScenarioErrorIsExit2WithTheMessageAndNoInvariants) {
  auto r = run_scenario_file(ZERODROP_TEST_BAD_SCENARIOS "/bad_rate.yaml", "/bin/true");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.invariants.empty());
  EXPECT_NE(r.errors.find("load.rate"), std::string::npos) << r.errors;
  auto res = ScenarioPasses(r);
  ASSERT_FALSE(res);
  EXPECT_NE(std::string(res.message()).find("exit 2"), std::string::npos) << res.message();
}

}  // namespace

// `zerodrop conform` without a server: the climb over made-up outcomes (a level is reached only
// when it and every level below pass; unknown is never a pass), a level's scenarios ending in any
// order (--jobs) kept as one after another keeps them, and the built-in suite (each scenario
// parses, the levels climb in order, each flag lands on its key).
#include "zerodrop/conform.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

// The level's driver (conform.cpp), fed by a stand-in for where the runs happen.
#include "../src/conform/parts.hpp"
#include "zerodrop/scenario.hpp"

namespace zerodrop {
namespace {

ConformOutcome pass(const std::string& name) {
  return {name, ConformVerdict::kPass, "", "", 0};
}
ConformOutcome fail(const std::string& name, const std::string& inv) {
  return {name, ConformVerdict::kFail, inv, "evidence", 1};
}
ConformOutcome unknown(const std::string& name, const std::string& inv) {
  return {name, ConformVerdict::kUnknown, inv, "no evidence", 3};
}

std::vector<std::vector<ConformOutcome>> all_pass() {
  return {{pass("L1-shutdown"), pass("L1-deadline")},
          {pass("L2")},
          {pass("L3")},
          {pass("L4")},
          {pass("L5-storm"), pass("L5-leaks")}};
}

// The climb reached `reached`, exits `exit`, and level `level` (1-based) is in `state`.
void expect_climb(const Climb& c, int reached, int exit, int level, const std::string& state) {
  EXPECT_EQ(c.reached, reached);
  EXPECT_EQ(c.exit, exit);
  EXPECT_EQ(c.levels[static_cast<std::size_t>(level - 1)].state, state);
}

TEST(ConformClimb, EveryLevelPassingReachesFive) {
  const Climb c = climb(all_pass(), 5);
  EXPECT_EQ(c.reached, 5);
  EXPECT_EQ(c.exit, 0);
  for (const auto& l : c.levels)
    EXPECT_EQ(l.state, "reached");
}

TEST(ConformClimb, AFailureStopsTheClimbAndExitsOne) {
  auto by = all_pass();
  by[2] = {fail("L3", "graceful_close")};
  const Climb c = climb(by, 5);
  expect_climb(c, 2, 1, 3, "stopped");
  // L4 and L5 passed, but above a stopped level they are not reached.
  EXPECT_EQ(c.levels[3].state, "not run");
  EXPECT_EQ(c.levels[4].state, "not run");
}

TEST(ConformClimb, UnknownIsNeverAPassAndExitsThree) {
  auto by = all_pass();
  by[0] = {pass("L1-shutdown"), unknown("L1-deadline", "deadline_honoured")};
  expect_climb(climb(by, 5), 0, 3, 1, "unknown");
}

TEST(ConformClimb, AFailureBesideAnUnknownIsAFailure) {
  auto by = all_pass();
  by[1] = {unknown("L2a", "latency_bound"), fail("L2b", "no_dropped_requests")};
  expect_climb(climb(by, 5), 1, 1, 2, "stopped");
}

TEST(ConformClimb, TheRequestedLevelReachedExitsZeroWhateverIsAbove) {
  auto by = all_pass();
  by.resize(2);  // --level 2: nothing above it runs
  expect_climb(climb(by, 2), 2, 0, 3, "not run");
  by = all_pass();
  by[3] = {fail("L4", "latency_bound")};
  expect_climb(climb(by, 3), 3, 0, 4, "stopped");
}

TEST(ConformClimb, ALevelThatDidNotRunIsNotReached) {
  auto by = all_pass();
  by[1].clear();
  expect_climb(climb(by, 5), 1, 3, 2, "not run");
}

ConformOptions options() {
  ConformOptions o;
  o.server = "{server} --mode fork-restart --pid-file {pid_file}";
  o.workdir = "/tmp/conform-test";
  return o;
}

// Runs that end when next() is called, the lowest id first or the highest first, each attempt's
// outcome scripted: the orders in which child processes may end.
class ScriptedRuns : public conform::Runs {
 public:
  std::map<std::size_t, std::vector<ConformOutcome>> script;  // per id, per attempt
  bool highest_first = false;
  std::vector<std::size_t> started, cancelled;

  void start(std::size_t id, const ConformScenario&) override {
    started.push_back(id);
    running_.insert(id);
  }
  Done next() override {
    const auto it = highest_first ? std::prev(running_.end()) : running_.begin();
    const std::size_t id = *it;
    running_.erase(it);
    return {id, script.at(id).at(attempts_[id]++)};
  }
  void cancel(std::size_t id) override {
    cancelled.push_back(id);
    running_.erase(id);
  }
  std::size_t running() const override { return running_.size(); }

 private:
  std::set<std::size_t> running_;
  std::map<std::size_t, int> attempts_;
};

struct Level {
  std::vector<ConformScenario> suite{
      {1, "L1-a", "a", "", ""}, {1, "L1-b", "b", "", ""}, {1, "L1-c", "c", "", ""}};
  std::vector<const ConformScenario*> ptrs() const {
    std::vector<const ConformScenario*> p;
    for (const auto& s : suite)
      p.push_back(&s);
    return p;
  }
};

std::vector<std::string> names(const std::vector<ConformOutcome>& kept) {
  std::vector<std::string> n;
  for (const auto& o : kept)
    n.push_back(o.scenario + ":" + to_string(o.verdict));
  return n;
}

ConformOutcome invalid(const std::string& name) {
  return {name, ConformVerdict::kUnknown, "run_validity", "load engine behind", 3};
}

TEST(ConformLevel, ALaterScenarioEndingFirstIsLeftOutBehindAnEarlierFailure) {
  Level l;
  ScriptedRuns runs;
  runs.highest_first = true;  // L1-c ends first, then L1-b fails: L1-c must not count
  runs.script = {{0, {pass("L1-a")}}, {1, {fail("L1-b", "settles")}}, {2, {pass("L1-c")}}};
  std::vector<ConformOutcome> kept;
  std::ostringstream out;
  EXPECT_EQ(conform::climb_level(l.ptrs(), 3, runs, kept, out), 0);
  EXPECT_EQ(names(kept), (std::vector<std::string>{"L1-a:pass", "L1-b:fail"}));
  const std::string text = out.str();
  EXPECT_LT(text.find("L1-a"), text.find("L1-b"));  // suite order, not the order they ended
  EXPECT_EQ(text.find("L1-c"), std::string::npos);
}

TEST(ConformLevel, AFailureCancelsTheLaterRunsAndStartsNoMore) {
  Level l;
  ScriptedRuns runs;  // lowest first: L1-a fails while L1-b runs; L1-c never starts (jobs 2)
  runs.script = {{0, {fail("L1-a", "no_dropped_requests")}}, {1, {pass("L1-b")}}};
  std::vector<ConformOutcome> kept;
  std::ostringstream out;
  EXPECT_EQ(conform::climb_level(l.ptrs(), 2, runs, kept, out), 0);
  EXPECT_EQ(names(kept), (std::vector<std::string>{"L1-a:fail"}));
  EXPECT_EQ(runs.started, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(runs.cancelled, (std::vector<std::size_t>{1}));
}

TEST(ConformLevel, OneAtATimeStopsAtTheFirstFailure) {
  Level l;
  ScriptedRuns runs;
  runs.script = {{0, {pass("L1-a")}}, {1, {unknown("L1-b", "settles")}}};
  std::vector<ConformOutcome> kept;
  std::ostringstream out;
  EXPECT_EQ(conform::climb_level(l.ptrs(), 1, runs, kept, out), 0);
  EXPECT_EQ(names(kept), (std::vector<std::string>{"L1-a:pass", "L1-b:unknown"}));
  EXPECT_EQ(runs.started, (std::vector<std::size_t>{0, 1}));
}

TEST(ConformLevel, AnInvalidRunIsRunOnceMoreInItsPlace) {
  Level l;
  ScriptedRuns runs;
  runs.highest_first = true;
  runs.script = {{0, {invalid("L1-a"), pass("L1-a")}},
                 {1, {invalid("L1-b"), invalid("L1-b")}},
                 {2, {pass("L1-c")}}};
  std::vector<ConformOutcome> kept;
  std::ostringstream out;
  EXPECT_EQ(conform::climb_level(l.ptrs(), 3, runs, kept, out), 0);
  // L1-b invalid twice: unknown, it stops the level; L1-a passed on its second run.
  EXPECT_EQ(names(kept), (std::vector<std::string>{"L1-a:pass", "L1-b:unknown"}));
  EXPECT_NE(kept[1].evidence.find("(second run; the first was invalid: load engine behind)"),
            std::string::npos);
  EXPECT_EQ(runs.started, (std::vector<std::size_t>{0, 1, 2, 1, 0}));
  const std::string text = out.str();
  const auto once_more = text.find("L1-a: run invalid (load engine behind): once more");
  ASSERT_NE(once_more, std::string::npos);
  EXPECT_LT(once_more, text.find("L1-a             "));
  EXPECT_LT(text.find("L1-a             "), text.find("L1-b: run invalid"));
}

TEST(ConformLevel, AnInterruptEndsTheLevelAtOnce) {
  Level l;
  ScriptedRuns runs;
  runs.script = {{0, {{"L1-a", ConformVerdict::kUnknown, "", "", 130}}}};
  std::vector<ConformOutcome> kept;
  std::ostringstream out;
  EXPECT_EQ(conform::climb_level(l.ptrs(), 2, runs, kept, out), 130);
  EXPECT_TRUE(kept.empty());
}

TEST(ConformSuite, EveryScenarioParsesAndTheLevelsClimbInOrder) {
  const auto suite = conform_suite(options());
  ASSERT_FALSE(suite.empty());
  int level = 1;
  for (const auto& s : suite) {
    EXPECT_GE(s.level, level) << s.name;
    level = s.level;
    EXPECT_EQ(s.name.substr(0, 2), "L" + std::to_string(s.level));
    EXPECT_FALSE(s.runs.empty()) << s.name;
    Scenario sc;
    ASSERT_NO_THROW(sc = parse_scenario_text(s.yaml, s.name + ".yaml")) << s.yaml;
    EXPECT_EQ(sc.server.front(), "{server}");
    EXPECT_EQ(sc.expect.drain_ms, 5000);
    EXPECT_FALSE(sc.expect.invariants.empty()) << s.name;
  }
  EXPECT_EQ(level, kConformLevels);
}

TEST(ConformSuite, SignalsAndTheDrainLandInTheirScenarios) {
  ConformOptions o = options();
  o.reload_signal = "USR2";
  o.stop_signal = "QUIT";
  o.drain_ms = 1000;
  for (const auto& s : conform_suite(o)) {
    const Scenario sc = parse_scenario_text(s.yaml, s.name + ".yaml");
    EXPECT_EQ(sc.expect.drain_ms, 1000);
    for (const auto& f : sc.faults)
      if (!f.signal.empty()) {
        EXPECT_EQ(f.signal, s.level == 1 ? "QUIT" : "USR2") << s.name;
      }
    if (s.name == "L1-deadline") {
      EXPECT_EQ(s.extra_check, "deadline_honoured");
      ASSERT_EQ(sc.load.kinds.size(), 2u);
      EXPECT_EQ(sc.load.kinds[1].ms, 3000);  // drain + 2 s: it outlasts the deadline
    }
  }
}

TEST(ConformSuite, ServerFlagsSetTheirKeysInEveryScenario) {
  ConformOptions o = options();
  o.listener = "port";
  o.ready = "stdout";
  for (const auto& s : conform_suite(o)) {
    const Scenario sc = parse_scenario_text(s.yaml, s.name + ".yaml");
    EXPECT_EQ(sc.listener, Listener::kPort) << s.name;
    EXPECT_EQ(sc.ready, Ready::kStdout) << s.name;
  }
  o.ready = "log:listening at (\\d+)";
  for (const auto& s : conform_suite(o))
    EXPECT_NE(s.yaml.find("log: listening at (\\d+)"), std::string::npos) << s.yaml;
}

TEST(ConformSuite, UnusedFlagsWriteNoKey) {
  for (const auto& s : conform_suite(options())) {
    EXPECT_EQ(s.yaml.find("listener"), std::string::npos) << s.yaml;
    EXPECT_EQ(s.yaml.find("pid_header"), std::string::npos) << s.yaml;
    EXPECT_EQ(s.yaml.find("reload:"), std::string::npos) << s.yaml;
  }
}

TEST(ConformSuite, FromTakesTheServerOfAScenario) {
  const std::string file = ::testing::TempDir() + "conform_from.yaml";
  std::ofstream(file) << R"(name: peer
server:
  command: ["/usr/sbin/nginx", "-g", "daemon off;"]
  listener: port
  ready: stdout
faults:
  - {at_ms: 100, signal: TERM}
  - {at_ms: 200, signal: SIGUSR2}
expect:
  drain_ms: 3000
)";
  ConformOptions o;
  o.from = file;
  o.workdir = "/tmp/conform-test";
  for (const auto& s : conform_suite(o)) {
    const Scenario sc = parse_scenario_text(s.yaml, s.name + ".yaml");
    EXPECT_EQ(sc.server, (std::vector<std::string>{"/usr/sbin/nginx", "-g", "daemon off;"}));
    EXPECT_EQ(sc.listener, Listener::kPort) << s.name;
    EXPECT_EQ(sc.expect.drain_ms, 3000) << s.name;
    for (const auto& f : sc.faults)
      if (!f.signal.empty()) {
        EXPECT_EQ(f.signal, s.level == 1 ? "TERM" : "USR2") << s.name;
      }
  }
  o.server = "/bin/other --flag";  // --server replaces the command, keeps the rest
  o.drain_ms = 2000;
  const Scenario sc = parse_scenario_text(conform_suite(o).front().yaml, "x.yaml");
  EXPECT_EQ(sc.server, (std::vector<std::string>{"/bin/other", "--flag"}));
  EXPECT_EQ(sc.listener, Listener::kPort);
  EXPECT_EQ(sc.expect.drain_ms, 2000);
}

// The suite's scenarios are written to a workdir: {scenario_dir} in the --from block must still
// name the --from file's folder (SCOREBOARD's gunicorn rows were "not ready": --chdir
// {scenario_dir} pointed into the workdir).
TEST(ConformSuite, FromKeepsItsScenarioDir) {
  const std::string dir = ::testing::TempDir() + "conform_from_dir";
  std::filesystem::create_directories(dir);
  const std::string file = dir + "/peer.yaml";
  std::ofstream(file) << R"(name: peer
server:
  command: ["/usr/bin/python3", "-m", "gunicorn", "--chdir", "{scenario_dir}/apps", "app:app"]
  env: {CONF: "{scenario_dir}/a.conf:{scenario_dir}/b.conf"}
  listener: port
  ready: stdout
)";
  ConformOptions o;
  o.from = file;
  o.workdir = "/tmp/conform-test";
  const std::string abs = std::filesystem::absolute(dir).string();
  for (const auto& s : conform_suite(o)) {
    const Scenario sc = parse_scenario_text(s.yaml, s.name + ".yaml");
    EXPECT_EQ(sc.server.at(4), abs + "/apps") << s.name;
    EXPECT_EQ(sc.env.at("CONF"), abs + "/a.conf:" + abs + "/b.conf") << s.name;
  }
  o.vars["scenario_dir"] = "/elsewhere";  // a --var still wins
  const Scenario sc = parse_scenario_text(conform_suite(o).front().yaml, "x.yaml");
  EXPECT_EQ(sc.server.at(4), "/elsewhere/apps");
}

TEST(ConformSuite, BadFlagsAreUsageErrors) {
  ConformOptions o = options();
  o.reload_signal = "SIGFOO";
  EXPECT_THROW(conform_suite(o), std::invalid_argument);
  o = options();
  o.level = 6;
  EXPECT_THROW(conform_suite(o), std::invalid_argument);
  o = options();
  o.drain_ms = 100;
  EXPECT_THROW(conform_suite(o), std::invalid_argument);
  o = options();
  o.jobs = 0;
  EXPECT_THROW(conform_suite(o), std::invalid_argument);
  o = options();
  o.server.clear();
  EXPECT_THROW(conform_suite(o), std::invalid_argument);
  o.from = "/nonexistent/scenario.yaml";
  EXPECT_THROW(conform_suite(o), std::invalid_argument);
}

}  // namespace
}  // namespace zerodrop

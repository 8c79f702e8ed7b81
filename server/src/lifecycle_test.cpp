// Unit tests for the lifecycle tables: the signal map and the transitions.
#include "zerodrop/server/lifecycle.hpp"

#include <gtest/gtest.h>
#include <signal.h>

namespace zerodrop::server {
namespace {

Event ev(int signo, Mode mode) {
  return event_for_signal(*find_signal_rule(signo), mode);
}

TEST(Lifecycle, SignalTableMatchesTheContract) {
  EXPECT_EQ(ev(SIGHUP, Mode::kForkRestart), Event::kRestartSignal);
  EXPECT_EQ(ev(SIGHUP, Mode::kShutdown), Event::kIgnoredSignal);
  for (Mode m : {Mode::kForkRestart, Mode::kShutdown}) {
    EXPECT_EQ(ev(SIGINT, m), Event::kShutdownSignal);
    EXPECT_EQ(ev(SIGTERM, m), Event::kShutdownSignal);
    EXPECT_EQ(ev(SIGUSR2, m), Event::kHammerSignal);
    EXPECT_EQ(ev(SIGUSR1, m), Event::kStatsSignal);
    EXPECT_EQ(ev(SIGTSTP, m), Event::kStatsSignal);
    EXPECT_EQ(ev(SIGCHLD, m), Event::kChildSignal);
  }
  EXPECT_EQ(find_signal_rule(SIGWINCH), nullptr);
}

TEST(Lifecycle, HappyRestart) {
  Step s = next_step(State::kServing, Event::kRestartSignal);
  EXPECT_EQ(s.next, State::kRestarting);
  EXPECT_EQ(s.action, Action::kSpawnChild);
  s = next_step(State::kRestarting, Event::kChildReady);
  EXPECT_EQ(s.next, State::kDraining);
  EXPECT_EQ(s.action, Action::kHandOverDrain);
  s = next_step(State::kDraining, Event::kDrainComplete);
  EXPECT_EQ(s.next, State::kExited);
  EXPECT_EQ(s.action, Action::kExitClean);
}

TEST(Lifecycle, RestartStormIsCoalescedAndFailureResumesServing) {
  EXPECT_EQ(next_step(State::kRestarting, Event::kRestartSignal).action, Action::kCoalesce);
  EXPECT_EQ(next_step(State::kRestarting, Event::kRestartSignal).next, State::kRestarting);
  Step f = next_step(State::kRestarting, Event::kChildFailed);
  EXPECT_EQ(f.next, State::kServing);
  EXPECT_EQ(f.action, Action::kResumeServing);
  // ... and the next SIGHUP tries again.
  EXPECT_EQ(next_step(f.next, Event::kRestartSignal).action, Action::kSpawnChild);
}

TEST(Lifecycle, ShutdownPaths) {
  EXPECT_EQ(next_step(State::kServing, Event::kShutdownSignal).action, Action::kShutdownDrain);
  EXPECT_EQ(next_step(State::kRestarting, Event::kShutdownSignal).action, Action::kAbortChildDrain);
  EXPECT_EQ(next_step(State::kDraining, Event::kShutdownSignal).action, Action::kLogIgnored);
  // A SIGHUP that reached the old generation after its hand-over: the successor may need it.
  EXPECT_EQ(next_step(State::kDraining, Event::kRestartSignal).action, Action::kForwardRestart);
  Step d = next_step(State::kDraining, Event::kDrainDeadline);
  EXPECT_EQ(d.next, State::kExited);
  EXPECT_EQ(d.action, Action::kExitForced);
}

TEST(Lifecycle, HammerExitsFromEveryLiveState) {
  for (State s : {State::kServing, State::kRestarting, State::kDraining}) {
    EXPECT_EQ(next_step(s, Event::kHammerSignal).next, State::kExited);
    EXPECT_EQ(next_step(s, Event::kHammerSignal).action, Action::kHammer);
  }
}

TEST(Lifecycle, ExitedIsTerminalAndStatsNeverChangeState) {
  for (int e = 0; e < kEventCount; ++e) {
    Step s = next_step(State::kExited, static_cast<Event>(e));
    EXPECT_EQ(s.next, State::kExited);
    EXPECT_EQ(s.action, Action::kNone);
  }
  for (State st : {State::kServing, State::kRestarting, State::kDraining})
    EXPECT_EQ(next_step(st, Event::kStatsSignal).next, st);
}

TEST(Lifecycle, OutcomesOutsideARestartAreIgnored) {
  EXPECT_EQ(next_step(State::kServing, Event::kChildReady).action, Action::kNone);
  EXPECT_EQ(next_step(State::kServing, Event::kChildFailed).action, Action::kNone);
  EXPECT_EQ(next_step(State::kServing, Event::kDrainComplete).action, Action::kNone);
}

TEST(Lifecycle, OnlyALiveGenerationAnnouncesItself) {
  EXPECT_EQ(next_step(State::kServing, Event::kParentAnswered).action, Action::kAnnounce);
  // Restarting already (a forwarded SIGHUP): the successor's outcome writes the pid file.
  EXPECT_EQ(next_step(State::kRestarting, Event::kParentAnswered).action,
            Action::kAnnounceNoPidFile);
  Step d = next_step(State::kDraining, Event::kParentAnswered);
  EXPECT_EQ(d.next, State::kDraining);
  EXPECT_EQ(d.action, Action::kSkipAnnounce);
}

TEST(Lifecycle, NamesCoverEveryValue) {
  for (int e = 0; e < kEventCount; ++e)
    EXPECT_NE(event_name(static_cast<Event>(e)), nullptr);
  EXPECT_STREQ(state_name(State::kDraining), "draining");
  EXPECT_STREQ(action_name(Action::kExitForced), "exit_forced");
  EXPECT_STREQ(event_name(Event::kParentAnswered), "parent_answered");
  EXPECT_STREQ(action_name(Action::kSkipAnnounce), "skip_announce");
}

}  // namespace
}  // namespace zerodrop::server

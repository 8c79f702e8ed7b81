// lifecycle: the one place that decides what the process does next.
//
// Contract: a pure state machine — no I/O, no clock. The server feeds it Events (signals,
// mapped through kSignalTable by mode, and outcomes: child ready/failed, drain complete,
// drain deadline) and performs the returned Action. Everything the process can do in every
// state is in the two tables in lifecycle.cpp, readable in one screen:
//
//   states: serving → restarting → (child ready) → draining → exited
//                    ↖ (child failed) ↙
//
// A SIGHUP while restarting is coalesced (never two children), but not lost: if the binary on
// disk is no longer the one the pending child exec'd, the request is remembered and carried
// out once this attempt ends (the successor is sent SIGHUP before it announces itself, or a
// failed attempt is retried once). While draining after a hand-over, such a SIGHUP is
// forwarded to the successor; otherwise it is ignored.
// A generation announces itself (pid file, MAINPID=) only if it is not already draining.
#pragma once

#include <cstdint>

#include "zerodrop/server/config.hpp"

namespace zerodrop::server {

enum class State : std::uint8_t { kServing, kRestarting, kDraining, kExited };

enum class Event : std::uint8_t {
  kRestartSignal,   // SIGHUP in fork-restart mode
  kShutdownSignal,  // SIGINT, SIGTERM
  kHammerSignal,    // SIGUSR2
  kStatsSignal,     // SIGUSR1, SIGTSTP
  kIgnoredSignal,   // SIGHUP in shutdown mode
  kChildSignal,     // SIGCHLD
  kChildReady,      // the new generation wrote its ready byte
  kChildFailed,     // exec failed, child died, or ready timeout (child reaped)
  kDrainComplete,   // no connection left
  kDrainDeadline,   // --shutdown-timeout passed
  kParentAnswered,  // the parent generation stopped accepting (answer, EOF or 1 s timeout)
};
inline constexpr int kEventCount = 11;

enum class Action : std::uint8_t {
  kNone,
  kLogIgnored,         // log signal_ignored
  kCoalesce,           // log restart_coalesced; remember a request for a replaced binary
  kLogStats,           // log stats
  kReapChildren,       // waitpid loop
  kSpawnChild,         // RELOADING=1, fork+exec, await readiness
  kShutdownDrain,      // STOPPING=1, close listener, drain
  kAbortChildDrain,    // kill+reap the child, then as kShutdownDrain
  kHandOverDrain,      // close our copy of the listener, drain (the child serves)
  kResumeServing,      // restart failed: log, READY=1 + STATUS=, pid file rewritten
  kHammer,             // kill+reap any child, close every connection, exit 0
  kExitClean,          // exit 0
  kExitForced,         // force-close what remains, exit 1
  kForwardRestart,     // after a hand-over: SIGHUP the successor if the binary was replaced
  kAnnounce,           // pid file, stdout line, MAINPID= + READY=1
  kAnnounceNoPidFile,  // restarting already: as kAnnounce, the pid file waits for the outcome
  kSkipAnnounce,       // already draining: not the generation to follow; log announce_skipped
};

struct Step {
  State next;
  Action action;
};

struct SignalRule {
  int signo;
  const char* name;
  Event fork_restart;
  Event shutdown;
};

// The signal map (nginx's signals[]): see lifecycle.cpp.
const SignalRule* find_signal_rule(int signo);
const SignalRule* signal_rules_begin();
const SignalRule* signal_rules_end();

Event event_for_signal(const SignalRule& rule, Mode mode);
Step next_step(State state, Event event);

const char* state_name(State s);
const char* event_name(Event e);
const char* action_name(Action a);

}  // namespace zerodrop::server

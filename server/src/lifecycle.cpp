// The lifecycle tables. See lifecycle.hpp.
#include "zerodrop/server/lifecycle.hpp"

#include <signal.h>

#include <iterator>

namespace zerodrop::server {
namespace {

using E = Event;

// clang-format off
// ---- The signal table: signal → event, per --mode. -------------------------------------
constexpr SignalRule kSignalTable[] = {
    //  signo    name       --mode fork-restart  --mode shutdown
    {SIGHUP, "SIGHUP", E::kRestartSignal, E::kIgnoredSignal},
    {SIGINT, "SIGINT", E::kShutdownSignal, E::kShutdownSignal},
    {SIGTERM, "SIGTERM", E::kShutdownSignal, E::kShutdownSignal},
    {SIGUSR2, "SIGUSR2", E::kHammerSignal, E::kHammerSignal},
    {SIGUSR1, "SIGUSR1", E::kStatsSignal, E::kStatsSignal},
    {SIGTSTP, "SIGTSTP", E::kStatsSignal, E::kStatsSignal},
    {SIGCHLD, "SIGCHLD", E::kChildSignal, E::kChildSignal},
};

// ---- The transition table: (event, state) → (next state, action). ---------------------
using S = State;
using A = Action;
constexpr Step kTransitions[kEventCount][4] = {
    //                 kServing                     kRestarting                      kDraining                      kExited
    /* Restart   */ {{S::kRestarting, A::kSpawnChild}, {S::kRestarting, A::kCoalesce},     {S::kDraining, A::kForwardRestart}, {S::kExited, A::kNone}},
    /* Shutdown  */ {{S::kDraining, A::kShutdownDrain}, {S::kDraining, A::kAbortChildDrain}, {S::kDraining, A::kLogIgnored}, {S::kExited, A::kNone}},
    /* Hammer    */ {{S::kExited, A::kHammer},        {S::kExited, A::kHammer},           {S::kExited, A::kHammer},      {S::kExited, A::kNone}},
    /* Stats     */ {{S::kServing, A::kLogStats},     {S::kRestarting, A::kLogStats},     {S::kDraining, A::kLogStats},  {S::kExited, A::kNone}},
    /* Ignored   */ {{S::kServing, A::kLogIgnored},   {S::kRestarting, A::kLogIgnored},   {S::kDraining, A::kLogIgnored}, {S::kExited, A::kNone}},
    /* Child sig */ {{S::kServing, A::kReapChildren}, {S::kRestarting, A::kReapChildren}, {S::kDraining, A::kReapChildren}, {S::kExited, A::kNone}},
    /* Ready     */ {{S::kServing, A::kNone},         {S::kDraining, A::kHandOverDrain},  {S::kDraining, A::kNone},      {S::kExited, A::kNone}},
    /* Failed    */ {{S::kServing, A::kNone},         {S::kServing, A::kResumeServing},   {S::kDraining, A::kNone},      {S::kExited, A::kNone}},
    /* Drained   */ {{S::kServing, A::kNone},         {S::kRestarting, A::kNone},         {S::kExited, A::kExitClean},   {S::kExited, A::kNone}},
    /* Deadline  */ {{S::kServing, A::kNone},         {S::kRestarting, A::kNone},         {S::kExited, A::kExitForced},  {S::kExited, A::kNone}},
    /* Answered  */ {{S::kServing, A::kAnnounce},     {S::kRestarting, A::kAnnounceNoPidFile}, {S::kDraining, A::kSkipAnnounce}, {S::kExited, A::kNone}},
};
// clang-format on

}  // namespace

const SignalRule* find_signal_rule(int signo) {
  for (const auto& r : kSignalTable)
    if (r.signo == signo) return &r;
  return nullptr;
}
const SignalRule* signal_rules_begin() {
  return std::begin(kSignalTable);
}
const SignalRule* signal_rules_end() {
  return std::end(kSignalTable);
}

Event event_for_signal(const SignalRule& rule, Mode mode) {
  return mode == Mode::kForkRestart ? rule.fork_restart : rule.shutdown;
}

Step next_step(State state, Event event) {
  return kTransitions[static_cast<int>(event)][static_cast<int>(state)];
}

const char* state_name(State s) {
  static constexpr const char* kNames[] = {"serving", "restarting", "draining", "exited"};
  return kNames[static_cast<int>(s)];
}

const char* event_name(Event e) {
  static constexpr const char* kNames[] = {"restart_signal", "shutdown_signal", "hammer_signal",
                                           "stats_signal",   "ignored_signal",  "child_signal",
                                           "child_ready",    "child_failed",    "drain_complete",
                                           "drain_deadline", "parent_answered"};
  return kNames[static_cast<int>(e)];
}

const char* action_name(Action a) {
  static constexpr const char* kNames[] = {"none",
                                           "log_ignored",
                                           "coalesce",
                                           "log_stats",
                                           "reap_children",
                                           "spawn_child",
                                           "shutdown_drain",
                                           "abort_child_drain",
                                           "hand_over_drain",
                                           "resume_serving",
                                           "hammer",
                                           "exit_clean",
                                           "exit_forced",
                                           "forward_restart",
                                           "announce",
                                           "announce_no_pid_file",
                                           "skip_announce"};
  return kNames[static_cast<int>(a)];
}

}  // namespace zerodrop::server

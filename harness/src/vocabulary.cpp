// The signal table, and name lookups in the three tables of vocabulary.hpp.
#include "zerodrop/vocabulary.hpp"

#include <algorithm>
#include <csignal>
#include <stdexcept>

namespace zerodrop {

namespace {
// Stop signals: TERM/INT/QUIT are the usual "drain and exit", USR2 is the reference server's
// graceful stop, KILL ends a server without asking. HUP (restart), USR1 (reopen logs) and the job
// control signals leave it running.
constexpr std::array<SignalDef, 11> kSignals = {{
    {"HUP", SIGHUP, false},
    {"INT", SIGINT, true},
    {"TERM", SIGTERM, true},
    {"USR1", SIGUSR1, false},
    {"USR2", SIGUSR2, true},
    {"KILL", SIGKILL, true},
    {"QUIT", SIGQUIT, true},
    {"TSTP", SIGTSTP, false},
    {"WINCH", SIGWINCH, false},
    {"STOP", SIGSTOP, false},
    {"CONT", SIGCONT, false},
}};
}  // namespace

std::span<const SignalDef> signals() {
  return kSignals;
}

const SignalDef* find_signal(std::string_view name) {
  if (name.substr(0, 3) == "SIG") name.remove_prefix(3);
  for (const auto& s : kSignals)
    if (s.name == name) return &s;
  return nullptr;
}

int signal_number(std::string_view name) {
  const SignalDef* s = find_signal(name);
  return s != nullptr ? s->number : 0;
}

bool is_stop_signal(std::string_view name) {
  const SignalDef* s = find_signal(name);
  return s != nullptr && s->stops;
}

const char* to_string(Outcome o) {
  // string_view of a literal: NUL-terminated.
  return kOutcomes[static_cast<std::size_t>(o)].name.data();
}

bool is_outcome_name(std::string_view s) {
  return std::any_of(kOutcomes.begin(), kOutcomes.end(),
                     [&](const OutcomeDef& d) { return d.name == s; });
}

Outcome outcome_from_string(const std::string& s) {
  for (const auto& d : kOutcomes)
    if (d.name == s) return d.outcome;
  throw std::runtime_error("unknown outcome \"" + s + "\"");
}

std::string to_string(Invariant i) {
  return std::string(kInvariants[static_cast<std::size_t>(i)].name);
}

bool is_invariant_name(std::string_view s) {
  return std::any_of(kInvariants.begin(), kInvariants.end(),
                     [&](const InvariantDef& d) { return d.name == s; });
}

}  // namespace zerodrop

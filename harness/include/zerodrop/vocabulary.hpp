// vocabulary — the harness's names, one table each: signals, outcome classes, invariants.
//
// Contract: every name a scenario may write, a history may hold or a report may print for a
// signal, an outcome or an invariant is in exactly one table here, and the parser
// (scenario.cpp), the history, the nemesis, the checks and the reports look names up here
// instead of keeping lists of their own. Lookups by name take the bare name ("HUP", not
// "SIGHUP"; find_signal() also accepts the SIG prefix, as a scenario may) and return nullptr or
// false for a name not in the table; they never throw. The tables are in a fixed order: the
// outcome table in enum order (checked at compile time), the invariant table in report order.
// Event kinds are not here: the history's recorder owns them.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace zerodrop {

// --- signals -----------------------------------------------------------------------------------

struct SignalDef {
  std::string_view name;  // without "SIG"
  int number;
  // Whether the reference contract reads it as "stop" (drain and exit) rather than "restart"
  // or "reopen": the run's shutdown begins at the first one sent.
  bool stops;
};
// Every signal a scenario's fault may send, in the order a user would look for them.
std::span<const SignalDef> signals();
const SignalDef* find_signal(std::string_view name);  // "HUP" or "SIGHUP"; nullptr if unknown
int signal_number(std::string_view name);             // 0 if unknown
bool is_stop_signal(std::string_view name);           // false if unknown

// --- outcome classes ----------------------------------------------------------------------------

// How one request ended, from the client's side.
enum class Outcome {
  ok,
  refused,
  reset,
  eof_without_response,
  eof_on_reused_keepalive,
  reset_on_reused_keepalive,
  timeout,
  truncated,
  bad_status,
  bad_body,
  harness_error,
  indeterminate
};

struct OutcomeDef {
  Outcome outcome;
  std::string_view name;  // as written in histories, reports and `expect.allowed`
  std::string_view meaning;
};
inline constexpr std::array<OutcomeDef, 12> kOutcomes = {{
    {Outcome::ok, "ok", "a complete 2xx response with the right body"},
    {Outcome::refused, "refused", "connect() refused: nobody was listening"},
    {Outcome::reset, "reset", "RST on a fresh connection, before any response byte"},
    {Outcome::eof_without_response, "eof_without_response",
     "FIN on a fresh connection, before any response byte"},
    {Outcome::eof_on_reused_keepalive, "eof_on_reused_keepalive",
     "FIN on a reused keep-alive connection, before any byte"},
    {Outcome::reset_on_reused_keepalive, "reset_on_reused_keepalive",
     "RST on a reused keep-alive connection: never retryable"},
    {Outcome::timeout, "timeout", "no complete response within load.timeout_ms: a failure"},
    {Outcome::truncated, "truncated", "the response began and was cut short"},
    {Outcome::bad_status, "bad_status", "a complete response with a non-2xx status, or garbage"},
    {Outcome::bad_body, "bad_body", "a complete 2xx response whose body is wrong"},
    {Outcome::harness_error, "harness_error",
     "the harness itself failed (EMFILE, EADDRNOTAVAIL...): no verdict"},
    {Outcome::indeterminate, "indeterminate",
     "cut off by the harness's own end of run: fate unknown"},
}};
constexpr bool outcomes_in_enum_order() {
  for (std::size_t i = 0; i < kOutcomes.size(); ++i)
    if (static_cast<std::size_t>(kOutcomes[i].outcome) != i) return false;
  return kOutcomes.back().outcome == Outcome::indeterminate;  // the enum's last value
}
static_assert(outcomes_in_enum_order(), "kOutcomes must list every Outcome in enum order");

const char* to_string(Outcome o);
Outcome outcome_from_string(const std::string& s);  // throws std::runtime_error
bool is_outcome_name(std::string_view s);

// --- invariants ---------------------------------------------------------------------------------

// The invariants, in report order. Their checks are in checks.hpp (check_for()).
enum class Invariant {
  no_dropped_requests,
  in_flight_served_by_old,
  new_served_by_new,
  pid_transition,
  old_generation_exits,
  latency_bound,
  no_leaks,
  settles,
  graceful_close
};

struct InvariantDef {
  Invariant invariant;
  std::string_view name;  // as written in `expect.invariants` and in reports
};
inline constexpr std::array<InvariantDef, 9> kInvariants = {{
    {Invariant::no_dropped_requests, "no_dropped_requests"},
    {Invariant::in_flight_served_by_old, "in_flight_served_by_old"},
    {Invariant::new_served_by_new, "new_served_by_new"},
    {Invariant::pid_transition, "pid_transition"},
    {Invariant::old_generation_exits, "old_generation_exits"},
    {Invariant::latency_bound, "latency_bound"},
    {Invariant::no_leaks, "no_leaks"},
    {Invariant::settles, "settles"},
    {Invariant::graceful_close, "graceful_close"},
}};
constexpr bool invariants_in_enum_order() {
  for (std::size_t i = 0; i < kInvariants.size(); ++i)
    if (static_cast<std::size_t>(kInvariants[i].invariant) != i) return false;
  return kInvariants.back().invariant == Invariant::graceful_close;  // the enum's last value
}
static_assert(invariants_in_enum_order(), "kInvariants must list every Invariant in enum order");

std::string to_string(Invariant i);
bool is_invariant_name(std::string_view s);

}  // namespace zerodrop

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
  kOk,
  kRefused,
  kReset,
  kEofWithoutResponse,
  kEofOnReusedKeepalive,
  kResetOnReusedKeepalive,
  kTimeout,
  kTruncated,
  kBadStatus,
  kBadBody,
  kHarnessError,
  kIndeterminate
};

struct OutcomeDef {
  Outcome outcome;
  std::string_view name;  // as written in histories, reports and `expect.allowed`
  std::string_view meaning;
};
inline constexpr std::array<OutcomeDef, 12> kOutcomes = {{
    {Outcome::kOk, "ok", "a complete 2xx response with the right body"},
    {Outcome::kRefused, "refused", "connect() refused: nobody was listening"},
    {Outcome::kReset, "reset", "RST on a fresh connection, before any response byte"},
    {Outcome::kEofWithoutResponse, "eof_without_response",
     "FIN on a fresh connection, before any response byte"},
    {Outcome::kEofOnReusedKeepalive, "eof_on_reused_keepalive",
     "FIN on a reused keep-alive connection, before any byte"},
    {Outcome::kResetOnReusedKeepalive, "reset_on_reused_keepalive",
     "RST on a reused keep-alive connection: never retryable"},
    {Outcome::kTimeout, "timeout", "no complete response within load.timeout_ms: a failure"},
    {Outcome::kTruncated, "truncated", "the response began and was cut short"},
    {Outcome::kBadStatus, "bad_status", "a complete response with a non-2xx status, or garbage"},
    {Outcome::kBadBody, "bad_body", "a complete 2xx response whose body is wrong"},
    {Outcome::kHarnessError, "harness_error",
     "the harness itself failed (EMFILE, EADDRNOTAVAIL...): no verdict"},
    {Outcome::kIndeterminate, "indeterminate",
     "cut off by the harness's own end of run: fate unknown"},
}};
constexpr bool outcomes_in_enum_order() {
  for (std::size_t i = 0; i < kOutcomes.size(); ++i)
    if (static_cast<std::size_t>(kOutcomes[i].outcome) != i) return false;
  return kOutcomes.back().outcome == Outcome::kIndeterminate;  // the enum's last value
}
static_assert(outcomes_in_enum_order(), "kOutcomes must list every Outcome in enum order");

const char* to_string(Outcome o);
Outcome outcome_from_string(const std::string& s);  // throws std::runtime_error
bool is_outcome_name(std::string_view s);

// --- invariants ---------------------------------------------------------------------------------

// The invariants, in report order. Their checks are in checks.hpp (check_for()).
enum class Invariant {
  kNoDroppedRequests,
  kInFlightServedByOld,
  kNewServedByNew,
  kPidTransition,
  kOldGenerationExits,
  kLatencyBound,
  kNoLeaks,
  kSettles,
  kGracefulClose
};

struct InvariantDef {
  Invariant invariant;
  std::string_view name;  // as written in `expect.invariants` and in reports
};
inline constexpr std::array<InvariantDef, 9> kInvariants = {{
    {Invariant::kNoDroppedRequests, "no_dropped_requests"},
    {Invariant::kInFlightServedByOld, "in_flight_served_by_old"},
    {Invariant::kNewServedByNew, "new_served_by_new"},
    {Invariant::kPidTransition, "pid_transition"},
    {Invariant::kOldGenerationExits, "old_generation_exits"},
    {Invariant::kLatencyBound, "latency_bound"},
    {Invariant::kNoLeaks, "no_leaks"},
    {Invariant::kSettles, "settles"},
    {Invariant::kGracefulClose, "graceful_close"},
}};
constexpr bool invariants_in_enum_order() {
  for (std::size_t i = 0; i < kInvariants.size(); ++i)
    if (static_cast<std::size_t>(kInvariants[i].invariant) != i) return false;
  return kInvariants.back().invariant == Invariant::kGracefulClose;  // the enum's last value
}
static_assert(invariants_in_enum_order(), "kInvariants must list every Invariant in enum order");

std::string to_string(Invariant i);
bool is_invariant_name(std::string_view s);

}  // namespace zerodrop

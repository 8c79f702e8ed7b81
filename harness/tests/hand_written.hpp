// hand_written — helpers of the tests on hand-written histories and scenario texts: times in
// ms, an `ok` request record, the error a scenario text gives (empty when it parses).
#pragma once

#include <cstdint>
#include <string>

#include "zerodrop/history.hpp"
#include "zerodrop/scenario.hpp"

namespace zerodrop::hand_written {

constexpr std::int64_t ms(double v) {
  return static_cast<std::int64_t>(v * 1e6);
}

// Fast or slow, answered `ok` by pid with body, its first byte 1 ns before its end.
inline RequestRecord req(std::uint64_t id, const std::string& kind, double start_ms, double end_ms,
                         long pid, const std::string& body) {
  RequestRecord r;
  r.id = id;
  r.kind = kind;
  r.scheduled_ns = r.start_ns = ms(start_ms);
  r.first_byte_ns = ms(end_ms) - 1;
  r.end_ns = ms(end_ms);
  r.outcome = Outcome::kOk;
  r.status = 200;
  r.pid = pid;
  r.body = body;
  return r;
}

inline std::string error_of(const std::string& text) {
  try {
    parse_scenario_text(text, "s.yaml");
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

}  // namespace zerodrop::hand_written

// report — renders the checks' results for a person (a table) and for a program (JSON).
//
// Contract: render_text() writes the summary table — each invariant with pass/FAIL/unknown and
// its evidence, the PIDs, restart times, the run's validity — and a final RESULT line (PASS,
// FAIL, INCONCLUSIVE or INVALID); render_json() returns a document holding every invariant
// result, the validity, the generations' pids and restart times (Timeline::restart_times_ms()),
// every lifecycle event and every request record. exit_code(): 0 every
// selected invariant passed in a valid run; 1 one failed in a valid run; 3 the run is not valid
// (it proves nothing either way, whatever failed) or an invariant is unknown — 0 instead of 3
// with allow_inconclusive.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "zerodrop/checks.hpp"
#include "zerodrop/history.hpp"

namespace zerodrop {

inline constexpr int kExitPass = 0, kExitFail = 1, kExitUsage = 2, kExitInconclusive = 3;

void render_text(std::ostream& out, const std::string& name, const History& h,
                 const std::vector<CheckResult>& results, const Validity& validity);
nlohmann::json render_json(const std::string& name, const History& h,
                           const std::vector<CheckResult>& results, const Validity& validity);
int exit_code(const std::vector<CheckResult>& results, const Validity& validity,
              bool allow_inconclusive = false);
// "pass" | "fail" | "inconclusive" | "invalid"
const char* result_word(const std::vector<CheckResult>& results, const Validity& validity);
// The generations' pids joined by `arrow` ("none" without any), then, after `sep`, each
// hand-over's signal-to-ready time: "1 -> 2; signal -> new generation ready: 2.0 ms".
std::string generations_text(const Timeline& t, const std::string& arrow, const std::string& sep);
// Whether a check's examples are pids (else request ids).
bool examples_are_pids(const CheckResult& r);
// The evidence line of one invariant, as the table prints it: the summary, then the examples
// (" [e.g. 5, 7 (request ids)]").
std::string evidence_line(const CheckResult& r);

}  // namespace zerodrop

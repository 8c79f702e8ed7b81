// report — renders the checks' results for a person (a table) and for a program (JSON).
//
// Contract: render_text() writes the summary table — each invariant with pass/FAIL/unknown and
// its figures, the PIDs, restart times, and latency — and a final RESULT line; render_json()
// returns a document holding every invariant result, every lifecycle event and every request
// record. exit_code() is 0 when every selected invariant passed or is unknown, 1 when one failed.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "zerodrop/checks.hpp"
#include "zerodrop/history.hpp"

namespace zerodrop {

void render_text(std::ostream& out, const std::string& name, const History& h,
                 const std::vector<CheckResult>& results);
nlohmann::json render_json(const std::string& name, const History& h,
                           const std::vector<CheckResult>& results);
int exit_code(const std::vector<CheckResult>& results);
// Signal-to-ready time of each generation after the first, in ms.
std::vector<double> restart_times_ms(const Timeline& t);

}  // namespace zerodrop

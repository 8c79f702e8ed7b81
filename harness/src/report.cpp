// The terminal table, the exit code and the JSON report of one run's check results; restart
// times come from Timeline::restart_times_ms(). The other report files are in reports/; the
// figures for bench/ in reports/figures.cpp. See report.hpp.
#include "zerodrop/report.hpp"

#include <cstdio>
#include <fstream>

namespace zerodrop {

std::string generations_text(const Timeline& t, const std::string& arrow, const std::string& sep) {
  std::string out;
  for (auto& g : t.gens)
    out += (out.empty() ? "" : arrow) + std::to_string(g.pid);
  if (out.empty()) out = "none";
  auto rt = t.restart_times_ms();
  if (!rt.empty()) {
    out += sep + "signal" + arrow + "new generation ready:";
    char buf[32];
    for (double v : rt) {
      std::snprintf(buf, sizeof buf, " %.1f ms", v);
      out += buf;
    }
  }
  return out;
}

bool examples_are_pids(const CheckResult& r) {
  return r.name == to_string(Invariant::kOldGenerationExits) ||
         r.name == to_string(Invariant::kNoLeaks);
}

std::string evidence_line(const CheckResult& r) {
  std::string ex;
  for (auto id : r.examples)
    ex += (ex.empty() ? " [e.g. " : ", ") + std::to_string(id);
  if (!ex.empty()) ex += examples_are_pids(r) ? " (pids)]" : " (request ids)]";
  return r.summary + ex;
}

const char* result_word(const std::vector<CheckResult>& results, const Validity& validity) {
  if (!validity.valid()) return "invalid";
  bool unknown = false;
  for (auto& r : results) {
    if (r.verdict == Verdict::kFail) return "fail";
    if (r.verdict == Verdict::kUnknown) unknown = true;
  }
  return unknown ? "inconclusive" : "pass";
}

int exit_code(const std::vector<CheckResult>& results, const Validity& validity,
              bool allow_inconclusive) {
  const std::string w = result_word(results, validity);
  if (w == "pass") return kExitPass;
  if (w == "fail") return kExitFail;
  return allow_inconclusive ? kExitPass : kExitInconclusive;
}

void render_text(std::ostream& out, const std::string& name, const History& h,
                 const std::vector<CheckResult>& results, const Validity& validity) {
  Timeline t = build_timeline(h);
  out << "zerodrop: " << name << " (" << h.scenario_file << ")\n";
  out << "  generations: " << generations_text(t, " -> ", "; ");
  out << "\n  faults:";
  for (auto& [at, sig] : t.signals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " SIG%s@%.0fms", sig.c_str(), static_cast<double>(at) / 1e6);
    out << buf;
  }
  for (auto& e : h.events)
    if (e.event == "replace_binary" || e.event == "command" || e.event == "replace_binary_failed" ||
        e.event == "command_failed")
      out << " " << e.event << "(" << e.detail << ")";
  out << "\n";
  char line[512];
  std::snprintf(line, sizeof line, "  %-24s %-8s %s\n", "invariant", "result", "evidence");
  out << line;
  for (auto& r : results) {
    std::snprintf(line, sizeof line, "  %-24s %-8s ", r.name.c_str(), to_string(r.verdict));
    out << line << evidence_line(r) << "\n";
  }
  // Drops split by connection mode and method, as the no_dropped check counted them.
  for (auto& r : results)
    if (r.name == to_string(Invariant::kNoDroppedRequests) && r.figures.contains("split")) {
      out << "  by connection/method:";
      for (auto& [bucket, counts] : r.figures["split"].items()) {
        out << "  " << bucket << " " << counts.value("total", 0L);
        for (auto& [cls, n] : counts.items())
          if (cls != "total") out << " " << cls << "=" << n.get<long>();
      }
      out << "\n";
    }
  out << "  run validity: "
      << (validity.valid() ? "valid (faults ran as written, load on schedule, no harness errors)"
                           : "NOT VALID — the verdicts above prove nothing either way")
      << "\n";
  for (auto& why : validity.reasons)
    out << "    - " << why << "\n";
  std::string failed, unknown;
  for (auto& r : results) {
    if (r.verdict == Verdict::kFail) failed += (failed.empty() ? "" : ", ") + r.name;
    if (r.verdict == Verdict::kUnknown) unknown += (unknown.empty() ? "" : ", ") + r.name;
  }
  const std::string word = result_word(results, validity);
  if (word == "invalid")
    out << "RESULT: INVALID (the run could not prove anything; exit 3)\n";
  else if (word == "fail")
    out << "RESULT: FAIL (" << failed << ")\n";
  else if (word == "inconclusive")
    out << "RESULT: INCONCLUSIVE (no evidence for: " << unknown << "; exit 3)\n";
  else {
    // n/a is never a pass: said apart, and it does not change the result or the exit code.
    std::size_t na = 0;
    for (auto& r : results)
      na += r.verdict == Verdict::kNotApplicable;
    out << "RESULT: PASS (" << results.size() - na << " invariants hold"
        << (na ? ", " + std::to_string(na) + " not applicable" : std::string()) << ")\n";
  }
}

nlohmann::json render_json(const std::string& name, const History& h,
                           const std::vector<CheckResult>& results, const Validity& validity) {
  Timeline t = build_timeline(h);
  nlohmann::json inv = nlohmann::json::array();
  std::vector<std::string> failed;
  for (auto& r : results) {
    inv.push_back({{"name", r.name},
                   {"verdict", r.verdict == Verdict::kFail ? "fail" : to_string(r.verdict)},
                   {"summary", r.summary},
                   {"figures", r.figures},
                   {"examples", r.examples}});
    if (r.verdict == Verdict::kFail) failed.push_back(r.name);
  }
  nlohmann::json events = nlohmann::json::array(), requests = nlohmann::json::array();
  for (auto& e : h.events)
    events.push_back(to_json(e));
  for (auto& q : h.requests)
    requests.push_back(to_json(q));
  std::vector<long> pids;
  for (auto& g : t.gens)
    pids.push_back(g.pid);
  return {
      {"format", "zerodrop-report/1"},
      {"scenario", name},
      {"scenario_file", h.scenario_file},
      {"harness_version", harness_version()},
      {"result", result_word(results, validity)},
      {"failed", failed},
      {"validity",
       {{"valid", validity.valid()}, {"reasons", validity.reasons}, {"figures", validity.figures}}},
      {"pids", pids},
      {"restart_times_ms", t.restart_times_ms()},
      {"invariants", inv},
      {"events", events},
      {"requests", requests}};
}

}  // namespace zerodrop

// render_markdown (report_files.hpp): the run as a GitHub-flavoured markdown summary, for a CI
// job's summary page ($GITHUB_STEP_SUMMARY).
#include <string>

#include "markup.hpp"
#include "zerodrop/report.hpp"
#include "zerodrop/report_files.hpp"

namespace zerodrop {

namespace {

// A table cell: one line, no column break, no markup: a server's text stays text. (Quotes need
// no escaping in markdown, and stay readable in the raw file.)
std::string cell(const std::string& s) {
  std::string out;
  for (char c : reports::markup_escape(s, /*quotes=*/false)) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r' || c == '\t')
      out += ' ';
    else
      out += c;
  }
  return out;
}

const char* verdict_cell(Verdict v) {
  return v == Verdict::kPass            ? "✅ pass"
         : v == Verdict::kFail          ? "❌ **fail**"
         : v == Verdict::kNotApplicable ? "➖ n/a"
                                        : "❔ unknown";
}

}  // namespace

void render_markdown(std::ostream& out, const std::string& name, const History& h,
                     const std::vector<CheckResult>& results, const Validity& validity) {
  const std::string word = result_word(results, validity);
  const char* icon = word == "pass"           ? "✅ PASS"
                     : word == "fail"         ? "❌ FAIL"
                     : word == "inconclusive" ? "❔ INCONCLUSIVE"
                                              : "⚠️ INVALID";
  out << "### zerodrop: " << cell(name) << " — " << icon << "\n\n";
  out << "`" << cell(h.scenario_file) << "` · zerodrop " << cell(harness_version());
  out << " · " << h.requests.size()
      << " requests\n\ngenerations: " << cell(generations_text(build_timeline(h), " → ", " · "))
      << "\n\n";
  out << "| Invariant | Verdict | Evidence |\n|---|---|---|\n";
  for (auto& r : results)
    out << "| `" << cell(r.name) << "` | " << verdict_cell(r.verdict) << " | "
        << cell(evidence_line(r)) << " |\n";
  out << "\n**Run validity:** "
      << (validity.valid() ? "valid (faults ran as written, load on schedule, no harness errors)"
                           : "⚠️ **not valid** — the verdicts above prove nothing either way")
      << "\n";
  for (auto& why : validity.reasons)
    out << "- " << cell(why) << "\n";
}

}  // namespace zerodrop

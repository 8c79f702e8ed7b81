// render_junit (report_files.hpp): one JUnit <testcase> per selected invariant, and one for the
// run's validity, so a CI page says which invariant failed and with what evidence.
#include <string>

#include "markup.hpp"
#include "zerodrop/report.hpp"
#include "zerodrop/report_files.hpp"

namespace zerodrop {

using reports::markup_escape;

void render_junit(std::ostream& out, const std::string& name, const History& h,
                  const std::vector<CheckResult>& results, const Validity& validity) {
  std::size_t failures = validity.valid() ? 0 : 1, skipped = 0;
  for (auto& r : results) {
    if (r.verdict == Verdict::kFail) ++failures;
    if (r.verdict == Verdict::kUnknown || r.verdict == Verdict::kNotApplicable) ++skipped;
  }
  const std::size_t tests = results.size() + 1;  // + run_validity
  const std::string n = markup_escape(name);
  const std::string counts = " tests=\"" + std::to_string(tests) + "\" failures=\"" +
                             std::to_string(failures) + "\" errors=\"0\" skipped=\"" +
                             std::to_string(skipped) + "\"";
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"zerodrop\"" << counts << ">\n"
      << "  <testsuite name=\"" << n << "\"" << counts << ">\n"
      << "    <properties>\n"
      << "      <property name=\"result\" value=\"" << result_word(results, validity) << "\"/>\n"
      << "      <property name=\"scenario_file\" value=\"" << markup_escape(h.scenario_file)
      << "\"/>\n"
      << "      <property name=\"harness_version\" value=\"" << markup_escape(harness_version())
      << "\"/>\n"
      << "    </properties>\n";
  // A verdict of a run that is not valid proves nothing: the failure text says so, so nobody
  // chases an invariant that only failed because the faults did not run as written.
  const std::string invalid_note =
      validity.valid() ? "" : "\n(the run is not valid: this verdict proves nothing either way)";
  for (auto& r : results) {
    out << "    <testcase classname=\"" << n << "\" name=\"" << markup_escape(r.name)
        << "\" time=\"0\"";
    const std::string evidence = markup_escape(r.name + ": " + evidence_line(r));
    if (r.verdict == Verdict::kFail)
      out << ">\n      <failure type=\"invariant\" message=\"" << evidence << "\">" << evidence
          << markup_escape(invalid_note) << "</failure>\n    </testcase>\n";
    else if (r.verdict == Verdict::kNotApplicable)
      out << ">\n      <skipped message=\"n/a: " << evidence << "\"/>\n    </testcase>\n";
    else if (r.verdict == Verdict::kUnknown)
      out << ">\n      <skipped message=\"no evidence: " << evidence << "\"/>\n    </testcase>\n";
    else
      out << ">\n      <system-out>" << evidence << "</system-out>\n    </testcase>\n";
  }
  out << "    <testcase classname=\"" << n << "\" name=\"run_validity\" time=\"0\">\n";
  if (validity.valid()) {
    out << "      <system-out>valid: faults ran as written, load on schedule, no harness "
           "errors</system-out>\n";
  } else {
    std::string reasons;
    for (auto& why : validity.reasons)
      reasons += (reasons.empty() ? "" : "; ") + why;
    const std::string msg = markup_escape("run not valid: " + reasons);
    out << "      <failure type=\"validity\" message=\"" << msg << "\">" << msg
        << "\nfigures: " << markup_escape(validity.figures.dump()) << "</failure>\n";
  }
  out << "    </testcase>\n  </testsuite>\n</testsuites>\n";
}

}  // namespace zerodrop

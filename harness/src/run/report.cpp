// run step 7, report: the text report, the report files asked for, and the workdir (removed
// after a pass unless kept). Returns the CLI's exit code (run.hpp).
#include "zerodrop/report.hpp"

#include <filesystem>

#include "steps.hpp"

namespace zerodrop::run {

int report(Run& r) {
  const RunOptions& o = r.opt;
  render_text(r.out, r.sc.name, r.h, r.results, r.validity);
  const bool written = write_reports({o.report_path, o.html_path, o.junit_path, o.summary_md_path},
                                     r.sc.name, r.h, r.results, r.validity, r.err);
  const int rc = r.code     ? r.code
                 : !written ? kExitUsage
                            : exit_code(r.results, r.validity, o.allow_inconclusive);
  if (rc == 0 && !o.keep_workdir)
    std::filesystem::remove_all(r.workdir);
  else
    r.out << "  server log, history and workdir: " << r.workdir << "\n";
  return rc;
}

}  // namespace zerodrop::run

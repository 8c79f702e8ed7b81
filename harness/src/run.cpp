// run — the script of one scenario run (run/steps.hpp: one file a step) and the replay of a
// recorded history. See zerodrop/run.hpp.
#include "zerodrop/run.hpp"

#include <unistd.h>

#include <cstdlib>

#include "run/steps.hpp"
#include "zerodrop/checks.hpp"
#include "zerodrop/history.hpp"
#include "zerodrop/http_response.hpp"
#include "zerodrop/launcher.hpp"
#include "zerodrop/report.hpp"
#include "zerodrop/scenario.hpp"

#ifndef ZERODROP_DEFAULT_SERVER
#define ZERODROP_DEFAULT_SERVER "zerodrop-server"
#endif
#ifndef ZERODROP_DEFAULT_SERVER_Q1MI
#define ZERODROP_DEFAULT_SERVER_Q1MI "zerodrop-server-q1mi"
#endif

namespace zerodrop {

std::map<std::string, std::string> default_vars() {
  const char* s = std::getenv("ZERODROP_SERVER");
  const char* q = std::getenv("ZERODROP_SERVER_Q1MI");
  return {{"server", s && *s ? s : ZERODROP_DEFAULT_SERVER},
          {"server_q1mi", q && *q ? q : ZERODROP_DEFAULT_SERVER_Q1MI}};
}

// The script of a run; each step is a file of run/ (run/steps.hpp).
int run_scenario(const RunOptions& o, std::ostream& out, std::ostream& err) {
  run::Run r(o, out, err);
  if (const int rc = run::prepare(r); rc != run::kGoOn) return rc;
  {
    Launcher L(*r.recorder, r.workdir);
    r.recorder->record(EventKind::kFdLimit, getpid(), proc::raise_fd_limit(),
                       "RLIMIT_NOFILE of the harness");
    Launcher::install_interrupt_handlers();
    try {
      // Not ready: ~Launcher ends everything; the writer flushes on destruction.
      if (const int rc = run::start(r, L); rc != run::kGoOn) return rc;
      run::drive(r, L);
      run::settle(r, L);
      run::teardown(r, L);
    } catch (const std::exception& e) {
      err << "zerodrop: " << e.what() << "\n";
      r.code = 2;
    }
    run::finish(r, L);
  }
  r.recorder.reset();
  r.writer.reset();  // closes the history file: complete
  if (!r.started) return r.code ? r.code : 1;
  run::check(r);
  return run::report(r);
}

int report_history(const std::string& path, const std::string& report_path, bool allow_inconclusive,
                   std::ostream& out, std::ostream& err) {
  return report_history(path, ReportFiles{report_path, "", "", ""}, allow_inconclusive, out, err);
}

int report_history(const std::string& path, const ReportFiles& files, bool allow_inconclusive,
                   std::ostream& out, std::ostream& err) {
  History h;
  Scenario sc;
  try {
    h = read_history(path);
    if (h.cut_line > 0)
      err << "zerodrop: " << path << ":" << h.cut_line
          << ": cut short (the run was killed while writing it); read up to the line before\n";
    sc = parse_scenario_text(h.scenario_yaml, h.scenario_file);
  } catch (const std::exception& e) {
    err << e.what() << "\n";
    return 2;
  }
  auto results = run_checks(h, sc.expect);
  const Validity validity = check_validity(h, build_timeline(h));
  render_text(out, sc.name, h, results, validity);
  if (!write_reports(files, sc.name, h, results, validity, err)) return kExitUsage;
  return exit_code(results, validity, allow_inconclusive);
}

}  // namespace zerodrop

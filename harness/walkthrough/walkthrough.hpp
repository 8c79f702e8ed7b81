// zerodrop walkthrough — the article's manual browser test, automated.
//
// Contract: run_walkthrough_cli() implements `zerodrop walkthrough [args...]` (argv[0] is
// "walkthrough"). It returns the process exit code: 0 when every step's check held, 1 when one
// failed (or an explicitly requested browser is missing), 2 for a usage error. It starts and
// ends every process it uses. run_walkthrough() is the same with parsed options, the transcript
// written to `out`, and the checks handed back, for tests.
#pragma once

#include <ostream>
#include <vector>

#include "options.hpp"
#include "transcript.hpp"

namespace zerodrop::walkthrough {

int run_walkthrough_cli(int argc, char** argv);

struct WalkthroughResult {
  int exit_code = 1;
  std::vector<CheckResult> checks;
};
WalkthroughResult run_walkthrough(const Options& options, std::ostream& out);

}  // namespace zerodrop::walkthrough

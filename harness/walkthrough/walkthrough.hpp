// zerodrop walkthrough — the article's manual browser test, automated.
//
// Contract: run_walkthrough_cli() implements `zerodrop walkthrough [args...]` (argv[0] is
// "walkthrough"). It returns the process exit code: 0 when every step's check held, 1 when one
// failed, 2 for a usage error. It starts and ends every process it uses.
#pragma once

namespace zerodrop::walkthrough {

int run_walkthrough_cli(int argc, char** argv);

}  // namespace zerodrop::walkthrough

// zerodrop-mutant's command line: the reference server's flags (those it does not use are
// accepted and ignored, so a scenario can run either binary with the same argv) plus --bug.
// parse_options() prints usage and exits 2 on a bad flag, as the contract's exit codes say.
#pragma once

#include <string>
#include <vector>

#include "bug.hpp"

namespace zerodrop::mutant {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  bool fork_restart = true;  // --mode fork-restart (default) | shutdown
  int shutdown_timeout_ms = 5000;
  int keepalive_timeout_ms = 2000;
  int drain_idle_grace_ms = -1;  // -1: same as keepalive timeout
  int delay_ms = 0;
  std::string pid_file;
  std::string message = "hello gin!";
  Bug bug = Bug::kNone;
  std::vector<std::string> argv;  // as given, for the next generation's exec
};

Options parse_options(int argc, char** argv);

// "300ms", "2s", "1.5" (seconds) -> milliseconds; -1 when malformed.
int parse_duration_ms(const std::string& text);

}  // namespace zerodrop::mutant

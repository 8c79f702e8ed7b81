// Command line of `zerodrop walkthrough`.
//
// Contract: parse_options() turns argv (argv[0] is "walkthrough") into Options, or into an exit
// code with the text to print (--help: 0 and the help; a usage error: 2 and the message). It
// does no I/O and touches no file. parse_duration_ms() reads "5s", "500ms", "1.5s", or a bare
// number of seconds. resolve_browser() decides which browser runs, from the options and PATH:
// --no-browser → none; --browser X → X must be an executable (a name is looked up in PATH),
// else it is an error, never a silent fallback; neither → "chromium" from PATH if there is
// one, else none with a note saying so.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zerodrop::walkthrough {

enum class Part { kRestart, kShutdown, kSupervisor };

struct Options {
  std::vector<Part> parts{Part::kRestart, Part::kShutdown, Part::kSupervisor};
  bool no_browser = false;
  std::string browser;                      // as given with --browser; empty = look for chromium
  bool keep_going = false;                  // run the next parts after one failed
  std::optional<long> shutdown_timeout_ms;  // unset: the server's default (5 s)
  long slow_ms = 4000;                      // how long the restart part's browser request is held
  std::string gin_binary;                   // the "hello gin!" build; empty = next to this program
  std::string q1mi_binary;                  // the "hello q1mi!" build
};

struct ParseOutcome {
  std::optional<Options> options;  // set when the walkthrough should run
  int exit_code = 0;               // otherwise: 0 for --help, 2 for a usage error
  std::string text;                // help or error text to print
};

ParseOutcome parse_options(int argc, const char* const* argv);
std::optional<long> parse_duration_ms(std::string_view s);
const char* part_name(Part p);

struct BrowserChoice {
  std::string path;    // empty: no browser
  bool error = false;  // an explicit --browser that cannot be run
  std::string note;    // what to tell the user
};
BrowserChoice resolve_browser(const Options& o, std::string_view path_env);

// Default server binaries: the paths CMake compiled in, when they exist; else the ones next to
// the running program (../server/NAME), as in a build tree.
std::string default_server_binary(std::string_view name);

}  // namespace zerodrop::walkthrough

// Hand-rolled flag parsing: the mutant must accept every reference-server flag. See options.hpp.
#include "options.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace zerodrop::mutant {
namespace {

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "zerodrop-mutant: %s\n"
               "usage: zerodrop-mutant --bug NAME [--host H] [--port P] "
               "[--mode fork-restart|shutdown]\n"
               "       [--shutdown-timeout D] [--keepalive-timeout D] [--drain-idle-grace D]\n"
               "       [--delay D] [--pid-file F] [--message M] (other reference-server flags "
               "are ignored)\n"
               "bugs: %.*s\n",
               why.c_str(), static_cast<int>(bug_names().size()), bug_names().data());
  std::exit(2);
}

int duration_or_die(const std::string& flag, const std::string& v) {
  const int ms = parse_duration_ms(v);
  if (ms < 0) usage("bad duration for " + flag + ": " + v);
  return ms;
}

}  // namespace

int parse_duration_ms(const std::string& text) {
  if (text.empty()) return -1;
  char* end = nullptr;
  const double n = std::strtod(text.c_str(), &end);
  const std::string_view unit(end);
  if (end == text.c_str() || n < 0) return -1;
  if (unit == "ms") return static_cast<int>(n);
  if (unit == "s" || unit.empty()) return static_cast<int>(n * 1000);
  return -1;
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 0; i < argc; ++i)
    o.argv.emplace_back(argv[i]);
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    std::string value;
    if (const auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag.resize(eq);
    } else if (flag == "--help" || flag == "-h") {
      usage("help");
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      usage("missing value for " + flag);
    }
    if (flag == "--host")
      o.host = value;
    else if (flag == "--port")
      o.port = std::atoi(value.c_str());
    else if (flag == "--mode") {
      if (value != "fork-restart" && value != "shutdown") usage("bad --mode " + value);
      o.fork_restart = value == "fork-restart";
    } else if (flag == "--shutdown-timeout")
      o.shutdown_timeout_ms = duration_or_die(flag, value);
    else if (flag == "--keepalive-timeout")
      o.keepalive_timeout_ms = duration_or_die(flag, value);
    else if (flag == "--drain-idle-grace")
      o.drain_idle_grace_ms = duration_or_die(flag, value);
    else if (flag == "--delay")
      o.delay_ms = duration_or_die(flag, value);
    else if (flag == "--pid-file")
      o.pid_file = value;
    else if (flag == "--message")
      o.message = value;
    else if (flag == "--bug") {
      const auto bug = parse_bug(value);
      if (!bug) usage("unknown --bug " + value);
      o.bug = *bug;
    } else if (flag.rfind("--", 0) != 0) {
      usage("unexpected argument " + flag);
    }  // any other --flag VALUE: a reference-server flag this fixture does not need
  }
  if (o.drain_idle_grace_ms < 0) o.drain_idle_grace_ms = o.keepalive_timeout_ms;
  return o;
}

}  // namespace zerodrop::mutant

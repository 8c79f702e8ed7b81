// See walkthrough.hpp.
#include "walkthrough.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>

#include "process.hpp"
#include "session.hpp"

namespace zerodrop::walkthrough {
namespace {

bool executable(const std::string& p) {
  return ::access(p.c_str(), X_OK) == 0;
}

WalkthroughResult finish(Transcript& t) {
  WalkthroughResult r;
  r.exit_code = t.summary();
  r.checks = t.checks();
  return r;
}

}  // namespace

WalkthroughResult run_walkthrough(const Options& options, std::ostream& out) {
  Transcript t(out);
  out << "zerodrop walkthrough: the article's \"hello gin!\" -> kill -1 -> \"hello q1mi!\" test, "
         "with real processes on 127.0.0.1\n";

  const char* path_env = std::getenv("PATH");
  BrowserChoice browser = resolve_browser(options, path_env != nullptr ? path_env : "");
  out << browser.note << "\n";
  if (browser.error) {
    t.part("setup", "setup");
    t.check("the requested browser is available", false, browser.note);
    return finish(t);
  }

  Options o = options;
  if (o.gin_binary.empty()) o.gin_binary = default_server_binary("zerodrop-server");
  if (o.q1mi_binary.empty()) o.q1mi_binary = default_server_binary("zerodrop-server-q1mi");
  out << "servers: " << o.gin_binary << " (\"hello gin!\"), " << o.q1mi_binary
      << " (\"hello q1mi!\")\n";
  if (!executable(o.gin_binary) || !executable(o.q1mi_binary)) {
    t.part("setup", "setup");
    t.check("the server builds exist", false,
            "build them first: cmake --build build --target zerodrop-server zerodrop-server-q1mi");
    return finish(t);
  }

  std::string scratch =
      (std::filesystem::temp_directory_path() / "zerodrop-walkthrough-XXXXXX").string();
  if (::mkdtemp(scratch.data()) == nullptr) {
    t.part("setup", "setup");
    t.check("a scratch directory", false, std::string("mkdtemp: ") + std::strerror(errno));
    return finish(t);
  }
  {
    InterruptGuard guard(scratch);
    Reaper reaper;  // destroyed before the guard: ends every leftover process first
    Session s{t, reaper, o, Viewer{browser.path}, scratch, o.gin_binary, o.q1mi_binary};
    for (size_t i = 0; i < o.parts.size(); ++i) {
      Part p = o.parts[i];
      bool ok = false;
      try {
        switch (p) {
          case Part::kRestart:
            ok = run_restart_part(s);
            break;
          case Part::kShutdown:
            ok = run_shutdown_part(s);
            break;
          case Part::kSupervisor:
            ok = run_supervisor_part(s);
            break;
        }
      } catch (const std::exception& e) {
        t.check(std::string("the ") + part_name(p) + " part runs", false, e.what());
      }
      if (!ok && !o.keep_going && i + 1 < o.parts.size()) {
        t.say(std::string("stopping after the failed ") + part_name(p) +
              " part (--keep-going runs the rest)");
        break;
      }
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);
  return finish(t);
}

int run_walkthrough_cli(int argc, char** argv) {
  ParseOutcome parsed = parse_options(argc, argv);
  if (!parsed.options) {
    (parsed.exit_code == 0 ? std::cout : std::cerr) << parsed.text;
    return parsed.exit_code;
  }
  try {
    return run_walkthrough(*parsed.options, std::cout).exit_code;
  } catch (const std::exception& e) {
    // Only the set-up (signal guard, reaper thread) can throw here: the parts' errors are
    // recorded as failed checks.
    std::cerr << "zerodrop walkthrough: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace zerodrop::walkthrough

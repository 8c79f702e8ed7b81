// conform — the script of `zerodrop conform` (zerodrop/conform.hpp): the workdir, the suite, one
// scenario after another up to the first that does not pass (or the requested level), the levels,
// the table and the JSON report.
#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <stdexcept>

#include "parts.hpp"
#include "zerodrop/report.hpp"

namespace zerodrop {
namespace {

// The stand-in binary of L5-crash-during-start: it starts, lives 50 ms (the server's child is
// past its exec and "starting"), then dies of SIGSEGV before it is ever ready.
constexpr const char* kCrashScript = "#!/bin/sh\nsleep 0.05\nkill -SEGV $$\n";

bool make_workdir(std::string& dir, std::ostream& err) {
  if (dir.empty()) {
    char tmpl[] = "/tmp/zerodrop-conform-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      err << "zerodrop conform: mkdtemp: " << std::strerror(errno) << "\n";
      return false;
    }
    dir = tmpl;
  } else {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      err << "zerodrop conform: mkdir " << dir << ": " << ec.message() << "\n";
      return false;
    }
    dir = std::filesystem::absolute(dir).string();
  }
  const std::string crash = dir + "/crash-during-start";
  std::ofstream(crash) << kCrashScript;
  if (chmod(crash.c_str(), 0755) != 0) {
    err << "zerodrop conform: chmod " << crash << ": " << std::strerror(errno) << "\n";
    return false;
  }
  return true;
}

}  // namespace

int run_conform(const ConformOptions& options, std::ostream& out, std::ostream& err) {
  ConformOptions o = options;
  // The --from scenario's files are templated when each suite scenario runs: their
  // {scenario_dir} (haproxy.cfg's Lua script) is FILE's folder too, not the workdir.
  if (!o.from.empty())
    o.vars.emplace("scenario_dir", std::filesystem::absolute(o.from).parent_path().string());
  std::vector<ConformScenario> suite;
  try {
    suite = conform_suite(o);  // the usage errors first, before any directory is made
    if (!make_workdir(o.workdir, err)) return kExitUsage;
    suite = conform_suite(o);  // again: L5 names a file of the workdir
  } catch (const std::invalid_argument& e) {
    err << "zerodrop conform: " << e.what() << "\n";
    return kExitUsage;
  }
  out << "zerodrop conform: " << (o.from.empty() ? "" : o.from + ", ") << o.server << " (up to L"
      << o.level << ")\n";
  std::vector<std::vector<ConformOutcome>> by_level(kConformLevels);
  for (const auto& s : suite) {
    if (s.level > o.level) break;
    const auto t0 = std::chrono::steady_clock::now();
    ConformOutcome c = conform::run_one(s, o, o.workdir, err);
    // An invalid run proves nothing either way (the harness itself fell behind, e.g. a machine
    // too busy to run its load engine): it is run once more, and the table says so. An invariant
    // that lacked evidence in a valid run is not rerun: that unknown is the server's answer.
    if (c.verdict == ConformVerdict::kUnknown && c.invariant == "run_validity") {
      out << "  L" << s.level << " " << s.name << ": run invalid (" << c.evidence
          << "): once more\n";
      const std::string first = c.evidence;
      c = conform::run_one(s, o, o.workdir, err);
      c.evidence += " (second run; the first was invalid: " + first + ")";
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (c.exit == kExitUsage || c.exit == 130) return c.exit;
    out << "  L" << s.level << " " << std::left << std::setw(24) << s.name << std::setw(8)
        << to_string(c.verdict) << std::setw(24) << c.invariant << std::fixed
        << std::setprecision(1) << secs << " s  " << s.runs << "\n"
        << std::flush;
    by_level[static_cast<std::size_t>(s.level - 1)].push_back(c);
    if (c.verdict != ConformVerdict::kPass) break;  // the climb stops here
  }
  const Climb c = climb(by_level, o.level);
  render_climb(out, c, o.workdir);
  if (!o.report_path.empty()) {
    std::ofstream f(o.report_path);
    f << climb_json(c, o, o.workdir).dump(2) << "\n";
    if (!f) {
      err << "zerodrop conform: cannot write " << o.report_path << "\n";
      return kExitUsage;
    }
  }
  return c.exit;
}

}  // namespace zerodrop

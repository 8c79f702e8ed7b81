// conform — the script of `zerodrop conform` (zerodrop/conform.hpp): the workdir, the suite, level
// after level (its scenarios one after another, or up to --jobs at once) up to the first scenario
// that does not pass (or the requested level), the levels, the table and the JSON report.
#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
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

// One scenario of a level as the climb takes it: its runs (two when the first was invalid), its
// lines of the table, its outcome once decided.
struct Slot {
  const ConformScenario* s = nullptr;
  std::chrono::steady_clock::time_point t0{};
  std::string first_invalid;  // the first run's validity reasons, once it was rerun
  std::string lines;          // its lines of the table so far
  std::size_t printed = 0;    // how much of `lines` is out
  bool done = false;
  ConformOutcome outcome;
};

}  // namespace

namespace conform {

// Only the levels are parallel, never one level beside the next: a scenario of a level above
// the first that fails must not change the verdict, and running it beside would only load the
// machine under the lower level's runs (L4's latency bound is measured) for a result thrown away.
int climb_level(const std::vector<const ConformScenario*>& level, int jobs, Runs& runs,
                std::vector<ConformOutcome>& kept, std::ostream& out) {
  std::vector<Slot> slots(level.size());
  for (std::size_t i = 0; i < level.size(); ++i)
    slots[i].s = level[i];
  std::size_t started = 0, shown = 0;
  std::size_t stop = slots.size();  // the first scenario that does not pass (suite order)
  auto start = [&](std::size_t i) {
    if (slots[i].t0 == std::chrono::steady_clock::time_point{})
      slots[i].t0 = std::chrono::steady_clock::now();
    runs.start(i, *slots[i].s);
  };
  while (true) {
    while (runs.running() < static_cast<std::size_t>(jobs) && started < stop)
      start(started++);
    if (runs.running() == 0) break;
    Runs::Done d = runs.next();
    if (d.outcome.exit == 130) return 130;
    if (d.id > stop) continue;  // ended before it could be cancelled: thrown away all the same
    Slot& sl = slots[d.id];
    ConformOutcome& c = d.outcome;
    // An invalid run proves nothing either way (the harness itself fell behind, e.g. a machine
    // too busy to run its load engine): it is run once more, and the table says so. An invariant
    // that lacked evidence in a valid run is not rerun: that unknown is the server's answer.
    const bool invalid = c.verdict == ConformVerdict::kUnknown && c.invariant == "run_validity";
    if (invalid && sl.first_invalid.empty()) {
      sl.lines += "  L" + std::to_string(sl.s->level) + " " + sl.s->name + ": run invalid (" +
                  c.evidence + "): once more\n";
      sl.first_invalid = c.evidence;
    } else {
      if (!sl.first_invalid.empty())
        c.evidence += " (second run; the first was invalid: " + sl.first_invalid + ")";
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - sl.t0).count();
      std::ostringstream line;
      line << "  L" << sl.s->level << " " << std::left << std::setw(24) << sl.s->name
           << std::setw(8) << to_string(c.verdict) << std::setw(24) << c.invariant << std::fixed
           << std::setprecision(1) << secs << " s  " << sl.s->runs << "\n";
      sl.lines += line.str();
      sl.outcome = c;
      sl.done = true;
      if ((c.verdict != ConformVerdict::kPass || c.exit == kExitUsage) && d.id < stop) {
        for (std::size_t j = d.id + 1; j < started; ++j)
          if (!slots[j].done) runs.cancel(j);  // its outcome would be thrown away
        stop = d.id;
      }
    }
    // What is known, in suite order: a slot's lines once the ones before it are all out.
    for (; shown < slots.size() && shown <= stop; ++shown) {
      Slot& s = slots[shown];
      if (s.done && s.outcome.exit == kExitUsage) return kExitUsage;
      out << s.lines.substr(s.printed) << std::flush;
      s.printed = s.lines.size();
      if (!s.done) break;
    }
    if (invalid && !sl.done) runs.start(d.id, *sl.s);
  }
  for (std::size_t i = 0; i < slots.size() && i <= stop; ++i)
    kept.push_back(slots[i].outcome);
  return 0;
}

}  // namespace conform

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
  const auto runs = o.jobs > 1 ? conform::child_runs(o, o.workdir, err)
                               : conform::in_process_runs(o, o.workdir, err);
  for (int level = 1; level <= o.level; ++level) {
    std::vector<const ConformScenario*> of_level;
    for (const auto& s : suite)
      if (s.level == level) of_level.push_back(&s);
    const int rc = conform::climb_level(of_level, o.jobs, *runs, by_level[level - 1], out);
    if (rc != 0) return rc;
    const auto& kept = by_level[level - 1];
    if (kept.empty() || kept.size() < of_level.size() ||
        kept.back().verdict != ConformVerdict::kPass)
      break;  // the climb stops here
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

// write_reports (report_files.hpp): every report file asked for, from one place, for both
// `zerodrop run` and `zerodrop report`.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>

#include "zerodrop/report.hpp"
#include "zerodrop/report_files.hpp"

namespace zerodrop {

bool write_reports(const ReportFiles& files, const std::string& name, const History& h,
                   const std::vector<CheckResult>& results, const Validity& validity,
                   std::ostream& err) {
  using Render = std::function<void(std::ostream&)>;
  const std::pair<const std::string*, Render> outputs[] = {
      {&files.json,
       [&](std::ostream& o) { o << render_json(name, h, results, validity).dump(1) << "\n"; }},
      {&files.html, [&](std::ostream& o) { render_html(o, name, h, results, validity); }},
      {&files.junit, [&](std::ostream& o) { render_junit(o, name, h, results, validity); }},
      {&files.summary_md, [&](std::ostream& o) { render_markdown(o, name, h, results, validity); }},
      {&files.figures,
       [&](std::ostream& o) {
         o << render_figures(h, results, validity, files.figures_window_ms).dump(1) << "\n";
       }},
  };
  bool ok = true;
  for (auto& [path, render] : outputs) {
    if (path->empty()) continue;
    std::ofstream f(*path, std::ios::binary | std::ios::trunc);
    if (!f) {
      err << "zerodrop: open " << *path << ": " << std::strerror(errno) << "\n";
      ok = false;
      continue;
    }
    render(f);
    f.close();
    if (!f) {
      err << "zerodrop: write " << *path << ": " << std::strerror(errno) << "\n";
      ok = false;
    }
  }
  return ok;
}

}  // namespace zerodrop

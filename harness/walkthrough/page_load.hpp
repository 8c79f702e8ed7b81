// Loading a page the way the article's reader does: in a browser, or else with an HTTP client.
//
// Contract: PageLoad::start() begins loading http://127.0.0.1:PORT/PATH and returns at once;
// done() says whether the load has finished; wait() blocks until it has, or a deadline passed
// (then the load is abandoned: its processes are ended), and returns what was shown.
// With a browser, Chromium runs headless with the project's fixed flags (no sandbox, no GPU, no
// first run, no background networking, no component update, no sync) and a fresh user data
// directory under `scratch_dir` that is removed afterwards, in its own process group that is
// ended when the load is finished or destroyed; only 127.0.0.1 URLs are ever given to it.
// Without a browser, one GET on a fresh connection (cpp-httplib), which also reports X-Pid.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http_probe.hpp"
#include "process.hpp"

namespace zerodrop::walkthrough {

struct Viewer {
  std::string browser_path;  // empty: no browser, use the HTTP client
  bool uses_browser() const { return !browser_path.empty(); }
};

// The Chromium argv for dumping one page (exposed for the unit test of its flags).
std::vector<std::string> chromium_argv(const std::string& browser, const std::string& user_data_dir,
                                       const std::string& url);

struct PageResult {
  bool finished = false;  // false: still loading at the deadline (abandoned)
  std::string text;       // what the page showed ("hello gin!")
  std::string error;      // why nothing useful was shown
  Clock::time_point started{}, ended{};
  pid_t answered_by = 0;  // X-Pid, HTTP client only
};

class PageLoad {
 public:
  static std::unique_ptr<PageLoad> start(Reaper& reaper, const Viewer& viewer, int port,
                                         const std::string& path, const std::string& scratch_dir);
  virtual ~PageLoad() = default;
  virtual bool done() = 0;
  virtual PageResult wait(Clock::time_point deadline) = 0;
};

}  // namespace zerodrop::walkthrough

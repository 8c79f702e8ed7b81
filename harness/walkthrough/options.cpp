// See options.hpp.
#include "options.hpp"

#include <unistd.h>

// GCC 12 reports a false "potential null pointer dereference" inside CLI11's inlined string
// splitting (CLI::detail::split) at -O2; it is not in our code, and the flag stays on elsewhere.
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#include <cmath>
#include <filesystem>
#include <sstream>

namespace zerodrop::walkthrough {

const char* part_name(Part p) {
  switch (p) {
    case Part::kRestart:
      return "restart";
    case Part::kShutdown:
      return "shutdown";
    case Part::kSupervisor:
      return "supervisor";
  }
  return "?";
}

std::optional<long> parse_duration_ms(std::string_view s) {
  double scale = 1000;
  if (s.size() > 2 && s.substr(s.size() - 2) == "ms") {
    scale = 1;
    s.remove_suffix(2);
  } else if (s.size() > 1 && s.back() == 's') {
    s.remove_suffix(1);
  }
  if (s.empty()) return std::nullopt;
  std::string str(s);
  char* end = nullptr;
  double v = std::strtod(str.c_str(), &end);
  if (end != str.c_str() + str.size() || !std::isfinite(v) || v < 0 || v * scale > 3.6e6)
    return std::nullopt;
  return static_cast<long>(std::lround(v * scale));
}

ParseOutcome parse_options(int argc, const char* const* argv) {
  Options o;
  CLI::App app{
      "Reproduces the article's manual test: \"hello gin!\" in a browser, the binary replaced on "
      "disk, kill -1, \"hello q1mi!\" -- with real PIDs, on ephemeral 127.0.0.1 ports. Also the "
      "graceful-shutdown walkthrough (Ctrl+C during a slow request, and past the 5 s deadline) "
      "and a supervisor following MAINPID= over NOTIFY_SOCKET. Exit 0 when every check held, 1 "
      "when one failed, 2 for a usage error.",
      "zerodrop walkthrough"};
  std::string part = "all", shutdown_timeout, slow = "4s";
  auto* browser = app.add_option("--browser", o.browser,
                                 "browser to use (path or name in PATH); required to exist. "
                                 "Default: chromium from PATH, else the HTTP client");
  auto* no_browser = app.add_flag("--no-browser", o.no_browser, "use the HTTP client, no browser");
  browser->excludes(no_browser);
  no_browser->excludes(browser);
  app.add_option("--part", part, "which walkthrough to run")
      ->check(CLI::IsMember({"restart", "shutdown", "supervisor", "all"}))
      ->capture_default_str();
  app.add_flag("--keep-going", o.keep_going, "run the next parts after a part failed");
  app.add_option("--shutdown-timeout", shutdown_timeout,
                 "passed to the server in the shutdown part (default: the server's own, 5s)");
  app.add_option("--slow", slow, "how long the restart part's slow request is held")
      ->capture_default_str();
  app.add_option("--gin-binary", o.gin_binary, "the server build answering \"hello gin!\"");
  app.add_option("--q1mi-binary", o.q1mi_binary, "the server build answering \"hello q1mi!\"");

  ParseOutcome out;
  std::ostringstream msg_out, msg_err;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    out.exit_code = app.exit(e, msg_out, msg_err) == 0 ? 0 : 2;
    out.text = msg_out.str() + msg_err.str();
    return out;
  }
  auto usage = [&](const std::string& m) {
    out.exit_code = 2;
    out.text = "zerodrop walkthrough: " + m + "\nRun with --help for more information.\n";
    return out;
  };
  if (part == "restart")
    o.parts = {Part::kRestart};
  else if (part == "shutdown")
    o.parts = {Part::kShutdown};
  else if (part == "supervisor")
    o.parts = {Part::kSupervisor};
  if (!shutdown_timeout.empty()) {
    auto ms = parse_duration_ms(shutdown_timeout);
    if (!ms || *ms < 100)
      return usage("--shutdown-timeout: expected a duration of at least 100ms, got '" +
                   shutdown_timeout + "'");
    o.shutdown_timeout_ms = *ms;
  }
  auto slow_ms = parse_duration_ms(slow);
  // At most 20 s: every wait of the walkthrough, and the HTTP client's 30 s timeout, is sized
  // from it.
  if (!slow_ms || *slow_ms < 500 || *slow_ms > 20000)
    return usage("--slow: expected a duration between 500ms and 20s, got '" + slow + "'");
  o.slow_ms = *slow_ms;
  if (o.no_browser && !o.browser.empty())
    return usage("--browser and --no-browser exclude each other");
  out.options = o;
  return out;
}

namespace {

bool is_executable_file(const std::string& p) {
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

std::string search_path(std::string_view name, std::string_view path_env) {
  while (true) {
    size_t colon = path_env.find(':');
    std::string dir(path_env.substr(0, colon));
    if (!dir.empty()) {
      std::string candidate = dir + "/" + std::string(name);
      if (is_executable_file(candidate)) return candidate;
    }
    if (colon == std::string_view::npos) return {};
    path_env.remove_prefix(colon + 1);
  }
}

}  // namespace

BrowserChoice resolve_browser(const Options& o, std::string_view path_env) {
  BrowserChoice c;
  if (o.no_browser) {
    c.note = "no browser (--no-browser): pages are loaded with an HTTP client (cpp-httplib)";
    return c;
  }
  if (!o.browser.empty()) {
    std::string p =
        o.browser.find('/') != std::string::npos ? o.browser : search_path(o.browser, path_env);
    if (p.empty() || !is_executable_file(p)) {
      c.error = true;
      c.note = "browser '" + o.browser +
               "' not found or not executable: the browser walkthrough "
               "cannot run (install it with: bash ci/install-deps.sh browser)";
      return c;
    }
    c.path = p;
    c.note = "browser: " + p + " (headless)";
    return c;
  }
  c.path = search_path("chromium", path_env);
  c.note = c.path.empty()
               ? "NO BROWSER: chromium is not in PATH, so pages are loaded with an HTTP client "
                 "(cpp-httplib) instead (install it with: bash ci/install-deps.sh browser)"
               : "browser: " + c.path + " (headless)";
  return c;
}

std::string default_server_binary(std::string_view name) {
#ifdef ZERODROP_SERVER_BINARY_DIR
  std::string built = std::string(ZERODROP_SERVER_BINARY_DIR) + "/" + std::string(name);
  if (is_executable_file(built)) return built;
#endif
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (auto rel : {"../server", ".", "../../server"}) {
      auto p = (self.parent_path() / rel / std::string(name)).lexically_normal().string();
      if (is_executable_file(p)) return p;
    }
  }
  return std::string(name);
}

}  // namespace zerodrop::walkthrough

// Command line → Config. See config.hpp.
#include "zerodrop/server/config.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace zerodrop::server {
namespace {

std::optional<double> parse_number(std::string_view text) {
  if (text.empty() || text.size() > 32) return std::nullopt;
  char buf[40];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  for (char c : text)
    if (!((c >= '0' && c <= '9') || c == '.')) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(buf, &end);
  if (end != buf + text.size() || !std::isfinite(v) || v < 0) return std::nullopt;
  return v;
}

}  // namespace

std::optional<Millis> parse_duration_ms(std::string_view text) {
  double scale = 1000.0;
  if (text.ends_with("ms")) {
    scale = 1.0;
    text.remove_suffix(2);
  } else if (text.ends_with("s")) {
    text.remove_suffix(1);
  }
  auto v = parse_number(text);
  if (!v || *v * scale > 1e12) return std::nullopt;
  return static_cast<Millis>(std::llround(*v * scale));
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t scale = 1;
  struct Suffix {
    std::string_view text;
    std::uint64_t scale;
  };
  static constexpr Suffix kSuffixes[] = {{"KiB", 1ull << 10},
                                         {"MiB", 1ull << 20},
                                         {"GiB", 1ull << 30},
                                         {"K", 1ull << 10},
                                         {"M", 1ull << 20},
                                         {"G", 1ull << 30},
                                         {"B", 1}};
  for (const auto& s : kSuffixes) {
    if (text.ends_with(s.text)) {
      scale = s.scale;
      text.remove_suffix(s.text.size());
      break;
    }
  }
  auto v = parse_number(text);
  if (!v || *v * static_cast<double>(scale) > 1e15) return std::nullopt;
  return static_cast<std::uint64_t>(std::llround(*v * static_cast<double>(scale)));
}

std::string_view mode_name(Mode mode) {
  return mode == Mode::kForkRestart ? "fork-restart" : "shutdown";
}

namespace {

// CLI11 validators for our duration/size syntax, so a bad value is a usage error (exit 2).
const CLI::Validator kDuration(
    [](std::string& s) -> std::string {
      return parse_duration_ms(s) ? std::string() : "not a duration (e.g. 250ms, 5s, 2): " + s;
    },
    "DURATION");
const CLI::Validator kSize(
    [](std::string& s) -> std::string {
      return parse_size(s) ? std::string() : "not a size (e.g. 8192, 64KiB, 8MiB): " + s;
    },
    "SIZE");

int report(CLI::App& app, const CLI::ParseError& e) {
  int code = app.exit(e);  // prints help (stdout) or the error (stderr)
  return code == 0 ? 0 : 2;
}

CommandLine parse_reload(int argc, char** argv) {
  CLI::App app(
      "Send SIGHUP to the server in the pid file and wait until the new generation "
      "is ready (exit 0) or the restart failed (exit 1).",
      "zerodrop-server reload");
  ReloadConfig rc;
  std::string timeout = "10s";
  app.add_option("--pid-file", rc.pid_file, "pid file the server writes")->required();
  app.add_option("--timeout", timeout, "give up after this long")->check(kDuration);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return report(app, e);
  }
  rc.timeout_ms = *parse_duration_ms(timeout);
  return rc;
}

}  // namespace

CommandLine parse_command_line(int argc, char** argv, std::string_view default_message) {
  if (argc >= 2 && std::strcmp(argv[1], "reload") == 0) return parse_reload(argc - 1, argv + 1);

  CLI::App app(
      "zerodrop-server: a reference epoll HTTP/1.1 server with graceful shutdown and "
      "fork-restart.\nSubcommand: zerodrop-server reload --pid-file F [--timeout 10s]",
      "zerodrop-server");
  app.set_version_flag("--version", "zerodrop-server " ZERODROP_VERSION);
  Config c;
  c.message = std::string(default_message);
  std::string mode = "fork-restart";
  std::string shutdown_timeout = "5s", delay = "0ms", keepalive = "2s", grace, header = "5s",
              ready = "5s", max_header = "8192", max_body = "8MiB";
  app.add_option("--host", c.host, "address to bind (ignored with LISTEN_FDS)")
      ->capture_default_str();
  app.add_option("--port", c.port, "port to bind, 0 = ephemeral")->capture_default_str();
  app.add_option("--mode", mode, "what SIGHUP does")
      ->check(CLI::IsMember({"fork-restart", "shutdown"}))
      ->capture_default_str();
  app.add_option("--shutdown-timeout", shutdown_timeout, "drain deadline, then force-close")
      ->check(kDuration)
      ->capture_default_str();
  app.add_option("--pid-file", c.pid_file, "rewritten atomically by each ready generation");
  app.add_option("--message", c.message, "response body of GET /")->capture_default_str();
  app.add_option("--delay", delay, "delay before answering GET /")
      ->check(kDuration)
      ->capture_default_str();
  app.add_option("--keepalive-timeout", keepalive, "idle keep-alive connections are closed after")
      ->check(kDuration)
      ->capture_default_str();
  app.add_option("--drain-idle-grace", grace,
                 "when draining, idle connections may still send one request for this long "
                 "(default: --keepalive-timeout)")
      ->check(kDuration);
  app.add_option("--header-timeout", header, "request head (and body inactivity) timeout → 408")
      ->check(kDuration)
      ->capture_default_str();
  app.add_option("--ready-timeout", ready, "a new generation must be ready within this")
      ->check(kDuration)
      ->capture_default_str();
  app.add_option("--max-connections", c.max_connections, "beyond: 503 and close")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  app.add_option("--max-header-bytes", max_header, "request head limit → 431")
      ->check(kSize)
      ->capture_default_str();
  app.add_option("--max-body-bytes", max_body, "request body limit → 413")
      ->check(kSize)
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return report(app, e);
  }
  c.mode = mode == "shutdown" ? Mode::kShutdown : Mode::kForkRestart;
  c.shutdown_timeout_ms = *parse_duration_ms(shutdown_timeout);
  c.delay_ms = *parse_duration_ms(delay);
  c.keepalive_timeout_ms = *parse_duration_ms(keepalive);
  c.drain_idle_grace_ms = grace.empty() ? c.keepalive_timeout_ms : *parse_duration_ms(grace);
  c.header_timeout_ms = *parse_duration_ms(header);
  c.ready_timeout_ms = *parse_duration_ms(ready);
  auto mh = *parse_size(max_header);
  if (mh < 64 || mh > (1u << 20)) {
    std::fprintf(stderr, "--max-header-bytes: must be between 64 and 1MiB\n");
    return 2;
  }
  c.max_header_bytes = static_cast<std::size_t>(mh);
  c.max_body_bytes = *parse_size(max_body);
  return c;
}

}  // namespace zerodrop::server

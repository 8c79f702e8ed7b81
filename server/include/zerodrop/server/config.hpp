// config: the server's settings and how the command line becomes them.
//
// Contract: parse_command_line() never exits the process; it returns either a Config or the
// exit code the caller should use (0 after --help, 2 for a usage error) having printed the
// message. Durations accept "250ms", "5s" or a bare number of seconds (fractions allowed);
// sizes accept a bare byte count or the suffixes K/KiB, M/MiB, G/GiB (powers of 1024).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#ifndef ZERODROP_DEFAULT_MESSAGE
#define ZERODROP_DEFAULT_MESSAGE "hello gin!"
#endif

namespace zerodrop::server {

using Millis = std::int64_t;

enum class Mode { kForkRestart, kShutdown };

struct Config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  Mode mode = Mode::kForkRestart;
  Millis shutdown_timeout_ms = 5000;
  std::string pid_file;
  std::string message = ZERODROP_DEFAULT_MESSAGE;
  Millis delay_ms = 0;
  Millis keepalive_timeout_ms = 2000;
  Millis drain_idle_grace_ms = -1;  // -1: same as keepalive_timeout_ms (resolved by the parser)
  Millis header_timeout_ms = 5000;
  Millis ready_timeout_ms = 5000;
  std::uint32_t max_connections = 10000;
  std::size_t max_header_bytes = 8192;
  std::uint64_t max_body_bytes = 8ull << 20;
};

struct ReloadConfig {
  std::string pid_file;
  Millis timeout_ms = 10000;
};

// What the command line asked for: serve, reload, or exit now with a code.
using CommandLine = std::variant<Config, ReloadConfig, int>;

// `default_message` is the compiled-in --message default (differs between the two binaries).
CommandLine parse_command_line(int argc, char** argv,
                               std::string_view default_message = ZERODROP_DEFAULT_MESSAGE);

std::optional<Millis> parse_duration_ms(std::string_view text);
std::optional<std::uint64_t> parse_size(std::string_view text);
std::string_view mode_name(Mode mode);

}  // namespace zerodrop::server

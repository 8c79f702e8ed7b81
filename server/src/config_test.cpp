// Unit tests for the command line: durations, sizes, defaults, usage errors (exit 2).
#include "zerodrop/server/config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace zerodrop::server {
namespace {

CommandLine parse(const std::vector<std::string>& rest) {
  std::vector<std::string> args{"zerodrop-server"};
  for (const auto& a : rest)
    args.push_back(a);
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  return parse_command_line(static_cast<int>(args.size()), argv.data(), "default msg");
}

TEST(Config, Durations) {
  EXPECT_EQ(parse_duration_ms("250ms"), 250);
  EXPECT_EQ(parse_duration_ms("5s"), 5000);
  EXPECT_EQ(parse_duration_ms("2"), 2000);
  EXPECT_EQ(parse_duration_ms("0.5"), 500);
  EXPECT_EQ(parse_duration_ms("1.5s"), 1500);
  EXPECT_FALSE(parse_duration_ms(""));
  EXPECT_FALSE(parse_duration_ms("ms"));
  EXPECT_FALSE(parse_duration_ms("-1s"));
  EXPECT_FALSE(parse_duration_ms("5m"));
  EXPECT_FALSE(parse_duration_ms("1e3"));
}

TEST(Config, Sizes) {
  EXPECT_EQ(parse_size("8192"), 8192u);
  EXPECT_EQ(parse_size("8MiB"), 8u << 20);
  EXPECT_EQ(parse_size("64KiB"), 64u << 10);
  EXPECT_EQ(parse_size("1K"), 1024u);
  EXPECT_EQ(parse_size("2G"), 2ull << 30);
  EXPECT_FALSE(parse_size("8 MiB"));
  EXPECT_FALSE(parse_size("lots"));
}

TEST(Config, Defaults) {
  auto cl = parse({});
  ASSERT_TRUE(std::holds_alternative<Config>(cl));
  const auto& c = std::get<Config>(cl);
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 0);
  EXPECT_EQ(c.mode, Mode::kForkRestart);
  EXPECT_EQ(c.message, "default msg");
  EXPECT_EQ(c.shutdown_timeout_ms, 5000);
  EXPECT_EQ(c.keepalive_timeout_ms, 2000);
  EXPECT_EQ(c.drain_idle_grace_ms, 2000) << "defaults to the keep-alive timeout";
  EXPECT_EQ(c.max_body_bytes, 8u << 20);
}

TEST(Config, EveryOption) {
  auto cl = parse({"--host",
                   "0.0.0.0",
                   "--port",
                   "8080",
                   "--mode",
                   "shutdown",
                   "--shutdown-timeout",
                   "7s",
                   "--pid-file",
                   "/tmp/p",
                   "--message",
                   "hi",
                   "--delay",
                   "15ms",
                   "--keepalive-timeout",
                   "3s",
                   "--drain-idle-grace",
                   "100ms",
                   "--header-timeout",
                   "1s",
                   "--ready-timeout",
                   "2s",
                   "--max-connections",
                   "5",
                   "--max-header-bytes",
                   "4KiB",
                   "--max-body-bytes",
                   "1M"});
  ASSERT_TRUE(std::holds_alternative<Config>(cl));
  const auto& c = std::get<Config>(cl);
  EXPECT_EQ(c.port, 8080);
  EXPECT_EQ(c.mode, Mode::kShutdown);
  EXPECT_EQ(c.shutdown_timeout_ms, 7000);
  EXPECT_EQ(c.delay_ms, 15);
  EXPECT_EQ(c.drain_idle_grace_ms, 100);
  EXPECT_EQ(c.max_connections, 5u);
  EXPECT_EQ(c.max_header_bytes, 4096u);
  EXPECT_EQ(c.max_body_bytes, 1u << 20);
}

TEST(Config, UsageErrorsAreExitCode2) {
  for (auto args : std::vector<std::vector<std::string>>{{"--mode", "reboot"},
                                                         {"--port", "70000"},
                                                         {"--delay", "soon"},
                                                         {"--bogus"},
                                                         {"--max-header-bytes", "10"},
                                                         {"--max-connections", "0"},
                                                         {"reload"}}) {
    auto cl = parse(args);
    ASSERT_TRUE(std::holds_alternative<int>(cl)) << args[0];
    EXPECT_EQ(std::get<int>(cl), 2) << args[0];
  }
}

TEST(Config, Reload) {
  auto cl = parse({"reload", "--pid-file", "/run/x.pid", "--timeout", "3s"});
  ASSERT_TRUE(std::holds_alternative<ReloadConfig>(cl));
  EXPECT_EQ(std::get<ReloadConfig>(cl).pid_file, "/run/x.pid");
  EXPECT_EQ(std::get<ReloadConfig>(cl).timeout_ms, 3000);
}

}  // namespace
}  // namespace zerodrop::server

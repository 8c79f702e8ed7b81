// Parsers for what zerodrop-server prints (README, "Process interface").
//
// Contract: parse_listening_line() reads the stdout line
// "listening on HOST:PORT pid=PID generation=N" and returns nothing for any other line.
// parse_logfmt() splits a stderr lifecycle line "k=v k2="quoted \"v\"" ..." into a map; it never
// throws, keeps the last of repeated keys, and unquotes \" and \\.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace zerodrop::walkthrough {

struct ListeningLine {
  std::string host;
  int port = 0;
  pid_t pid = 0;
  int generation = 0;
};

std::optional<ListeningLine> parse_listening_line(std::string_view line);

using LogFields = std::map<std::string, std::string, std::less<>>;
LogFields parse_logfmt(std::string_view line);

// A field as an integer; nullopt when absent or not a number.
std::optional<long long> field_int(const LogFields& f, std::string_view key);

}  // namespace zerodrop::walkthrough

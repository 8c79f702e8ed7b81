// proc/server_lines — parsers for what a server under test prints (server/README.md, "Process
// interface"): the stdout announcement and the stderr logfmt lifecycle lines.
//
// Contract: parse_listening_line() finds "listening on HOST:PORT pid=PID generation=N" in a line
// and returns nothing for a line without "listening on "; a field it cannot read is 0 (a server
// that prints only "listening on HOST:PORT" still announces its port: the launcher's stdout
// readiness accepts it), complete() says whether port, pid and generation were all there and
// positive. parse_logfmt() splits "k=v k2="quoted \"v\"" ..." into a map; it never throws,
// keeps the last of repeated keys, and unquotes \" and \\. field_int() reads one field as an
// integer (nullopt when absent or not a number).
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace zerodrop::proc {

struct ListeningLine {
  std::string host;
  int port = 0;
  pid_t pid = 0;
  int generation = 0;
  bool complete() const { return port > 0 && pid > 0 && generation > 0; }
};

std::optional<ListeningLine> parse_listening_line(std::string_view line);

using LogFields = std::map<std::string, std::string, std::less<>>;
LogFields parse_logfmt(std::string_view line);
std::optional<long long> field_int(const LogFields& f, std::string_view key);

}  // namespace zerodrop::proc

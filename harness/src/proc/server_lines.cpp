// See zerodrop/proc/server_lines.hpp.
#include "zerodrop/proc/server_lines.hpp"

#include <charconv>

namespace zerodrop::proc {
namespace {

template <typename T>
bool to_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<ListeningLine> parse_listening_line(std::string_view line) {
  constexpr std::string_view kPrefix = "listening on ";
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const auto at = line.find(kPrefix);
  if (at == std::string_view::npos) return std::nullopt;
  line.remove_prefix(at + kPrefix.size());
  // HOST:PORT pid=PID generation=N
  const auto sp = line.find(' ');
  const std::string_view addr = line.substr(0, sp);
  ListeningLine out;
  const auto colon = addr.rfind(':');
  if (colon != std::string_view::npos) {
    out.host = std::string(addr.substr(0, colon));
    if (!to_number(addr.substr(colon + 1), out.port) || out.port < 0 || out.port > 65535)
      out.port = 0;
  }
  if (sp == std::string_view::npos) return out;
  const LogFields rest = parse_logfmt(line.substr(sp + 1));
  const auto pid = field_int(rest, "pid");
  const auto gen = field_int(rest, "generation");
  out.pid = pid && *pid > 0 ? static_cast<pid_t>(*pid) : 0;
  out.generation = gen && *gen > 0 ? static_cast<int>(*gen) : 0;
  return out;
}

LogFields parse_logfmt(std::string_view line) {
  LogFields out;
  std::size_t i = 0;
  const std::size_t n = line.size();
  while (i < n) {
    while (i < n && line[i] == ' ')
      ++i;
    const std::size_t key_start = i;
    while (i < n && line[i] != '=' && line[i] != ' ')
      ++i;
    std::string key(line.substr(key_start, i - key_start));
    std::string value;
    if (i < n && line[i] == '=') {
      ++i;
      if (i < n && line[i] == '"') {
        ++i;
        while (i < n && line[i] != '"') {
          if (line[i] == '\\' && i + 1 < n) ++i;
          value.push_back(line[i++]);
        }
        if (i < n) ++i;  // closing quote
      } else {
        const std::size_t v = i;
        while (i < n && line[i] != ' ')
          ++i;
        value = std::string(line.substr(v, i - v));
      }
    }
    if (!key.empty()) out[std::move(key)] = std::move(value);
  }
  return out;
}

std::optional<long long> field_int(const LogFields& f, std::string_view key) {
  auto it = f.find(key);
  long long v = 0;
  if (it == f.end() || !to_number(std::string_view(it->second), v)) return std::nullopt;
  return v;
}

}  // namespace zerodrop::proc

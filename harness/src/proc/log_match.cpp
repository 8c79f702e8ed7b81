// See zerodrop/proc/log_match.hpp.
#include "zerodrop/proc/log_match.hpp"

#include <charconv>

namespace zerodrop::proc {

LogMatch::LogMatch(const std::string& regex) : re_(regex, std::regex::ECMAScript) {}

std::optional<LogMatch::Match> LogMatch::match(std::string_view line) const {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_search(line.begin(), line.end(), m, re_)) return std::nullopt;
  Match out;
  if (m.size() > 1 && m[1].matched) {
    const std::string_view g =
        line.substr(static_cast<std::size_t>(m.position(1)), static_cast<std::size_t>(m.length(1)));
    long v = 0;
    const auto [p, ec] = std::from_chars(g.data(), g.data() + g.size(), v);
    if (ec == std::errc() && p == g.data() + g.size() && v > 0 && v <= 0x7fffffff)
      out.pid = static_cast<pid_t>(v);
  }
  return out;
}

}  // namespace zerodrop::proc

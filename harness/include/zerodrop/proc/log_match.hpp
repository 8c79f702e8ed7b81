// proc/log_match — a server's own log line taken as an announcement ("Listening at:
// http://127.0.0.1:8000 (4242)", as gunicorn writes to stderr), matched by the scenario's regex.
//
// Contract: LogMatch compiles an ECMAScript regex once (std::regex_error on a bad one; the
// scenario parser has already rejected those) and match() searches one line (without its
// newline; a trailing '\r' is ignored) for it: nothing when it does not occur; else a Match whose
// pid is the first capture group read as a decimal pid (0 when the regex has no group, the group
// did not take part, or it is not a positive number). has_pid_group() says whether the regex has
// a group at all. Pure: no I/O, never throws after construction.
#pragma once

#include <sys/types.h>

#include <optional>
#include <regex>
#include <string>
#include <string_view>

namespace zerodrop::proc {

class LogMatch {
 public:
  explicit LogMatch(const std::string& regex);

  struct Match {
    pid_t pid = 0;
  };
  std::optional<Match> match(std::string_view line) const;
  bool has_pid_group() const { return re_.mark_count() > 0; }

 private:
  std::regex re_;
};

}  // namespace zerodrop::proc

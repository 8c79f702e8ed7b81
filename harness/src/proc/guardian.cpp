// See zerodrop/proc/guardian.hpp.
#include "zerodrop/proc/guardian.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "zerodrop/proc/spawn.hpp"

namespace zerodrop::proc {

Guardian::Guardian(const std::string& tag) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) {
    std::fprintf(stderr, "zerodrop: pipe2 (guardian): %s\n", std::strerror(errno));
    return;
  }
  static const char kScript[] =
      "trap '' INT TERM HUP\n"
      "while read -r x; do [ \"$x\" = done ] && exit 0; done\n"
      "for e in /proc/[0-9]*/environ; do\n"
      "  grep -qxzF -e \"$1\" \"$e\" 2>/dev/null || continue\n"
      "  q=${e#/proc/}; kill -KILL \"${q%/environ}\" 2>/dev/null\n"
      "done\n";
  Spec s;
  s.argv = {"/bin/sh", "-c", kScript, "zerodrop-guardian", tag};
  s.env = {"PATH=/usr/bin:/bin"};
  s.stdin_fd = p[0];
  s.stderr_fd = 2;
  s.null_stdio = true;        // stdout
  s.die_with_parent = false;  // it must outlive us: that is its whole point
  try {
    pid_ = spawn(s).pid;
    fd_ = p[1];
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zerodrop: guardian: %s\n", e.what());
    ::close(p[1]);
  }
  ::close(p[0]);
}

void Guardian::dismiss() {
  static const char kDone[] = "done\n";
  if (fd_ >= 0 && ::write(fd_, kDone, sizeof kDone - 1) < 0)
    std::fprintf(stderr, "zerodrop: write (guardian): %s\n", std::strerror(errno));
}

Guardian::~Guardian() {
  if (fd_ >= 0) ::close(fd_);
  if (pid_ > 0 && ::waitpid(pid_, nullptr, 0) < 0 && errno != ECHILD)
    std::fprintf(stderr, "zerodrop: waitpid (guardian): %s\n", std::strerror(errno));
}

}  // namespace zerodrop::proc

// exe_path: the absolute path to exec for the next generation.
//
// Contract: resolve_executable_path(argv0) is computed once at startup: a name containing '/'
// is made absolute against the current directory; a bare name is looked up in $PATH like
// execvp would. Symlinks are *not* resolved and /proc/self/exe is *not* used, so a binary
// replaced on disk (or a re-pointed symlink) is what the next generation runs. Empty on failure.
#pragma once

#include <string>

namespace zerodrop::server {

std::string resolve_executable_path(const char* argv0);

}  // namespace zerodrop::server

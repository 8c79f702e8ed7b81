// exe_path: the absolute path to exec for the next generation.
//
// Contract: resolve_executable_path(argv0) is computed once at startup: a name containing '/'
// is made absolute against the current directory; a bare name is looked up in $PATH like
// execvp would. Symlinks are *not* resolved and /proc/self/exe is *not* used, so a binary
// replaced on disk (or a re-pointed symlink) is what the next generation runs. Empty on failure.
//
// binary_identity(st) names a file as far as a deploy can change it (device, inode, size, mtime,
// ctime): equal strings, the same unchanged file. A generation passes the next one what it
// exec'd as ZERODROP_BINARY=<identity>:<path>, so `reload` can tell whether the generation it
// finds serving runs the file now at <path> (reload.hpp).
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>

namespace zerodrop::server {

std::string resolve_executable_path(const char* argv0);

std::string binary_identity(const struct stat& st);
inline constexpr std::string_view kBinaryVar = "ZERODROP_BINARY=";

}  // namespace zerodrop::server

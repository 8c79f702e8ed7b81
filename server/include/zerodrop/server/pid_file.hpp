// pid_file: the pid file, replaced atomically.
//
// Contract: write_pid_file() writes "<pid>\n" to "<path>.tmp.<pid>" and rename()s it over
// <path>, so a reader sees either the old complete file or the new one, never a torn or empty
// one, and each write is a new inode (the reload helper relies on that: a rewrite with the
// same pid marks a failed restart). remove_pid_file_if_ours() unlinks it only if it still
// names us (a newer generation may own it).
#pragma once

#include <string>

namespace zerodrop::server {

bool write_pid_file(const std::string& path, int pid);
void remove_pid_file_if_ours(const std::string& path, int pid);
// The pid in the file, or 0 if missing/unreadable/malformed.
int read_pid_file(const std::string& path);

}  // namespace zerodrop::server

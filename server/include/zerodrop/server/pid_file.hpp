// pid_file: the pid file, replaced atomically, and locked by the process it names.
//
// Contract: write_pid_file() writes "<pid>\n" to "<path>.tmp.<pid>" — created exclusively and
// never through a symlink (O_EXCL|O_NOFOLLOW: a stale entry of that name is unlinked first) —
// takes a POSIX write lock on it, and rename()s it over <path>, so a reader sees either the
// old complete file or the new one, never a torn or empty one, and each write is a new inode
// (the reload helper relies on that: a rewrite with the same pid marks a failed restart). The
// returned PidFileLock keeps the descriptor, hence the lock, for as long as the caller holds
// it: pid_file_holder() (F_GETLK) then names the live process that wrote the file, which is
// how `reload` tells a running server from a stale pid that may now belong to anyone. (The
// lock is a POSIX record lock because F_GETLK reports its owner's pid; such a lock is dropped
// when its owner closes *any* descriptor of the file, so the server never opens its own pid
// file otherwise — remove_pid_file_if_ours() runs at exit only.) remove_pid_file_if_ours()
// unlinks it only if it still names us (a newer generation may own it).
#pragma once

#include <string>

namespace zerodrop::server {

class PidFileLock {
 public:
  PidFileLock() = default;
  explicit PidFileLock(int fd) : fd_(fd) {}
  PidFileLock(PidFileLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  PidFileLock& operator=(PidFileLock&& o) noexcept;
  PidFileLock(const PidFileLock&) = delete;
  PidFileLock& operator=(const PidFileLock&) = delete;
  ~PidFileLock() { reset(); }
  void reset();
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// An empty lock on failure (logged).
PidFileLock write_pid_file(const std::string& path, int pid);
void remove_pid_file_if_ours(const std::string& path, int pid);
// The pid in the file, or 0 if missing/unreadable/malformed.
int read_pid_file(const std::string& path);
// The pid of the process holding the pid file's lock; 0 if nobody holds it, -1 if the file
// cannot be opened.
int pid_file_holder(const std::string& path);

}  // namespace zerodrop::server

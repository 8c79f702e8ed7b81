// Atomic pid file. See pid_file.hpp.
#include "zerodrop/server/pid_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "zerodrop/server/log.hpp"

namespace zerodrop::server {

PidFileLock& PidFileLock::operator=(PidFileLock&& o) noexcept {
  if (this != &o) {
    reset();
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

void PidFileLock::reset() {
  if (fd_ >= 0 && ::close(fd_) < 0) log_syscall_error("close", errno, "pid file");
  fd_ = -1;
}

PidFileLock write_pid_file(const std::string& path, int pid) {
  std::string tmp = path + ".tmp." + std::to_string(pid);
  // Exclusive and not through a symlink: the name is predictable, and O_TRUNC through a link
  // planted there would clobber its target. A leftover of ours (a crash between open and
  // rename) is removed first: unlink() removes a link itself, never its target.
  int fd = -1;
  for (int attempt = 0; attempt < 2 && fd < 0; ++attempt) {
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST && attempt == 0) {
      LogLine("pid_file_stale_tmp").kv("path", tmp);
      if (::unlink(tmp.c_str()) < 0 && errno != ENOENT) {
        log_syscall_error("unlink", errno, tmp);
        return {};
      }
      continue;
    }
    if (fd < 0) {
      log_syscall_error("open", errno, tmp);
      return {};
    }
  }
  PidFileLock lock(fd);
  // Locked before it appears under its name: whoever reads the pid finds the lock held.
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (::fcntl(fd, F_SETLK, &fl) < 0) log_syscall_error("fcntl", errno, "F_SETLK " + tmp);
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%d\n", pid);
  ssize_t w = ::write(fd, buf, static_cast<std::size_t>(n));
  if (w != n) {
    log_syscall_error("write", w < 0 ? errno : EIO, tmp);
    ::unlink(tmp.c_str());
    return {};
  }
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    log_syscall_error("rename", errno, path);
    ::unlink(tmp.c_str());
    return {};
  }
  return lock;
}

int pid_file_holder(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return -1;
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  int r = ::fcntl(fd, F_GETLK, &fl);
  ::close(fd);
  if (r < 0) return -1;
  return fl.l_type == F_UNLCK ? 0 : static_cast<int>(fl.l_pid);
}

int read_pid_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[32] = {};
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  char* end = nullptr;
  long v = std::strtol(buf, &end, 10);
  if (end == buf || v <= 0 || v > 0x7fffffff || (*end != '\n' && *end != '\0')) return 0;
  return static_cast<int>(v);
}

void remove_pid_file_if_ours(const std::string& path, int pid) {
  if (path.empty() || read_pid_file(path) != pid) return;
  if (::unlink(path.c_str()) < 0 && errno != ENOENT) log_syscall_error("unlink", errno, path);
}

}  // namespace zerodrop::server

// Atomic pid file. See pid_file.hpp.
#include "zerodrop/server/pid_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "zerodrop/server/log.hpp"

namespace zerodrop::server {

bool write_pid_file(const std::string& path, int pid) {
  std::string tmp = path + ".tmp." + std::to_string(pid);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    log_syscall_error("open", errno, tmp);
    return false;
  }
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%d\n", pid);
  ssize_t w = ::write(fd, buf, static_cast<std::size_t>(n));
  if (w != n) {
    log_syscall_error("write", w < 0 ? errno : EIO, tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  if (::close(fd) < 0) {
    log_syscall_error("close", errno, tmp);
    ::unlink(tmp.c_str());
    return false;
  }
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    log_syscall_error("rename", errno, path);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
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

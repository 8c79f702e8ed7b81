// The synchronous reload helper. See reload.hpp.
#include "zerodrop/server/reload.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "zerodrop/server/event_loop.hpp"
#include "zerodrop/server/exe_path.hpp"
#include "zerodrop/server/pid_file.hpp"

namespace zerodrop::server {
namespace {

bool alive(int pid) {
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

// The pid file as a writer changes it: each write is a new file renamed into place. Device and
// inode alone are not enough — a file written twice in a row (a failed restart's rewrite, then
// the announcement) may get the inode number the first write freed — so size and the
// nanosecond mtime and ctime count too (exe_path.hpp).
struct FileId {
  std::string identity;
  bool exists = false;
  bool operator==(const FileId&) const = default;
};

FileId file_id(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0) return {};
  return {binary_identity(st), true};
}

// The local address of the listening socket at /proc/<pid>/fd/3, from /proc/<pid>/net/tcp{,6}.
bool find_listener(int pid, sockaddr_storage& addr, socklen_t& len, unsigned long& inode) {
  char link[64];
  std::string fdpath = "/proc/" + std::to_string(pid) + "/fd/3";
  ssize_t n = ::readlink(fdpath.c_str(), link, sizeof link - 1);
  if (n <= 0) return false;
  link[n] = '\0';
  inode = 0;
  if (std::sscanf(link, "socket:[%lu]", &inode) != 1) return false;
  for (const char* table : {"tcp", "tcp6"}) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/net/" + table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string sl, local, remote, state, queues, tr, retr, uid, timeout, ino;
      fields >> sl >> local >> remote >> state >> queues >> tr >> retr >> uid >> timeout >> ino;
      if (state != "0A" || ino != std::to_string(inode)) continue;
      std::size_t colon = local.find(':');
      if (colon == std::string::npos) return false;
      unsigned port = static_cast<unsigned>(std::stoul(local.substr(colon + 1), nullptr, 16));
      std::string hex = local.substr(0, colon);
      std::memset(&addr, 0, sizeof addr);
      if (hex.size() == 8) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&addr);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(static_cast<std::uint16_t>(port));
        // /proc prints the address as a host-order word of the network-order bytes.
        sin->sin_addr.s_addr = static_cast<in_addr_t>(std::stoul(hex, nullptr, 16));
        if (sin->sin_addr.s_addr == htonl(INADDR_ANY))
          sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(sockaddr_in);
      } else {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&addr);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(static_cast<std::uint16_t>(port));
        for (int w = 0; w < 4; ++w) {
          auto word = static_cast<std::uint32_t>(std::stoul(hex.substr(w * 8, 8), nullptr, 16));
          std::memcpy(&sin6->sin6_addr.s6_addr[w * 4], &word, 4);
        }
        if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr)) sin6->sin6_addr = in6addr_loopback;
        len = sizeof(sockaddr_in6);
      }
      return true;
    }
  }
  return false;
}

// Whether `pid` still has the socket `inode` open (it is still accepting from it).
bool holds_socket(int pid, unsigned long inode) {
  const std::string want = "socket:[" + std::to_string(inode) + "]";
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    char link[64];
    ssize_t n = ::readlink(e.path().c_str(), link, sizeof link - 1);
    if (n > 0 && want == std::string_view(link, static_cast<std::size_t>(n))) return true;
  }
  return false;  // also when the process is gone
}

// Waits until the old generation has closed its copy of the listener (so every new
// connection reaches the new one), then GET /healthz must be answered with X-Pid: pid.
bool probe_health(int old_pid, int pid, Millis deadline, std::string& detail) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  unsigned long inode = 0;
  if (!find_listener(pid, addr, len, inode)) {
    detail = "listener of pid " + std::to_string(pid) + " not found in /proc (probe skipped)";
    return true;
  }
  while (holds_socket(old_pid, inode)) {
    if (monotonic_ms() >= deadline) {
      detail = "old pid " + std::to_string(old_pid) + " still accepts on the listener";
      return false;
    }
    ::usleep(5000);
  }
  const std::string want = "X-Pid: " + std::to_string(pid) + "\r\n";
  for (int attempt = 0; attempt < 3; ++attempt) {
    int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      detail = std::string("socket: ") + std::strerror(errno);
      return false;
    }
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) < 0) {
      detail = std::string("connect: ") + std::strerror(errno);
      ::close(fd);
      return false;
    }
    static constexpr char kReq[] =
        "GET /healthz HTTP/1.1\r\nHost: reload\r\nConnection: close\r\n\r\n";
    std::string resp;
    if (::send(fd, kReq, sizeof kReq - 1, MSG_NOSIGNAL) == sizeof kReq - 1) {
      char buf[1024];
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
        resp.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (resp.rfind("HTTP/1.1 200", 0) == 0 && resp.find(want) != std::string::npos) {
      detail =
          "GET /healthz answered by pid " + std::to_string(pid) + ", old pid no longer accepting";
      return true;
    }
    detail = "GET /healthz not answered by pid " + std::to_string(pid);
  }
  return false;
}

// Whether `pid` runs a file that is no longer at its path: its parent generation recorded what
// it exec'd (ZERODROP_BINARY, exe_path.hpp) in its environment. Such a generation serves the
// code from before a deploy — it took over, but the restart to the new file that the reload
// asked for failed (forwarded to it, issue 13 item 4). False if it runs the file now at the
// path, or if it cannot be told (no entry: not started by a restart).
bool runs_replaced_binary(int pid, std::string& path) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  std::string entry;
  while (std::getline(in, entry, '\0')) {
    if (!entry.starts_with(kBinaryVar)) continue;
    const std::string_view v = std::string_view(entry).substr(kBinaryVar.size());
    std::size_t cut = 0;
    for (int field = 0; field < 5; ++field) {
      cut = v.find(':', field == 0 ? 0 : cut + 1);
      if (cut == std::string_view::npos) return false;
    }
    path = std::string(v.substr(cut + 1));
    struct stat now {};
    return ::stat(path.c_str(), &now) < 0 || binary_identity(now) != v.substr(0, cut);
  }
  return false;
}

// SIGHUP to the server the pid file names — only if that process is the one holding the pid
// file's lock (a server holds it for as long as the file names it). A pid from a stale file
// (the server crashed) may since belong to anyone: SIGHUP's default action kills. The signal
// goes through a pidfd opened *before* the identity check, so a process that exits after the
// check cannot pass its pid on to another one in time to be signalled instead.
bool signal_server(const std::string& path, int pid) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    std::fprintf(stderr, "reload: pidfd_open(%d): %s\n", pid, std::strerror(errno));
    return false;
  }
  const int holder = pid_file_holder(path);
  if (holder != pid) {
    if (holder <= 0)
      std::fprintf(stderr,
                   "reload: no zerodrop-server holds %s (it is not locked): pid %d is stale and "
                   "may belong to an unrelated process; not signalling it\n",
                   path.c_str(), pid);
    else
      std::fprintf(stderr, "reload: %s names pid %d but is held by pid %d; not signalling either\n",
                   path.c_str(), pid, holder);
    ::close(pidfd);
    return false;
  }
  if (::syscall(SYS_pidfd_send_signal, pidfd, SIGHUP, nullptr, 0) < 0) {
    std::fprintf(stderr, "reload: pidfd_send_signal(%d, SIGHUP): %s\n", pid, std::strerror(errno));
    ::close(pidfd);
    return false;
  }
  ::close(pidfd);
  return true;
}

}  // namespace

int run_reload(const ReloadConfig& config) {
  const std::string& path = config.pid_file;
  const int old_pid = read_pid_file(path);
  if (old_pid == 0) {
    std::fprintf(stderr, "reload: no pid in %s\n", path.c_str());
    return 1;
  }
  if (!alive(old_pid)) {
    std::fprintf(stderr, "reload: pid %d (from %s) is not running\n", old_pid, path.c_str());
    return 1;
  }
  std::string dir =
      path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
  if (dir.empty()) dir = path.find('/') == 0 ? "/" : ".";
  int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (ino < 0)
    std::fprintf(stderr, "reload: inotify_init1: %s (polling)\n", std::strerror(errno));
  else if (inotify_add_watch(ino, dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE) < 0)
    std::fprintf(stderr, "reload: inotify_add_watch %s: %s (polling)\n", dir.c_str(),
                 std::strerror(errno));
  const FileId before = file_id(path);
  if (!signal_server(path, old_pid)) {
    if (ino >= 0) ::close(ino);
    return 1;
  }
  const Millis deadline = monotonic_ms() + config.timeout_ms;
  int result = -1;
  while (result < 0) {
    FileId now = file_id(path);
    int pid = read_pid_file(path);
    if (now.exists && !(now == before) && pid != 0) {
      std::string failed, stale_path;
      if (pid == old_pid)
        failed = "pid " + std::to_string(pid) + " rewrote " + path + " and keeps serving";
      else if (alive(pid) && runs_replaced_binary(pid, stale_path))
        failed = "pid " + std::to_string(pid) + " serves, but runs the file that was at " +
                 stale_path + " before it was replaced";
      if (!failed.empty()) {
        std::fprintf(stderr,
                     "reload: restart failed: %s (the reason is in its log: "
                     "event=restart_failed)\n",
                     failed.c_str());
        result = 1;
        break;
      }
      if (alive(pid)) {
        std::string detail;
        bool ok = probe_health(old_pid, pid, deadline, detail);
        if (ok)
          std::printf("reloaded: %d -> %d (%s)\n", old_pid, pid, detail.c_str());
        else
          std::fprintf(stderr, "reload: new pid %d is not healthy: %s\n", pid, detail.c_str());
        result = ok ? 0 : 1;
        break;
      }
    }
    if (!alive(old_pid) && (pid == old_pid || pid == 0 || !alive(pid))) {
      std::fprintf(stderr, "reload: pid %d exited without a successor\n", old_pid);
      result = 1;
      break;
    }
    Millis left = deadline - monotonic_ms();
    if (left <= 0) {
      std::fprintf(stderr, "reload: no outcome within %lldms\n",
                   static_cast<long long>(config.timeout_ms));
      result = 1;
      break;
    }
    // Woken by the pid file's rename; the 50 ms cap also notices a dead old process.
    pollfd p{ino, POLLIN, 0};
    int wait = static_cast<int>(left < 50 ? left : 50);
    if (ino >= 0) {
      if (::poll(&p, 1, wait) > 0) {
        char buf[4096];
        while (::read(ino, buf, sizeof buf) > 0) {
        }
      }
    } else {
      ::usleep(static_cast<useconds_t>(wait) * 1000);
    }
  }
  if (ino >= 0) ::close(ino);
  return result;
}

}  // namespace zerodrop::server

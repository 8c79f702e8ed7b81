// Binding or adopting the listening socket. See listener.hpp.
#include "zerodrop/server/listener.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "zerodrop/server/log.hpp"

namespace zerodrop::server {
namespace {

constexpr int kListenFdStart = 3;  // SD_LISTEN_FDS_START

bool parse_int_env(const char* name, long& out) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return false;
  char* end = nullptr;
  errno = 0;
  long n = std::strtol(v, &end, 10);
  if (errno != 0 || *end != '\0') return false;
  out = n;
  return true;
}

// Makes an inherited fd safe to use: close-on-exec for us, O_NONBLOCK set (never cleared).
bool prepare_inherited(int fd) {
  int fdflags = fcntl(fd, F_GETFD);
  if (fdflags < 0) {
    log_syscall_error("fcntl", errno, "F_GETFD on LISTEN_FDS fd 3");
    return false;
  }
  if (!(fdflags & FD_CLOEXEC) && fcntl(fd, F_SETFD, fdflags | FD_CLOEXEC) < 0) {
    log_syscall_error("fcntl", errno, "F_SETFD FD_CLOEXEC on fd 3");
    return false;
  }
  int flflags = fcntl(fd, F_GETFL);
  if (flflags < 0) {
    log_syscall_error("fcntl", errno, "F_GETFL on fd 3");
    return false;
  }
  if (!(flflags & O_NONBLOCK)) {
    // Setting is harmless to the other holder (it already copes with EAGAIN); clearing is not.
    if (fcntl(fd, F_SETFL, flflags | O_NONBLOCK) < 0) {
      log_syscall_error("fcntl", errno, "F_SETFL O_NONBLOCK on fd 3");
      return false;
    }
    LogLine("listener_nonblock_set").kv("fd", kListenFdStart);
  }
  int accepting = 0;
  socklen_t len = sizeof accepting;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) < 0) {
    log_syscall_error("getsockopt", errno, "SO_ACCEPTCONN on fd 3");
    return false;
  }
  if (!accepting) {
    LogLine("listener_invalid").kv("fd", kListenFdStart).kv("reason", "not a listening socket");
    return false;
  }
  return true;
}

}  // namespace

bool stop_new_handshakes(int fd) {
  // The filter sees the TCP header (tcp_filter(): skb->data at the transport header); byte 13
  // holds the flags. SYN without ACK (a new connection) → 0: dropped; anything else → kept.
  static sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 13),
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x12),  // SYN | ACK
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x02, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0),
      BPF_STMT(BPF_RET | BPF_K, 0xffffffffU),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) {
    log_syscall_error("setsockopt", errno, "SO_ATTACH_FILTER (drop new SYNs) on the listener");
    return false;
  }
  return true;
}

void clear_handshake_filter(int fd) {
  int unused = 0;
  if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof unused) < 0 && errno != ENOENT)
    log_syscall_error("setsockopt", errno, "SO_DETACH_FILTER on the inherited listener");
}

std::string socket_address(int fd, std::uint16_t* port) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) {
    log_syscall_error("getsockname", errno);
    return {};
  }
  char host[INET6_ADDRSTRLEN] = {};
  std::uint16_t p = 0;
  std::string out;
  if (ss.ss_family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
    p = ntohs(sin->sin_port);
    out = std::string(host) + ":" + std::to_string(p);
  } else if (ss.ss_family == AF_INET6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
    p = ntohs(sin6->sin6_port);
    // Appended piece by piece: GCC 12's -Wrestrict misfires on "[" + std::string(...) at -O3.
    out.append("[").append(host).append("]:").append(std::to_string(p));
  } else {
    out = "unix";
  }
  if (port != nullptr) *port = p;
  return out;
}

std::optional<Listener> adopt_or_bind(const Config& config) {
  Listener l;
  long listen_pid = 0, listen_fds = 0;
  if (parse_int_env("LISTEN_PID", listen_pid) && listen_pid == getpid() &&
      parse_int_env("LISTEN_FDS", listen_fds) && listen_fds >= 1) {
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (listen_fds > 1) LogLine("listen_fds_extra").kv("count", listen_fds).kv("used", "fd 3");
    // Extra fds we do not use must not leak into the next generation either.
    for (long i = 1; i < listen_fds; ++i) {
      int fd = kListenFdStart + static_cast<int>(i);
      if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        log_syscall_error("fcntl", errno, "extra LISTEN_FDS fd");
    }
    if (!prepare_inherited(kListenFdStart)) return std::nullopt;
    clear_handshake_filter(kListenFdStart);
    l.fd = kListenFdStart;
    l.inherited = true;
    l.address = socket_address(l.fd, &l.port);
    return l;
  }

  // A successor started by our restart (LISTEN_FDS and a ready fd to report on) must serve
  // the inherited socket, never bind its own: with --port 0 it would listen on a different
  // port, report ready, and the parent would hand over to a server nobody can reach. That
  // happens when a wrapper script forks instead of exec'ing: LISTEN_PID is then not our pid.
  // (A launcher that passes only ZERODROP_READY_FD, without LISTEN_FDS, gets a normal bind.)
  if (std::getenv("ZERODROP_READY_FD") != nullptr && std::getenv("LISTEN_FDS") != nullptr) {
    const char* lp = std::getenv("LISTEN_PID");
    LogLine("listener_missing")
        .kv("reason",
            "LISTEN_FDS is for another process (LISTEN_PID is not our pid: a wrapper that "
            "forks instead of exec?)")
        .kv("listen_pid", lp != nullptr ? lp : "")
        .kv("pid", static_cast<std::int64_t>(getpid()));
    return std::nullopt;
  }

  // Numeric addresses only (and "localhost"): no resolver, so the executable can be linked
  // statically (see CMakeLists.txt: exec time is restart time), and a test server has no
  // business binding a name that DNS could point anywhere.
  const std::string host = config.host == "localhost" ? "127.0.0.1" : config.host;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(config.port);
    addr_len = sizeof *v4;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(config.port);
    addr_len = sizeof *v6;
  } else {
    LogLine("bad_host")
        .kv("host", config.host)
        .kv("reason", "not a numeric IPv4/IPv6 address or localhost");
    return std::nullopt;
  }
  const std::string where = config.host + ":" + std::to_string(config.port);
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    log_syscall_error("socket", errno, where);
    return std::nullopt;
  }
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
    log_syscall_error("setsockopt", errno, "SO_REUSEADDR");
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), addr_len) < 0) {
    log_syscall_error("bind", errno, where);
    ::close(fd);
    return std::nullopt;
  }
  if (listen(fd, SOMAXCONN) < 0) {
    log_syscall_error("listen", errno, where);
    ::close(fd);
    return std::nullopt;
  }
  l.fd = fd;
  l.address = socket_address(l.fd, &l.port);
  return l;
}

}  // namespace zerodrop::server

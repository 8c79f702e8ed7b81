// See zerodrop/proc/free_port.hpp.
#include "zerodrop/proc/free_port.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

namespace zerodrop::proc {
namespace {

// 0 when the port cannot be bound now; the port bound (its own, or the kernel's choice for 0).
std::uint16_t try_bind(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  std::uint16_t got = 0;
  // No SO_REUSEADDR: a port with connections lingering in TIME_WAIT is refused here too, as a
  // server that does not set it would be refused.
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    socklen_t len = sizeof a;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) < 0) {
      const int e = errno;
      ::close(fd);
      throw std::runtime_error(std::string("getsockname: ") + std::strerror(e));
    }
    got = ntohs(a.sin_port);
  } else if (errno != EADDRINUSE && errno != EACCES) {
    const int e = errno;
    ::close(fd);
    throw std::runtime_error("bind 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(e));
  }
  ::close(fd);
  return got;
}

}  // namespace

std::uint16_t free_loopback_port() {
  int low = 32768;  // the kernel's default when the file cannot be read
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  range >> low;
  constexpr int kFrom = 10000;
  if (low - kFrom >= 1000) {
    std::random_device seed;
    std::mt19937 rng(seed());
    std::uniform_int_distribution<int> pick(kFrom, low - 1);
    for (int attempt = 0; attempt < 64; ++attempt)
      if (const std::uint16_t p = try_bind(static_cast<std::uint16_t>(pick(rng)))) return p;
  }
  if (const std::uint16_t p = try_bind(0)) return p;
  throw std::runtime_error("bind 127.0.0.1:0: no loopback port free");
}

}  // namespace zerodrop::proc

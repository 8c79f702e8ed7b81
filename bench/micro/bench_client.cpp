// bench_client — a blocking loopback HTTP/1.1 client for round-trip latency: one GET, its whole
// response, TCP_NODELAY, no allocation in the loop once warm. See bench_client.hpp.
#include "bench_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace zerodrop::bench {

Client::Client(std::uint16_t port) : port_(port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    ::close(fd_);
    fd_ = -1;
  }
  buf_.reserve(4096);
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

int Client::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

bool Client::get(const char* path, bool keep_alive) {
  char req[256];
  int n = std::snprintf(req, sizeof req,
                        "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: %s\r\n\r\n", path,
                        static_cast<unsigned>(port_), keep_alive ? "keep-alive" : "close");
  if (::send(fd_, req, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) return false;
  buf_.clear();
  std::size_t head_end = std::string::npos, need = 0;
  char chunk[4096];
  for (;;) {
    ssize_t r = ::recv(fd_, chunk, sizeof chunk, 0);
    if (r < 0) return false;
    if (r == 0) return !keep_alive && head_end != std::string::npos;
    buf_.append(chunk, static_cast<std::size_t>(r));
    if (head_end == std::string::npos) {
      head_end = buf_.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      head_end += 4;
      const char* cl = strcasestr(buf_.c_str(), "content-length:");
      need = cl != nullptr ? std::strtoul(cl + 15, nullptr, 10) : 0;
      if (cl == nullptr && keep_alive) return false;  // only sized responses on keep-alive here
    }
    if (keep_alive && buf_.size() >= head_end + need) return true;
  }
}

}  // namespace zerodrop::bench

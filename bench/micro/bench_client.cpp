// bench_client — a blocking loopback HTTP/1.1 client for round-trip latency: one GET, its whole
// response (read by the harness's response reader), TCP_NODELAY. See bench_client.hpp.
#include "bench_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>

#include "zerodrop/http_response.hpp"

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
  if (zerodrop::read_response(fd_, buf_, false, error_).state !=
      zerodrop::ParsedResponse::kComplete)
    return false;
  if (keep_alive) return true;
  // Connection: close: the round trip ends with the server's close, as a client sees it.
  char rest[512];
  for (;;) {
    const ssize_t r = ::recv(fd_, rest, sizeof rest, 0);
    if (r == 0) return true;
    if (r < 0) return false;
  }
}

}  // namespace zerodrop::bench

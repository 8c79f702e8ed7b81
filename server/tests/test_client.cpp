// A small bounded HTTP client for the process tests. See test_client.hpp.
#include "test_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "zerodrop/http_response.hpp"

namespace zerodrop::server::testing {

using zerodrop::ParsedResponse;

int connect_loopback(std::uint16_t port, int timeout_ms, int rcvbuf) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    int err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

TestConn::TestConn(std::uint16_t port, int timeout_ms) {
  fd_ = connect_loopback(port, timeout_ms);
  if (fd_ < 0) connect_errno_ = errno;
}

TestConn::~TestConn() {
  if (fd_ >= 0) ::close(fd_);
}

bool TestConn::send(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error_ = std::string("send: ") + std::strerror(errno);
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::optional<HttpResponse> TestConn::read_response(bool head_request) {
  if (fd_ < 0) {
    error_ = "not connected";
    return std::nullopt;
  }
  // The harness's response reader (zerodrop/http_response.hpp): one framing logic for the load
  // engine, the probes, the benchmarks and these tests.
  error_.clear();
  std::string head;
  ParsedResponse p = zerodrop::read_response(fd_, buf_, head_request, error_, &head);
  if (p.state != ParsedResponse::kComplete) return std::nullopt;
  HttpResponse r;
  r.status = p.status;
  r.body = std::move(p.body);
  zerodrop::for_each_header(head, [&](std::string_view name, std::string_view value) {
    std::string lower(name);
    for (auto& c : lower)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[lower] = std::string(value);
  });
  return r;
}

int TestConn::wait_eof(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return EAGAIN;
  char tmp[4096];
  for (;;) {
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n == 0) return 0;
    if (n < 0) return errno == EINTR ? EINTR : errno;
    // Data before EOF: keep reading.
  }
}

std::string get_request(const std::string& path, bool close) {
  return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + (close ? "Connection: close\r\n" : "") +
         "\r\n";
}

std::optional<HttpResponse> http_get(std::uint16_t port, const std::string& path) {
  TestConn c(port);
  if (!c.connected() || !c.send(get_request(path, true))) return std::nullopt;
  return c.read_response();
}

}  // namespace zerodrop::server::testing

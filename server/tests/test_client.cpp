// A small bounded HTTP client for the process tests. See test_client.hpp.
#include "test_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace zerodrop::server::testing {

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

bool TestConn::fill() {
  char tmp[16384];
  for (;;) {
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n > 0) {
      buf_.append(tmp, static_cast<std::size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    error_ = n == 0 ? "eof" : std::string("recv: ") + std::strerror(errno);
    return false;
  }
}

std::optional<HttpResponse> TestConn::read_response(bool head_request) {
  if (fd_ < 0) {
    error_ = "not connected";
    return std::nullopt;
  }
  std::size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
    if (!fill()) return std::nullopt;
  HttpResponse r;
  std::string head = buf_.substr(0, end + 2);
  buf_.erase(0, end + 4);
  if (head.rfind("HTTP/1.", 0) != 0 || head.size() < 12) {
    error_ = "bad status line";
    return std::nullopt;
  }
  r.status = std::atoi(head.c_str() + 9);
  std::size_t pos = head.find("\r\n") + 2;
  while (pos < head.size()) {
    std::size_t eol = head.find("\r\n", pos);
    std::string line = head.substr(pos, eol - pos);
    pos = eol + 2;
    std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.erase(0, 1);
    r.headers[name] = value;
  }
  if (head_request || r.status == 100 || r.status == 204 || r.status == 304) return r;
  if (r.header("transfer-encoding") == "chunked") {
    // `at` walks the buffer; it is trimmed once at the end (erasing per chunk made a long
    // stream quadratic: seconds for 200,000 chunks under ASan).
    std::size_t at = 0;
    for (;;) {
      std::size_t eol;
      while ((eol = buf_.find("\r\n", at)) == std::string::npos)
        if (!fill()) return std::nullopt;
      std::size_t size = std::stoul(buf_.substr(at, eol - at), nullptr, 16);
      at = eol + 2;
      while (buf_.size() < at + size + 2)
        if (!fill()) return std::nullopt;
      r.body.append(buf_, at, size);
      at += size + 2;
      if (size == 0) break;
    }
    buf_.erase(0, at);
    return r;
  }
  if (r.headers.count("content-length")) {
    std::size_t len = std::stoul(r.header("content-length"));
    while (buf_.size() < len)
      if (!fill()) return std::nullopt;
    r.body = buf_.substr(0, len);
    buf_.erase(0, len);
    return r;
  }
  while (fill()) {
  }
  r.body = std::move(buf_);
  buf_.clear();
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

// test_client: a small blocking HTTP/1.1 client over raw sockets for the process tests.
//
// Contract: every call is bounded by a timeout (SO_RCVTIMEO/SO_SNDTIMEO and poll), so a
// misbehaving server fails a test instead of hanging it. Raw sockets (not a library client)
// because the tests need control over pipelining, half-close, partial heads and resets; the
// responses are read by the harness's one response reader (zerodrop/http_response.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace zerodrop::server::testing {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  bool closes() const { return header("connection") == "close"; }
};

class TestConn {
 public:
  explicit TestConn(std::uint16_t port, int timeout_ms = 5000);
  ~TestConn();
  TestConn(const TestConn&) = delete;
  TestConn& operator=(const TestConn&) = delete;

  bool connected() const { return fd_ >= 0; }
  int connect_errno() const { return connect_errno_; }
  bool send(std::string_view data);
  // One response; nullopt on EOF/reset/timeout/garbage (see last_error()).
  std::optional<HttpResponse> read_response(bool head_request = false);
  // What the peer did next: 0 = clean EOF, else the errno (ECONNRESET, EAGAIN on timeout).
  int wait_eof(int timeout_ms = 3000);
  const std::string& last_error() const { return error_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  int connect_errno_ = 0;
  std::string buf_;
  std::string error_;
};

// A blocking TCP connection to 127.0.0.1:port with send/receive timeouts; the receive buffer
// is set before connect (so the advertised window is small) if rcvbuf > 0. -1 (errno) on failure.
int connect_loopback(std::uint16_t port, int timeout_ms, int rcvbuf = 0);

// GET `path` on a fresh connection with Connection: close.
std::optional<HttpResponse> http_get(std::uint16_t port, const std::string& path);
std::string get_request(const std::string& path, bool close = false);

}  // namespace zerodrop::server::testing

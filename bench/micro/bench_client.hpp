// bench_client — the smallest blocking HTTP/1.1 client: one request, one response, on a
// loopback socket. For round-trip latency (TCP_NODELAY; the response is read by the harness's
// one reader, zerodrop/http_response.hpp: no heap allocation for a small response once the
// buffer is warm).
#pragma once

#include <cstdint>
#include <string>

namespace zerodrop::bench {

class Client {
 public:
  explicit Client(std::uint16_t port);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  bool connected() const { return fd_ >= 0; }
  // Sends GET path; reads the whole response, framed by Content-Length, chunked encoding (to
  // its last chunk) or the server's close. keep_alive=false sends Connection: close and then
  // also waits for the server's close. False on any error (error() says which).
  bool get(const char* path, bool keep_alive);
  const std::string& error() const { return error_; }
  int release();  // hands the socket over

 private:
  int fd_ = -1;
  std::uint16_t port_;
  std::string buf_;
  std::string error_;
};

}  // namespace zerodrop::bench

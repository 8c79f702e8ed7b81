// bench_client — the smallest blocking HTTP/1.1 client: one request, one response, on a
// loopback socket. For round-trip latency (no allocation in the loop, TCP_NODELAY).
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
  // Sends GET path; reads the whole response (Content-Length or chunked-until-0 or EOF).
  // keep_alive=false sends Connection: close and reads to EOF. False on any error.
  bool get(const char* path, bool keep_alive);
  int release();  // hands the socket over

 private:
  int fd_ = -1;
  std::uint16_t port_;
  std::string buf_;
};

}  // namespace zerodrop::bench

// response_writer: serializes responses into a connection's reusable output buffer.
//
// Contract: every response carries Date (cached, reformatted at most once a second),
// Content-Type, X-Pid and X-Generation (pre-rendered once per process), and either
// Content-Length or Transfer-Encoding: chunked. `keep_alive=false` adds `Connection: close`;
// an HTTP/1.0 keep-alive response says `Connection: keep-alive`. HEAD responses carry the
// same headers as GET and no body. Appending only grows the caller's std::string, whose
// capacity is kept between requests, so steady-state serving does not allocate.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

namespace zerodrop::server {

struct ResponseOptions {
  bool head_only = false;
  bool keep_alive = true;
  int version_minor = 1;
  std::string_view extra_headers{};  // complete "Name: value\r\n" lines
};

class ResponseWriter {
 public:
  ResponseWriter(int pid, std::uint32_t generation);

  void append(std::string& out, int status, std::string_view body, const ResponseOptions& opt);
  // Head of a streamed body. HTTP/1.1: chunked. HTTP/1.0: no framing, ends with the close.
  void append_stream_head(std::string& out, const ResponseOptions& opt);
  static void append_chunk(std::string& out, std::string_view data, bool framed);
  static void append_last_chunk(std::string& out, bool framed);
  static void append_continue(std::string& out);
  static std::string_view reason_phrase(int status);

  std::string_view date_header();  // "Date: ...\r\n"

 private:
  void append_common(std::string& out, int status, const ResponseOptions& opt);
  std::string ids_;  // "X-Pid: N\r\nX-Generation: G\r\n"
  std::time_t date_sec_ = -1;
  char date_[64] = {};
  std::size_t date_len_ = 0;
};

}  // namespace zerodrop::server

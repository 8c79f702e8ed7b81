// http_response — the one client-side reader of HTTP/1.1 responses: an incremental view of the
// bytes received, outcome classification, and a blocking reader and fetch() for probes, tests
// and benchmarks.
//
// Contract: parse_response() looks at the bytes received so far and says whether they hold a
// complete response (Content-Length, chunked, or — when eof is true — close-delimited; no body
// for 1xx/204/304 or the answer to a HEAD), an incomplete one, or garbage. for_each_header()
// walks the header lines of a head (the bytes before the blank line). classify() maps how a
// request ended to exactly one Outcome; a request whose fate is unknown is never `ok` and never
// silently dropped. An RST and a FIN are different outcomes: only a FIN on a reused keep-alive
// connection can be the benign idle race.
// read_response() blocks on a connected socket until one whole response is in (bounded only by
// the socket's own SO_RCVTIMEO) and removes it from the caller's buffer, which keeps whatever
// came after it (a pipelined next response). fetch() is one GET on a fresh loopback connection
// with Connection: close, every step bounded by timeout_ms; its error names the failing syscall.
// The load engine (load.cpp) drives parse_response() itself, non-blocking; the reference server
// does not use this file (server_core stays free of the harness library: reload.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "zerodrop/history.hpp"

namespace zerodrop {

struct ParsedResponse {
  enum State { kIncomplete, kComplete, kBad } state = kIncomplete;
  int status = 0;
  long pid = 0;
  int generation = 0;
  bool close = false;       // server said Connection: close (or the body ended with it)
  bool said_close = false;  // the header itself said Connection: close
  const char* framing = "";  // length | chunked | close | none (once complete)
  std::string body;    // decoded
  std::size_t consumed = 0;
  std::size_t head_size = 0;  // status line and headers, with the blank line (once received)
  bool chunked = false;       // Transfer-Encoding: chunked (once the head is in)
};

// `pid_header`: the header whose value is the answering pid (server.pid_header; empty: none).
ParsedResponse parse_response(std::string_view bytes, bool eof, bool head_request = false,
                              std::string_view pid_header = "X-Pid");

// fn(name, value) for each "name: value" line of `head` after the status line: the name as
// sent, the value without surrounding blanks. Lines without a colon are skipped.
template <typename Fn>
void for_each_header(std::string_view head, Fn&& fn);

// Blocks until `buf` plus what recv() brings on `fd` holds one whole response; returns it and
// erases its bytes from buf (its head first copied to *head, if given: for for_each_header()).
// state incomplete when the connection ended first or recv() failed (`error`: "eof", or
// "recv: <strerror>"), bad on garbage ("bad response").
ParsedResponse read_response(int fd, std::string& buf, bool head_request, std::string& error,
                             std::string* head = nullptr, std::string_view pid_header = "X-Pid");

struct FetchResult {
  ParsedResponse response;
  std::string error;  // the failing step: "connect: Connection refused", "eof", ...
  bool ok() const { return response.state == ParsedResponse::kComplete; }
};
// GET `path` from 127.0.0.1:port on a fresh connection (Connection: close); connect, send and
// every recv() are bounded by timeout_ms.
FetchResult fetch(std::uint16_t port, std::string_view path, int timeout_ms = 5000,
                  std::string_view pid_header = "X-Pid");

// How the transport ended, as the client engine saw it. `cut`: the harness ended the run
// under the request; `harness`: the harness's own socket call failed (EMFILE, EADDRNOTAVAIL).
enum class Ending { kComplete, kRefused, kReset, kEof, kTimeout, kCut, kHarness };
Outcome classify(Ending how, std::size_t bytes_received, bool reused, const ParsedResponse& parsed);

std::string fnv1a_hex(std::string_view s);

template <typename Fn>
void for_each_header(std::string_view head, Fn&& fn) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
      s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
      s.remove_suffix(1);
    return s;
  };
  std::size_t eol = head.find("\r\n");
  std::size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    std::size_t next = head.find("\r\n", pos);
    if (next == std::string_view::npos) next = head.size();
    const std::string_view line = head.substr(pos, next - pos);
    pos = next + 2;
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos)
      fn(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
}

}  // namespace zerodrop

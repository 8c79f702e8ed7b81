// http_response — incremental view of one HTTP/1.1 response, and outcome classification.
//
// Contract: parse_response() looks at the bytes received so far and says whether they hold a
// complete response (Content-Length, chunked, or — when eof is true — close-delimited), an
// incomplete one, or garbage. classify() maps how a request ended to exactly one Outcome; a
// request whose fate is unknown is never `ok` and never silently dropped. An RST and a FIN are
// different outcomes: only a FIN on a reused keep-alive connection can be the benign idle race.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "zerodrop/history.hpp"

namespace zerodrop {

struct ParsedResponse {
  enum State { incomplete, complete, bad } state = incomplete;
  int status = 0;
  long pid = 0;
  int generation = 0;
  bool close = false;       // server said Connection: close (or the body ended with it)
  bool said_close = false;  // the header itself said Connection: close
  const char* framing = "";  // length | chunked | close | none (once complete)
  std::string body;    // decoded
  std::size_t consumed = 0;
};

ParsedResponse parse_response(std::string_view bytes, bool eof);

// How the transport ended, as the client engine saw it. `cut`: the harness ended the run
// under the request; `harness`: the harness's own socket call failed (EMFILE, EADDRNOTAVAIL).
enum class Ending { complete, refused, reset, eof, timeout, cut, harness };
Outcome classify(Ending how, std::size_t bytes_received, bool reused, const ParsedResponse& parsed);

std::string fnv1a_hex(std::string_view s);

}  // namespace zerodrop

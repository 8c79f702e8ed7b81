// http_response — incremental view of one HTTP/1.1 response, and outcome classification.
//
// Contract: parse_response() looks at the bytes received so far and says whether they hold a
// complete response (Content-Length, chunked, or — when eof is true — close-delimited), an
// incomplete one, or garbage. classify() maps how a request ended to exactly one Outcome; a
// request whose fate is unknown is never `ok` and never silently dropped.
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
  bool close = false;  // server said Connection: close
  std::string body;    // decoded
  std::size_t consumed = 0;
};

ParsedResponse parse_response(std::string_view bytes, bool eof);

// How the transport ended, as the client engine saw it.
enum class Ending { complete, refused, reset, eof, timeout };
Outcome classify(Ending how, std::size_t bytes_received, bool reused, const ParsedResponse& parsed);

std::string fnv1a_hex(std::string_view s);

}  // namespace zerodrop

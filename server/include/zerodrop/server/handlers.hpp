// handlers: the routing table, from a parsed request head to what the connection must do.
//
// Contract: pure (no I/O, no time): GET/HEAD `/` → the message after --delay; `/slow?ms=N`
// (N ≤ 1 h, default 1000) → the message after N ms; `/stream?chunks=N&interval_ms=M`
// (defaults 5 and 100, N ≤ 1e6) → N chunks "chunk <i>\n" (i from 1 to N) one every M ms;
// `/healthz` → "ok"; POST or PUT `/upload` → the body's byte count. A known path with another
// method → 405 with Allow; an unknown path → 404; a malformed query → 400 (the connection
// stays open: the request itself was well-formed HTTP).
#pragma once

#include <cstdint>
#include <string_view>

#include "zerodrop/server/config.hpp"
#include "zerodrop/server/http_parser.hpp"

namespace zerodrop::server {

enum class RouteKind : std::uint8_t {
  kMessage,
  kHealth,
  kStream,
  kUpload,
  kNotFound,
  kMethodNotAllowed,
  kBadQuery
};

struct Route {
  RouteKind kind = RouteKind::kNotFound;
  Millis delay_ms = 0;
  std::uint32_t chunks = 0;
  Millis interval_ms = 0;
  std::string_view allow;  // for 405
};

Route route_request(const RequestHead& head, const Config& config);

}  // namespace zerodrop::server

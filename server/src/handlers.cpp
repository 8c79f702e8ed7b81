// The routing table. See handlers.hpp.
#include "zerodrop/server/handlers.hpp"

namespace zerodrop::server {

Route route_request(const RequestHead& head, const Config& config) {
  Route r;
  const bool get_like = head.method == Method::kGet || head.method == Method::kHead;
  std::string_view path = head.path;
  if (path == "/") {
    if (!get_like) return {RouteKind::kMethodNotAllowed, 0, 0, 0, "GET, HEAD"};
    r.kind = RouteKind::kMessage;
    r.delay_ms = config.delay_ms;
    return r;
  }
  if (path == "/slow") {
    if (!get_like) return {RouteKind::kMethodNotAllowed, 0, 0, 0, "GET, HEAD"};
    std::uint64_t ms = 1000;
    if (query_uint(head.query, "ms", 3'600'000, ms) == QueryUint::kBad)
      return {RouteKind::kBadQuery, 0, 0, 0, {}};
    r.kind = RouteKind::kMessage;
    r.delay_ms = static_cast<Millis>(ms);
    return r;
  }
  if (path == "/stream") {
    if (!get_like) return {RouteKind::kMethodNotAllowed, 0, 0, 0, "GET, HEAD"};
    std::uint64_t chunks = 5, interval = 100;
    if (query_uint(head.query, "chunks", 1'000'000, chunks) == QueryUint::kBad ||
        query_uint(head.query, "interval_ms", 3'600'000, interval) == QueryUint::kBad)
      return {RouteKind::kBadQuery, 0, 0, 0, {}};
    r.kind = RouteKind::kStream;
    r.chunks = static_cast<std::uint32_t>(chunks);
    r.interval_ms = static_cast<Millis>(interval);
    return r;
  }
  if (path == "/healthz") {
    if (!get_like) return {RouteKind::kMethodNotAllowed, 0, 0, 0, "GET, HEAD"};
    r.kind = RouteKind::kHealth;
    return r;
  }
  if (path == "/upload") {
    if (head.method != Method::kPost && head.method != Method::kPut)
      return {RouteKind::kMethodNotAllowed, 0, 0, 0, "POST, PUT"};
    r.kind = RouteKind::kUpload;
    return r;
  }
  r.kind = RouteKind::kNotFound;
  return r;
}

}  // namespace zerodrop::server

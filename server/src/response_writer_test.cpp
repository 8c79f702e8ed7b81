// Unit tests for response serialization and the routing table.
#include "zerodrop/server/response_writer.hpp"

#include <gtest/gtest.h>

#include "zerodrop/server/handlers.hpp"

namespace zerodrop::server {
namespace {

TEST(ResponseWriter, CarriesIdsLengthAndConnection) {
  ResponseWriter w(4242, 3);
  std::string out;
  w.append(out, 200, "hello", {});
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(out.find("\r\nX-Pid: 4242\r\nX-Generation: 3\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nContent-Length: 5\r\n\r\nhello"), std::string::npos);
  EXPECT_NE(out.find("\r\nDate: "), std::string::npos);
  EXPECT_EQ(out.find("Connection:"), std::string::npos);

  out.clear();
  w.append(out, 404, "nope", {.head_only = true, .keep_alive = false});
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(out.find("Content-Length: 4\r\n\r\n"), std::string::npos);
  EXPECT_EQ(out.find("nope"), std::string::npos) << "HEAD has no body";

  out.clear();
  w.append(out, 200, "", {.keep_alive = true, .version_minor = 0});
  EXPECT_NE(out.find("Connection: keep-alive\r\n"), std::string::npos);
}

TEST(ResponseWriter, ChunkFraming) {
  std::string out;
  ResponseWriter::append_chunk(out, "chunk 1\n", true);
  ResponseWriter::append_last_chunk(out, true);
  EXPECT_EQ(out, "8\r\nchunk 1\n\r\n0\r\n\r\n");
  out.clear();
  ResponseWriter::append_chunk(out, "raw", false);
  ResponseWriter::append_last_chunk(out, false);
  EXPECT_EQ(out, "raw");
}

RequestHead head(Method m, std::string_view path, std::string_view query = {}) {
  RequestHead h;
  h.method = m;
  h.path = path;
  h.query = query;
  return h;
}

TEST(Handlers, RoutingTable) {
  Config c;
  c.delay_ms = 7;
  EXPECT_EQ(route_request(head(Method::kGet, "/"), c).kind, RouteKind::kMessage);
  EXPECT_EQ(route_request(head(Method::kGet, "/"), c).delay_ms, 7);
  EXPECT_EQ(route_request(head(Method::kHead, "/slow", "ms=50"), c).delay_ms, 50);
  EXPECT_EQ(route_request(head(Method::kGet, "/slow", "ms=x"), c).kind, RouteKind::kBadQuery);
  auto s = route_request(head(Method::kGet, "/stream", "chunks=3&interval_ms=9"), c);
  EXPECT_EQ(s.kind, RouteKind::kStream);
  EXPECT_EQ(s.chunks, 3u);
  EXPECT_EQ(s.interval_ms, 9);
  EXPECT_EQ(route_request(head(Method::kPost, "/upload"), c).kind, RouteKind::kUpload);
  EXPECT_EQ(route_request(head(Method::kGet, "/upload"), c).kind, RouteKind::kMethodNotAllowed);
  EXPECT_EQ(route_request(head(Method::kPost, "/"), c).kind, RouteKind::kMethodNotAllowed);
  EXPECT_EQ(route_request(head(Method::kGet, "/healthz"), c).kind, RouteKind::kHealth);
  EXPECT_EQ(route_request(head(Method::kGet, "/x"), c).kind, RouteKind::kNotFound);
}

}  // namespace
}  // namespace zerodrop::server

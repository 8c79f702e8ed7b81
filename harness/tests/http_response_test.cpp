#include "zerodrop/http_response.hpp"

#include <gtest/gtest.h>

namespace zerodrop {
namespace {

const std::string kOk =
    "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nX-Pid: 42\r\nX-Generation: 2\r\n\r\nhello gin!";

TEST(ParseResponse, ContentLength) {
  auto p = parse_response(kOk, false);
  EXPECT_EQ(p.state, ParsedResponse::complete);
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p.pid, 42);
  EXPECT_EQ(p.generation, 2);
  EXPECT_EQ(p.body, "hello gin!");
  EXPECT_EQ(parse_response(kOk.substr(0, kOk.size() - 1), false).state, ParsedResponse::incomplete);
}

TEST(ParseResponse, ChunkedAndCloseDelimited) {
  std::string c =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nchunk 0\n\r\n8\r\nchunk "
      "1\n\r\n0\r\n\r\n";
  auto p = parse_response(c, false);
  EXPECT_EQ(p.state, ParsedResponse::complete);
  EXPECT_EQ(p.body, "chunk 0\nchunk 1\n");
  EXPECT_EQ(parse_response(c.substr(0, c.size() - 2), false).state, ParsedResponse::incomplete);
  std::string d = "HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nabc";
  EXPECT_EQ(parse_response(d, false).state, ParsedResponse::incomplete);
  EXPECT_EQ(parse_response(d, true).body, "abc");
  EXPECT_EQ(parse_response("garbage\r\n\r\n", false).state, ParsedResponse::bad);
}

TEST(ParseResponse, SaysHowTheBodyWasFramedAndWhetherTheServerClosed) {
  EXPECT_STREQ(parse_response(kOk, false).framing, "length");
  EXPECT_FALSE(parse_response(kOk, false).said_close);
  auto c = parse_response("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc", true);
  EXPECT_STREQ(c.framing, "close");
  EXPECT_TRUE(c.said_close);
}

TEST(Classify, EveryEndingHasOneClass) {
  ParsedResponse none;
  auto full = parse_response(kOk, false);
  EXPECT_EQ(classify(Ending::complete, kOk.size(), false, full), Outcome::ok);
  EXPECT_EQ(classify(Ending::refused, 0, false, none), Outcome::refused);
  EXPECT_EQ(classify(Ending::reset, 0, false, none), Outcome::reset);
  EXPECT_EQ(classify(Ending::eof, 0, false, none), Outcome::eof_without_response);
  EXPECT_EQ(classify(Ending::eof, 0, true, none), Outcome::eof_on_reused_keepalive);
  // An RST is never the benign idle race, reused connection or not.
  EXPECT_EQ(classify(Ending::reset, 0, true, none), Outcome::reset_on_reused_keepalive);
  EXPECT_EQ(classify(Ending::eof, 20, false, parse_response(kOk.substr(0, 20), true)),
            Outcome::truncated);
  EXPECT_EQ(classify(Ending::timeout, 0, false, none), Outcome::timeout);
  // Past the request's own timeout it is lost, whatever part of it arrived...
  EXPECT_EQ(classify(Ending::timeout, 20, false, parse_response(kOk.substr(0, 20), false)),
            Outcome::timeout);
  // ...only the harness ending the run under it leaves its fate unknown.
  EXPECT_EQ(classify(Ending::cut, 20, false, parse_response(kOk.substr(0, 20), false)),
            Outcome::indeterminate);
  // The harness's own socket failure is nobody's verdict.
  EXPECT_EQ(classify(Ending::harness, 0, false, none), Outcome::harness_error);
  auto e503 = parse_response("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", false);
  EXPECT_EQ(classify(Ending::complete, 10, false, e503), Outcome::bad_status);
}

}  // namespace
}  // namespace zerodrop

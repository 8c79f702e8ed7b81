#include "zerodrop/http_response.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <vector>

namespace zerodrop {
namespace {

const std::string kOk =
    "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nX-Pid: 42\r\nX-Generation: 2\r\n\r\nhello gin!";

TEST(ParseResponse, ContentLength) {
  auto p = parse_response(kOk, false);
  EXPECT_EQ(p.state, ParsedResponse::kComplete);
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p.pid, 42);
  EXPECT_EQ(p.generation, 2);
  EXPECT_EQ(p.body, "hello gin!");
  EXPECT_EQ(parse_response(kOk.substr(0, kOk.size() - 1), false).state,
            ParsedResponse::kIncomplete);
}

TEST(ParseResponse, ChunkedAndCloseDelimited) {
  std::string c =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nchunk 0\n\r\n8\r\nchunk "
      "1\n\r\n0\r\n\r\n";
  auto p = parse_response(c, false);
  EXPECT_EQ(p.state, ParsedResponse::kComplete);
  EXPECT_EQ(p.body, "chunk 0\nchunk 1\n");
  EXPECT_EQ(parse_response(c.substr(0, c.size() - 2), false).state, ParsedResponse::kIncomplete);
  std::string d = "HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nabc";
  EXPECT_EQ(parse_response(d, false).state, ParsedResponse::kIncomplete);
  EXPECT_EQ(parse_response(d, true).body, "abc");
  EXPECT_EQ(parse_response("garbage\r\n\r\n", false).state, ParsedResponse::kBad);
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
  EXPECT_EQ(classify(Ending::kComplete, kOk.size(), false, full), Outcome::kOk);
  EXPECT_EQ(classify(Ending::kRefused, 0, false, none), Outcome::kRefused);
  EXPECT_EQ(classify(Ending::kReset, 0, false, none), Outcome::kReset);
  EXPECT_EQ(classify(Ending::kEof, 0, false, none), Outcome::kEofWithoutResponse);
  EXPECT_EQ(classify(Ending::kEof, 0, true, none), Outcome::kEofOnReusedKeepalive);
  // An RST is never the benign idle race, reused connection or not.
  EXPECT_EQ(classify(Ending::kReset, 0, true, none), Outcome::kResetOnReusedKeepalive);
  EXPECT_EQ(classify(Ending::kEof, 20, false, parse_response(kOk.substr(0, 20), true)),
            Outcome::kTruncated);
  EXPECT_EQ(classify(Ending::kTimeout, 0, false, none), Outcome::kTimeout);
  // Past the request's own timeout it is lost, whatever part of it arrived...
  EXPECT_EQ(classify(Ending::kTimeout, 20, false, parse_response(kOk.substr(0, 20), false)),
            Outcome::kTimeout);
  // ...only the harness ending the run under it leaves its fate unknown.
  EXPECT_EQ(classify(Ending::kCut, 20, false, parse_response(kOk.substr(0, 20), false)),
            Outcome::kIndeterminate);
  // The harness's own socket failure is nobody's verdict.
  EXPECT_EQ(classify(Ending::kHarness, 0, false, none), Outcome::kHarnessError);
  auto e503 = parse_response("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", false);
  EXPECT_EQ(classify(Ending::kComplete, 10, false, e503), Outcome::kBadStatus);
}

// read_response() on a socket pair: a chunked response arriving in pieces (one of them ending
// mid-marker), then a pipelined second response that stays in the buffer.
TEST(ReadResponse, ChunkedInPiecesKeepsWhatFollows) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  const std::string second = "HTTP/1.1 204 No Content\r\nX-Pid: 8\r\n\r\n";
  std::thread writer([&] {
    for (const char* piece : {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Pid: 7\r\n\r\n",
                              "5\r\nhello\r\n", "6\r\n world\r\n0\r", "\n\r\n"}) {
      ASSERT_GT(::write(sv[1], piece, std::strlen(piece)), 0);
      std::this_thread::yield();
    }
    ASSERT_GT(::write(sv[1], second.data(), second.size()), 0);
  });
  std::string buf, error, head;
  ParsedResponse r = read_response(sv[0], buf, false, error, &head);
  EXPECT_EQ(r.state, ParsedResponse::kComplete) << error;
  EXPECT_EQ(r.body, "hello world");
  EXPECT_EQ(r.pid, 7);
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  writer.join();
  r = read_response(sv[0], buf, false, error);
  EXPECT_EQ(r.state, ParsedResponse::kComplete) << error;
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.pid, 8);
  EXPECT_TRUE(buf.empty());
  ::close(sv[1]);
  r = read_response(sv[0], buf, false, error);
  EXPECT_EQ(r.state, ParsedResponse::kIncomplete);
  EXPECT_EQ(error, "eof");
  ::close(sv[0]);
}

TEST(ReadResponse, HeadAnswerHasNoBody) {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
  EXPECT_EQ(parse_response(head, false).state, ParsedResponse::kIncomplete);
  auto p = parse_response(head, false, true);
  EXPECT_EQ(p.state, ParsedResponse::kComplete);
  EXPECT_EQ(p.consumed, head.size());
}

TEST(ForEachHeader, NamesAsSentValuesTrimmed) {
  std::vector<std::pair<std::string, std::string>> got;
  for_each_header("HTTP/1.1 200 OK\r\nX-Pid:  42 \r\nno colon\r\nContent-Type:text/plain",
                  [&](std::string_view n, std::string_view v) { got.emplace_back(n, v); });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (std::pair<std::string, std::string>{"X-Pid", "42"}));
  EXPECT_EQ(got[1], (std::pair<std::string, std::string>{"Content-Type", "text/plain"}));
}

// fetch() against a one-shot loopback server, and against a port nobody listens on.
TEST(Fetch, GetsOneResponseAndNamesTheSyscallThatFailed) {
  const int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(l, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(l, 4), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const std::uint16_t port = ntohs(a.sin_port);
  std::string request;
  std::thread server([&] {
    const int c = ::accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(c, 0);
    char b[1024];
    const ssize_t n = ::read(c, b, sizeof b);  // the request fits one read on loopback
    if (n > 0) request.assign(b, static_cast<std::size_t>(n));
    ASSERT_GT(::write(c, kOk.data(), kOk.size()), 0);
    ::close(c);
  });
  const FetchResult r = fetch(port, "/healthz", 5000);
  server.join();
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.response.pid, 42);
  EXPECT_EQ(r.response.body, "hello gin!");
  EXPECT_EQ(request.rfind("GET /healthz HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(request.find("Connection: close\r\n"), std::string::npos);
  ::close(l);  // nobody listens on the port now
  const FetchResult refused = fetch(port, "/", 1000);
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(refused.error.rfind("connect: ", 0), 0u) << refused.error;
}

}  // namespace
}  // namespace zerodrop

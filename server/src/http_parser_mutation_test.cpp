// A deterministic randomized test of the parser: valid requests are mutated (flips,
// insertions, deletions, truncation, CR/LF/NUL/colon/space injection) with a fixed seed and
// parsed whole and in random fragments. Invariants: no crash, a result equal whatever the
// fragmentation, views inside the buffer, head_bytes within the buffer and the limit.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "zerodrop/server/http_parser.hpp"

namespace zerodrop::server {
namespace {

const std::vector<std::string> kSeeds = {
    "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /slow?ms=10 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
    "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "HEAD /stream?chunks=2&interval_ms=1 HTTP/1.1\r\nHost: a\r\nA: b\r\nC:d\r\n\r\n",
    "\r\nGET http://x/y HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
};

std::string mutate(std::string s, std::mt19937_64& rng) {
  static const char kInteresting[] = {'\r', '\n', '\0', ':', ' ', '\t', '\x7f', '\xff', '0', 'a'};
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    if (s.empty()) s = "G";
    std::size_t pos = rng() % s.size();
    switch (rng() % 6) {
      case 0:
        s[pos] = static_cast<char>(s[pos] ^ (1 << (rng() % 8)));
        break;
      case 1:
        s.insert(pos, 1, kInteresting[rng() % sizeof kInteresting]);
        break;
      case 2:
        s.erase(pos, 1 + rng() % 3);
        break;
      case 3:
        s.resize(pos);
        break;
      case 4:
        s.insert(pos, s.substr(rng() % s.size(), rng() % 16));
        break;
      case 5:
        s[pos] = kInteresting[rng() % sizeof kInteresting];
        break;
    }
  }
  return s;
}

struct Outcome {
  Outcome() = default;
  explicit Outcome(ParseStatus s) : status(s) {}
  ParseStatus status = ParseStatus::kNeedMore;
  int error = 0;
  std::size_t head_bytes = 0;
  std::string path;
  bool operator==(const Outcome&) const = default;
};

Outcome check_one(const std::string& buf, std::size_t max) {
  RequestHead h;
  ParseError err;
  std::size_t scanned = 0;
  Outcome o(parse_request_head(buf, scanned, max, h, err));
  if (o.status == ParseStatus::kError) o.error = err.status;
  if (o.status == ParseStatus::kDone) {
    o.head_bytes = h.head_bytes;
    o.path = std::string(h.path);
    EXPECT_LE(h.head_bytes, buf.size());
    for (std::string_view v : {h.method_text, h.target, h.path, h.query}) {
      // The one documented exception: "http://host" has the static path "/".
      if (v.empty() || (v.data() == h.path.data() && v == "/" && h.target.front() != '/')) continue;
      EXPECT_GE(v.data(), buf.data());
      EXPECT_LE(v.data() + v.size(), buf.data() + buf.size());
    }
  }
  return o;
}

TEST(HttpParserMutation, FixedSeedMutationsKeepTheInvariants) {
  std::mt19937_64 rng(0x5eed2026);
  int done = 0, errors = 0, more = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string input = mutate(kSeeds[rng() % kSeeds.size()], rng);
    const std::size_t max = (rng() % 4 == 0) ? 32 : 8192;
    Outcome whole = check_one(input, max);
    // The same bytes arriving in fragments must give the same outcome once all have arrived
    // (or an earlier error/done on a prefix, which must then match the whole-buffer result).
    RequestHead h;
    ParseError err;
    std::size_t scanned = 0;
    std::size_t n = 0;
    Outcome frag(ParseStatus::kNeedMore);
    while (n < input.size()) {
      n += 1 + rng() % 7;
      if (n > input.size()) n = input.size();
      std::string_view prefix(input.data(), n);
      frag = Outcome(parse_request_head(prefix, scanned, max, h, err));
      if (frag.status == ParseStatus::kError) frag.error = err.status;
      if (frag.status == ParseStatus::kDone) {
        frag.head_bytes = h.head_bytes;
        frag.path = std::string(h.path);
      }
      if (frag.status != ParseStatus::kNeedMore) break;
    }
    if (input.empty()) continue;
    EXPECT_EQ(frag.status, whole.status) << "input #" << i;
    if (frag.status == whole.status && whole.status != ParseStatus::kNeedMore) {
      EXPECT_EQ(frag, whole) << "input #" << i;
    }
    done += whole.status == ParseStatus::kDone;
    errors += whole.status == ParseStatus::kError;
    more += whole.status == ParseStatus::kNeedMore;
  }
  // The mutations really reach every outcome (otherwise the test proves little).
  EXPECT_GT(done, 1000);
  EXPECT_GT(errors, 1000);
  EXPECT_GT(more, 100);
}

TEST(ChunkedDecoderMutation, FragmentationNeverChangesTheResult) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 5000; ++i) {
    std::string input = mutate("5\r\nhello\r\n3;a=b\r\nxyz\r\n0\r\nT: 1\r\n\r\nREST", rng);
    ChunkedDecoder whole(64, 32);
    std::size_t used_whole = 0;
    auto rw = whole.feed(input, used_whole);
    ChunkedDecoder frag(64, 32);
    std::size_t off = 0;
    ChunkedDecoder::Result rf = ChunkedDecoder::Result::kNeedMore;
    while (off < input.size() && rf == ChunkedDecoder::Result::kNeedMore) {
      std::size_t len = 1 + rng() % 5;
      std::size_t used = 0;
      rf = frag.feed(std::string_view(input).substr(off, len), used);
      off += used;
    }
    ASSERT_EQ(rf, rw) << i;
    if (rw == ChunkedDecoder::Result::kDone) {
      EXPECT_EQ(off, used_whole);
      EXPECT_EQ(frag.body_bytes(), whole.body_bytes());
    }
    if (rw == ChunkedDecoder::Result::kError) {
      EXPECT_EQ(frag.error_status(), whole.error_status());
    }
  }
}

}  // namespace
}  // namespace zerodrop::server

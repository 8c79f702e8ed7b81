// libFuzzer entry point: the request-head parser, fed whole and in fragments, the chunked
// decoder on what follows a head, and the routing table on every parsed head. Crashes,
// sanitizer reports and the assertions below are findings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "zerodrop/server/config.hpp"
#include "zerodrop/server/handlers.hpp"
#include "zerodrop/server/http_parser.hpp"

using namespace zerodrop::server;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // First byte: fragment size and limit choice; the rest is the byte stream.
  const std::size_t step = 1 + (data[0] & 0x0f);
  const std::size_t max = (data[0] & 0x10) ? 64 : 8192;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);

  RequestHead whole;
  ParseError whole_err;
  std::size_t scanned = 0;
  ParseStatus ws = parse_request_head(in, scanned, max, whole, whole_err);

  RequestHead h;
  ParseError err;
  std::size_t frag_scanned = 0;
  ParseStatus fs = ParseStatus::kNeedMore;
  for (std::size_t n = 0; n < in.size() && fs == ParseStatus::kNeedMore;) {
    n = n + step > in.size() ? in.size() : n + step;
    fs = parse_request_head(in.substr(0, n), frag_scanned, max, h, err);
  }
  if (!in.empty()) check(fs == ws);
  if (ws == ParseStatus::kError) check(whole_err.status >= 400 && whole_err.status <= 505);
  if (ws != ParseStatus::kDone) return 0;
  check(whole.head_bytes <= in.size());
  check(h.head_bytes == whole.head_bytes);

  Config config;
  Route r = route_request(whole, config);
  check(static_cast<int>(r.kind) <= static_cast<int>(RouteKind::kBadQuery));

  std::string_view rest = in.substr(whole.head_bytes);
  ChunkedDecoder d(1 << 20, max);
  std::size_t used = 0;
  auto cr = d.feed(rest, used);
  check(used <= rest.size());
  if (cr == ChunkedDecoder::Result::kDone) check(d.body_bytes() <= rest.size());
  return 0;
}

// Request parsing throughput of the reference server's parser (server/src/http_parser.cpp):
// bytes/s and requests/s for a minimal GET, a browser-like GET with a dozen headers, a
// pipelined batch of 32, and chunked body decoding. The parser runs on every request of every
// connection, so its cost is the floor under the server's CPU per request.
#include <benchmark/benchmark.h>

#include <string>

#include "zerodrop/server/http_parser.hpp"

namespace {

using zerodrop::server::ChunkedDecoder;
using zerodrop::server::parse_request_head;
using zerodrop::server::ParseError;
using zerodrop::server::ParseStatus;
using zerodrop::server::RequestHead;

const std::string kSimple = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
const std::string kBrowser =
    "GET /slow?ms=250 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: keep-alive\r\n"
    "sec-ch-ua: \"Chromium\";v=\"120\", \"Not?A_Brand\";v=\"8\"\r\nsec-ch-ua-mobile: ?0\r\n"
    "Upgrade-Insecure-Requests: 1\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) "
    "AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n"
    "Accept: "
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
    "Sec-Fetch-Site: none\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-User: ?1\r\nSec-Fetch-Dest: "
    "document\r\n"
    "Accept-Encoding: gzip, deflate, br\r\nAccept-Language: en-US,en;q=0.9\r\n\r\n";

void parse_one(benchmark::State& state, const std::string& req) {
  for (auto _ : state) {
    std::size_t scanned = 0;
    RequestHead head;
    ParseError err;
    auto st = parse_request_head(req, scanned, 8192, head, err);
    if (st != ParseStatus::kDone) {
      state.SkipWithError("parse failed");
      break;
    }
    benchmark::DoNotOptimize(head);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * req.size()));
  state.SetItemsProcessed(state.iterations());
}

void BM_ParseMinimalGet(benchmark::State& state) {
  parse_one(state, kSimple);
}
void BM_ParseBrowserGet(benchmark::State& state) {
  parse_one(state, kBrowser);
}

void BM_ParsePipelined32(benchmark::State& state) {
  std::string batch;
  for (int i = 0; i < 32; ++i)
    batch += kSimple;
  for (auto _ : state) {
    std::string_view rest = batch;
    int n = 0;
    while (!rest.empty()) {
      std::size_t scanned = 0;
      RequestHead head;
      ParseError err;
      if (parse_request_head(rest, scanned, 8192, head, err) != ParseStatus::kDone) break;
      rest.remove_prefix(head.head_bytes);
      ++n;
    }
    if (n != 32) {
      state.SkipWithError("pipelined parse stopped early");
      break;
    }
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch.size()));
  state.SetItemsProcessed(state.iterations() * 32);
}

void BM_DecodeChunked64KiB(benchmark::State& state) {
  std::string body;
  const std::string piece(1024, 'z');
  for (int i = 0; i < 64; ++i)
    body += "400\r\n" + piece + "\r\n";
  body += "0\r\n\r\n";
  for (auto _ : state) {
    ChunkedDecoder d;
    std::size_t used = 0;
    if (d.feed(body, used) != ChunkedDecoder::Result::kDone) {
      state.SkipWithError("chunked decode failed");
      break;
    }
    benchmark::DoNotOptimize(d.body_bytes());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

BENCHMARK(BM_ParseMinimalGet);
BENCHMARK(BM_ParseBrowserGet);
BENCHMARK(BM_ParsePipelined32);
BENCHMARK(BM_DecodeChunked64KiB);

}  // namespace

BENCHMARK_MAIN();

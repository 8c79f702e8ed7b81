// http_parser: an incremental, allocation-free HTTP/1.x request parser.
//
// Contract: parse_request_head() looks at the bytes of one connection's input buffer that
// start at a request boundary. It returns kNeedMore until the blank line ending the head has
// arrived (the `scanned` cursor makes repeated calls on a growing buffer cost O(new bytes)),
// then kDone with a RequestHead whose string_views point into that buffer (valid until the
// buffer is compacted; the one exception, an absolute-form target without a path, has the
// static path "/"), or kError with the status to answer (400, 431, 413, 501, 505) and a
// short reason. It accepts only CRLF line endings, rejects obs-fold, whitespace before the
// colon, bad tokens, conflicting or malformed Content-Length, Transfer-Encoding together with
// Content-Length, and transfer codings other than a final "chunked" (request smuggling
// hazards); an HTTP/1.1 request without exactly one Host, or any request with two, is a 400;
// an HTTP/1.0 request with Transfer-Encoding is processed but not kept alive (RFC 9112 §6.1).
// Absolute-form targets (http or https only) are reduced to their path and query. ChunkedDecoder
// consumes a chunked body (extensions and trailers skipped, bounded) and counts its data bytes
// without copying them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace zerodrop::server {

enum class Method : std::uint8_t { kGet, kHead, kPost, kPut, kDelete, kOptions, kOther };

struct RequestHead {
  Method method = Method::kOther;
  std::string_view method_text;
  std::string_view target;  // as sent
  std::string_view path;    // origin-form path (absolute-form is reduced to it)
  std::string_view query;   // after '?', without it
  int version_minor = 1;    // HTTP/1.<minor>
  bool keep_alive = true;   // after the version default and the Connection header
  bool chunked = false;
  bool has_content_length = false;
  std::uint64_t content_length = 0;
  bool expect_continue = false;
  std::size_t head_bytes = 0;  // bytes of the head, including the final CRLF CRLF
};

enum class ParseStatus { kNeedMore, kDone, kError };

struct ParseError {
  int status = 400;
  const char* reason = "";
};

// Leading empty lines (CRLF) before the request line are skipped and counted in head_bytes.
ParseStatus parse_request_head(std::string_view buf, std::size_t& scanned,
                               std::size_t max_header_bytes, RequestHead& out, ParseError& err);

// The value of the parameter named exactly `key` in a query string ("ms=250&x=1"; "" for a
// bare "key"), or nullopt if there is none (the first one counts).
std::optional<std::string_view> query_param(std::string_view query, std::string_view key);

// The parameter `key` as a non-negative decimal no larger than `max` (stored in `value`).
enum class QueryUint { kAbsent, kOk, kBad };
QueryUint query_uint(std::string_view query, std::string_view key, std::uint64_t max,
                     std::uint64_t& value);

class ChunkedDecoder {
 public:
  enum class Result { kNeedMore, kDone, kError };
  explicit ChunkedDecoder(std::uint64_t max_body = UINT64_MAX, std::size_t max_trailer = 8192)
      : max_body_(max_body), max_trailer_(max_trailer) {}
  void reset(std::uint64_t max_body, std::size_t max_trailer);
  // Consumes from `in`; `consumed` is how many bytes were used (on kDone, the bytes after
  // the body are not consumed). On kError, error() tells 400 or 413.
  Result feed(std::string_view in, std::size_t& consumed);
  std::uint64_t body_bytes() const { return body_; }
  int error_status() const { return error_status_; }

 private:
  enum class State : std::uint8_t {
    kSize,
    kSizeLws,
    kExt,
    kSizeLf,
    kData,
    kDataCr,
    kDataLf,
    kTrailerStart,
    kTrailerLine,
    kTrailerLf,
    kFinalLf,
    kDone
  };
  State state_ = State::kSize;
  std::uint64_t chunk_left_ = 0;
  std::uint64_t body_ = 0;
  std::uint64_t max_body_;
  std::size_t max_trailer_;
  std::size_t aux_ = 0;  // digits seen / extension or trailer bytes seen
  int error_status_ = 400;
};

}  // namespace zerodrop::server

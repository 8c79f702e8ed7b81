// An incremental HTTP/1.x request-head parser and chunked-body decoder. See http_parser.hpp.
//
// Why strict: the server may sit behind proxies; every ambiguity a parser resolves differently
// from a proxy (bare LF, obs-fold, CL+TE, duplicated CL, "chunked" not last) is a request
// smuggling vector, so those are rejected with 400/501 rather than guessed.
#include "zerodrop/server/http_parser.hpp"

#include <array>
#include <cstring>

namespace zerodrop::server {
namespace {

constexpr std::array<bool, 256> make_token_table() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c)
    t[static_cast<std::size_t>(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c)
    t[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c)
    t[static_cast<std::size_t>(c)] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~"))
    t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kToken = make_token_table();

bool is_token(char c) {
  return kToken[static_cast<unsigned char>(c)];
}
char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim_ows(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
    v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
    v.remove_suffix(1);
  return v;
}

Method method_of(std::string_view m) {
  switch (m.size()) {
    case 3:
      if (m == "GET") return Method::kGet;
      if (m == "PUT") return Method::kPut;
      break;
    case 4:
      if (m == "HEAD") return Method::kHead;
      if (m == "POST") return Method::kPost;
      break;
    case 6:
      if (m == "DELETE") return Method::kDelete;
      break;
    case 7:
      if (m == "OPTIONS") return Method::kOptions;
      break;
    default:
      break;
  }
  return Method::kOther;
}

ParseStatus fail(ParseError& err, int status, const char* reason) {
  err.status = status;
  err.reason = reason;
  return ParseStatus::kError;
}

// Calls fn(token) for each comma-separated, OWS-trimmed, non-empty element of a list value.
template <typename Fn>
void for_each_list_token(std::string_view v, Fn fn) {
  while (!v.empty()) {
    std::size_t comma = v.find(',');
    std::string_view item = trim_ows(v.substr(0, comma));
    if (!item.empty()) fn(item);
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
}

}  // namespace

ParseStatus parse_request_head(std::string_view buf, std::size_t& scanned,
                               std::size_t max_header_bytes, RequestHead& out, ParseError& err) {
  // Tolerate empty lines before the request line (RFC 9112 §2.2), e.g. a CRLF a client
  // appended after a previous POST body.
  std::size_t start = 0;
  while (start + 1 < buf.size() && buf[start] == '\r' && buf[start + 1] == '\n')
    start += 2;
  if (start > max_header_bytes) return fail(err, 400, "too many empty lines");

  // Find the CRLF CRLF ending the head, resuming where the previous call stopped.
  std::size_t from = scanned > 3 ? scanned - 3 : 0;
  if (from < start) from = start;
  std::size_t end = std::string_view::npos;
  const char* base = buf.data();
  while (from < buf.size()) {
    const void* nl = std::memchr(base + from, '\n', buf.size() - from);
    if (nl == nullptr) break;
    std::size_t i = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
    if (i >= start + 3 && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
      end = i + 1;
      break;
    }
    from = i + 1;
  }
  if (end == std::string_view::npos) {
    scanned = buf.size();
    if (buf.size() - start >= max_header_bytes) return fail(err, 431, "request head too large");
    return ParseStatus::kNeedMore;
  }
  if (end - start > max_header_bytes) return fail(err, 431, "request head too large");

  out = RequestHead{};
  out.head_bytes = end;
  std::string_view head = buf.substr(start, end - start - 2);  // keeps each line's CRLF

  // Request line: method SP target SP HTTP/1.x CRLF
  std::size_t i = 0;
  while (i < head.size() && is_token(head[i]))
    ++i;
  if (i == 0 || i >= head.size() || head[i] != ' ') return fail(err, 400, "bad method");
  out.method_text = head.substr(0, i);
  out.method = method_of(out.method_text);
  std::size_t t0 = ++i;
  while (i < head.size() && head[i] != ' ') {
    auto c = static_cast<unsigned char>(head[i]);
    if (c <= 0x20 || c == 0x7f) return fail(err, 400, "bad target");
    ++i;
  }
  if (i == t0 || i >= head.size()) return fail(err, 400, "bad target");
  out.target = head.substr(t0, i - t0);
  ++i;
  std::string_view rest = head.substr(i);
  if (rest.size() < 10 || rest.substr(0, 5) != "HTTP/" || rest[8] != '\r' || rest[9] != '\n')
    return fail(err, 400, "bad version");
  if (rest[6] != '.' || rest[5] < '0' || rest[5] > '9' || rest[7] < '0' || rest[7] > '9')
    return fail(err, 400, "bad version");
  if (rest[5] != '1') return fail(err, 505, "HTTP version not supported");
  out.version_minor = rest[7] - '0';
  i += 10;

  // Target: origin-form, absolute-form (reduced to its path and query) or "*".
  std::string_view target = out.target;
  if (target.front() != '/' && target != "*") {
    // http[s]://authority[/path][?query]: the authority ends at the first '/' or '?' (a '/'
    // inside the query is not the path's).
    std::size_t scheme = target.find("://");
    if (scheme == std::string_view::npos ||
        !(iequals(target.substr(0, scheme), "http") || iequals(target.substr(0, scheme), "https")))
      return fail(err, 400, "bad target");
    std::string_view rest_of = target.substr(scheme + 3);
    std::size_t end_auth = rest_of.find_first_of("/?");
    if (end_auth == 0) return fail(err, 400, "bad target");  // no authority
    if (end_auth == std::string_view::npos) {
      out.path = "/";
      out.query = {};
    } else if (rest_of[end_auth] == '?') {
      out.path = "/";
      out.query = rest_of.substr(end_auth + 1);
    } else {
      target = rest_of.substr(end_auth);
      std::size_t q = target.find('?');
      out.path = target.substr(0, q);
      out.query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    }
  } else {
    std::size_t q = target.find('?');
    out.path = target.substr(0, q);
    out.query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  }

  bool conn_close = false;
  bool conn_keep_alive = false;
  bool has_te = false;
  int hosts = 0;
  while (i < head.size()) {
    std::size_t n0 = i;
    if (head[i] == ' ' || head[i] == '\t') return fail(err, 400, "obsolete line folding");
    while (i < head.size() && is_token(head[i]))
      ++i;
    if (i == n0 || i >= head.size() || head[i] != ':') return fail(err, 400, "bad header name");
    std::string_view name = head.substr(n0, i - n0);
    std::size_t v0 = ++i;
    while (i < head.size() && head[i] != '\r') {
      auto c = static_cast<unsigned char>(head[i]);
      if ((c < 0x20 && c != '\t') || c == 0x7f) return fail(err, 400, "bad header value");
      ++i;
    }
    if (i + 1 >= head.size() || head[i + 1] != '\n') return fail(err, 400, "bad line ending");
    std::string_view value = trim_ows(head.substr(v0, i - v0));
    i += 2;

    switch (lower(name[0])) {
      case 'c':
        if (iequals(name, "content-length")) {
          if (value.empty() || value.size() > 19) return fail(err, 400, "bad content-length");
          std::uint64_t n = 0;
          for (char c : value) {
            if (c < '0' || c > '9') return fail(err, 400, "bad content-length");
            n = n * 10 + static_cast<std::uint64_t>(c - '0');
          }
          if (out.has_content_length && n != out.content_length)
            return fail(err, 400, "conflicting content-length");
          out.has_content_length = true;
          out.content_length = n;
        } else if (iequals(name, "connection")) {
          for_each_list_token(value, [&](std::string_view tok) {
            if (iequals(tok, "close"))
              conn_close = true;
            else if (iequals(tok, "keep-alive"))
              conn_keep_alive = true;
          });
        }
        break;
      case 't':
        if (iequals(name, "transfer-encoding")) {
          if (has_te || !iequals(value, "chunked"))
            return fail(err, 501, "unsupported transfer-encoding");
          has_te = true;
          out.chunked = true;
        }
        break;
      case 'e':
        if (iequals(name, "expect") && iequals(value, "100-continue")) out.expect_continue = true;
        break;
      case 'h':
        // RFC 9112 §3.2: more than one Host (in any version) → 400.
        if (iequals(name, "host") && ++hosts > 1) return fail(err, 400, "duplicate host");
        break;
      default:
        break;
    }
  }
  if (has_te && out.has_content_length)
    return fail(err, 400, "both content-length and transfer-encoding");
  // RFC 9112 §3.2: an HTTP/1.1 request without Host → 400.
  if (out.version_minor >= 1 && hosts == 0) return fail(err, 400, "missing host");
  out.keep_alive = out.version_minor >= 1 ? !conn_close : (conn_keep_alive && !conn_close);
  // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing as far as
  // any 1.0 intermediary is concerned: process it, then close the connection.
  if (out.version_minor == 0 && has_te) out.keep_alive = false;
  return ParseStatus::kDone;
}

std::optional<std::string_view> query_param(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key)
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

QueryUint query_uint(std::string_view query, std::string_view key, std::uint64_t max,
                     std::uint64_t& value) {
  auto digits = query_param(query, key);
  if (!digits) return QueryUint::kAbsent;
  if (digits->empty() || digits->size() > 19) return QueryUint::kBad;
  std::uint64_t n = 0;
  for (char c : *digits) {
    if (c < '0' || c > '9') return QueryUint::kBad;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n > max) return QueryUint::kBad;
  value = n;
  return QueryUint::kOk;
}

void ChunkedDecoder::reset(std::uint64_t max_body, std::size_t max_trailer) {
  *this = ChunkedDecoder(max_body, max_trailer);
}

ChunkedDecoder::Result ChunkedDecoder::feed(std::string_view in, std::size_t& consumed) {
  constexpr std::size_t kMaxExtension = 4096;
  std::size_t i = 0;
  auto error = [&](int status) {
    consumed = i;
    error_status_ = status;
    return Result::kError;
  };
  while (i < in.size()) {
    char c = in[i];
    switch (state_) {
      case State::kSize: {
        int d = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (d >= 0) {
          if (++aux_ > 15) return error(413);  // 2^60 bytes: far beyond any limit
          chunk_left_ = chunk_left_ * 16 + static_cast<std::uint64_t>(d);
          ++i;
          break;
        }
        if (aux_ == 0) return error(400);
        if (c == ' ' || c == '\t')
          state_ = State::kSizeLws;
        else if (c == ';') {
          state_ = State::kExt;
          aux_ = 0;
        } else if (c == '\r')
          state_ = State::kSizeLf;
        else
          return error(400);
        ++i;
        break;
      }
      case State::kSizeLws:
        if (c == ';') {
          state_ = State::kExt;
          aux_ = 0;
        } else if (c == '\r')
          state_ = State::kSizeLf;
        else if (c != ' ' && c != '\t')
          return error(400);
        ++i;
        break;
      case State::kExt:
        if (c == '\r')
          state_ = State::kSizeLf;
        else if (c == '\n' || ++aux_ > kMaxExtension)
          return error(400);
        ++i;
        break;
      case State::kSizeLf:
        if (c != '\n') return error(400);
        ++i;
        if (chunk_left_ == 0) {
          state_ = State::kTrailerStart;
          aux_ = 0;
        } else {
          if (chunk_left_ > max_body_ - body_) return error(413);
          state_ = State::kData;
        }
        break;
      case State::kData: {
        std::size_t avail = in.size() - i;
        std::size_t n = chunk_left_ < avail ? static_cast<std::size_t>(chunk_left_) : avail;
        i += n;
        body_ += n;
        chunk_left_ -= n;
        if (chunk_left_ == 0) state_ = State::kDataCr;
        break;
      }
      case State::kDataCr:
        if (c != '\r') return error(400);
        state_ = State::kDataLf;
        ++i;
        break;
      case State::kDataLf:
        if (c != '\n') return error(400);
        state_ = State::kSize;
        aux_ = 0;
        ++i;
        break;
      case State::kTrailerStart:
        if (c == '\r')
          state_ = State::kFinalLf;
        else if (c == '\n')
          return error(400);
        else
          state_ = State::kTrailerLine;
        ++i;
        if (++aux_ > max_trailer_) return error(431);
        break;
      case State::kTrailerLine:
        if (c == '\r')
          state_ = State::kTrailerLf;
        else if (c == '\n')
          return error(400);
        ++i;
        if (++aux_ > max_trailer_) return error(431);
        break;
      case State::kTrailerLf:
        if (c != '\n') return error(400);
        state_ = State::kTrailerStart;
        ++i;
        break;
      case State::kFinalLf:
        if (c != '\n') return error(400);
        state_ = State::kDone;
        consumed = i + 1;
        return Result::kDone;
      case State::kDone:
        consumed = i;
        return Result::kDone;
    }
  }
  consumed = i;
  if (state_ == State::kData && chunk_left_ == 0) state_ = State::kDataCr;
  return state_ == State::kDone ? Result::kDone : Result::kNeedMore;
}

}  // namespace zerodrop::server

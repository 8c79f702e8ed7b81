#include "zerodrop/http_response.hpp"

#include <strings.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace zerodrop {

namespace {
bool ieq(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}
}  // namespace

ParsedResponse parse_response(std::string_view b, bool eof) {
  ParsedResponse r;
  auto hend = b.find("\r\n\r\n");
  if (hend == std::string_view::npos) {
    if (b.size() > 65536) r.state = ParsedResponse::bad;
    return r;
  }
  std::string_view head = b.substr(0, hend);
  auto eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
      !std::isdigit(static_cast<unsigned char>(status_line[9]))) {
    r.state = ParsedResponse::bad;
    return r;
  }
  r.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
  long content_length = -1;
  bool chunked = false;
  std::size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    auto next = head.find("\r\n", pos);
    if (next == std::string_view::npos) next = head.size();
    auto line = head.substr(pos, next - pos);
    pos = next + 2;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto name = trim(line.substr(0, colon));
    auto value = trim(line.substr(colon + 1));
    std::string v(value);
    if (ieq(name, "content-length"))
      content_length = std::atol(v.c_str());
    else if (ieq(name, "transfer-encoding"))
      chunked = v.find("chunked") != std::string::npos;
    else if (ieq(name, "connection"))
      r.close = r.said_close = ieq(value, "close");
    else if (ieq(name, "x-pid"))
      r.pid = std::atol(v.c_str());
    else if (ieq(name, "x-generation"))
      r.generation = std::atoi(v.c_str());
  }
  std::size_t body_start = hend + 4;
  if (chunked) {
    std::size_t p = body_start;
    std::string body;
    for (;;) {
      auto le = b.find("\r\n", p);
      if (le == std::string_view::npos) return r;
      char* endp = nullptr;
      std::string sz(b.substr(p, le - p));
      unsigned long n = std::strtoul(sz.c_str(), &endp, 16);
      if (endp == sz.c_str()) {
        r.state = ParsedResponse::bad;
        return r;
      }
      p = le + 2;
      if (n == 0) {
        // Trailers are not used by the servers we test; expect the final CRLF.
        if (b.size() < p + 2) return r;
        r.body = std::move(body);
        r.consumed = p + 2;
        r.framing = "chunked";
        r.state = ParsedResponse::complete;
        return r;
      }
      if (b.size() < p + n + 2) return r;
      body.append(b.substr(p, n));
      p += n + 2;
    }
  }
  if (content_length >= 0) {
    if (b.size() - body_start < static_cast<std::size_t>(content_length)) return r;
    r.body = std::string(b.substr(body_start, content_length));
    r.consumed = body_start + content_length;
    r.framing = "length";
    r.state = ParsedResponse::complete;
    return r;
  }
  if (r.status == 204 || r.status == 304 || r.status / 100 == 1) {
    r.consumed = body_start;
    r.framing = "none";
    r.state = ParsedResponse::complete;
    return r;
  }
  if (eof) {
    r.body = std::string(b.substr(body_start));
    r.consumed = b.size();
    r.close = true;
    r.framing = "close";
    r.state = ParsedResponse::complete;
  }
  return r;
}

Outcome classify(Ending how, std::size_t bytes, bool reused, const ParsedResponse& p) {
  // The harness's own failure is nobody's verdict, whatever arrived before it.
  if (how == Ending::harness) return Outcome::harness_error;
  if (p.state == ParsedResponse::complete)
    return p.status >= 200 && p.status < 300 ? Outcome::ok : Outcome::bad_status;
  if (p.state == ParsedResponse::bad) return Outcome::bad_status;
  switch (how) {
    case Ending::refused:
      return Outcome::refused;
    case Ending::timeout:
      return Outcome::timeout;  // late is lost: a client gave up on it
    case Ending::cut:
      return Outcome::indeterminate;
    case Ending::reset:
      if (bytes > 0) return Outcome::truncated;
      return reused ? Outcome::reset_on_reused_keepalive : Outcome::reset;
    case Ending::eof:
      if (bytes > 0) return Outcome::truncated;
      return reused ? Outcome::eof_on_reused_keepalive : Outcome::eof_without_response;
    case Ending::complete:
    case Ending::harness:
      break;
  }
  return Outcome::indeterminate;
}

std::string fnv1a_hex(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace zerodrop

#include "zerodrop/http_response.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace zerodrop {

namespace {
bool ieq(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}
}  // namespace

ParsedResponse parse_response(std::string_view b, bool eof, bool head_request,
                              std::string_view pid_header) {
  ParsedResponse r;
  auto hend = b.find("\r\n\r\n");
  if (hend == std::string_view::npos) {
    if (b.size() > 65536) r.state = ParsedResponse::kBad;
    return r;
  }
  r.head_size = hend + 4;
  std::string_view head = b.substr(0, hend);
  std::string_view status_line = head.substr(0, head.find("\r\n"));
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
      !std::isdigit(static_cast<unsigned char>(status_line[9]))) {
    r.state = ParsedResponse::kBad;
    return r;
  }
  r.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
  long content_length = -1;
  bool& chunked = r.chunked;
  // A copy (NUL-terminated for atol) only of the values read as numbers: no allocation for
  // the other headers.
  for_each_header(head, [&](std::string_view name, std::string_view value) {
    if (ieq(name, "content-length"))
      content_length = std::atol(std::string(value).c_str());
    else if (ieq(name, "transfer-encoding"))
      chunked = value.find("chunked") != std::string_view::npos;
    else if (ieq(name, "connection"))
      r.close = r.said_close = ieq(value, "close");
    else if (!pid_header.empty() && ieq(name, pid_header))
      r.pid = std::atol(std::string(value).c_str());
    else if (ieq(name, "x-generation"))
      r.generation = std::atoi(std::string(value).c_str());
  });
  std::size_t body_start = hend + 4;
  if (head_request) {  // the headers describe the body a GET would have had
    r.consumed = body_start;
    r.framing = "none";
    r.state = ParsedResponse::kComplete;
    return r;
  }
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
        r.state = ParsedResponse::kBad;
        return r;
      }
      p = le + 2;
      if (n == 0) {
        // Trailers are not used by the servers we test; expect the final CRLF.
        if (b.size() < p + 2) return r;
        r.body = std::move(body);
        r.consumed = p + 2;
        r.framing = "chunked";
        r.state = ParsedResponse::kComplete;
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
    r.state = ParsedResponse::kComplete;
    return r;
  }
  if (r.status == 204 || r.status == 304 || r.status / 100 == 1) {
    r.consumed = body_start;
    r.framing = "none";
    r.state = ParsedResponse::kComplete;
    return r;
  }
  if (eof) {
    r.body = std::string(b.substr(body_start));
    r.consumed = b.size();
    r.close = true;
    r.framing = "close";
    r.state = ParsedResponse::kComplete;
  }
  return r;
}

Outcome classify(Ending how, std::size_t bytes, bool reused, const ParsedResponse& p) {
  // The harness's own failure is nobody's verdict, whatever arrived before it.
  if (how == Ending::kHarness) return Outcome::kHarnessError;
  if (p.state == ParsedResponse::kComplete)
    return p.status >= 200 && p.status < 300 ? Outcome::kOk : Outcome::kBadStatus;
  if (p.state == ParsedResponse::kBad) return Outcome::kBadStatus;
  switch (how) {
    case Ending::kRefused:
      return Outcome::kRefused;
    case Ending::kTimeout:
      return Outcome::kTimeout;  // late is lost: a client gave up on it
    case Ending::kCut:
      return Outcome::kIndeterminate;
    case Ending::kReset:
      if (bytes > 0) return Outcome::kTruncated;
      return reused ? Outcome::kResetOnReusedKeepalive : Outcome::kReset;
    case Ending::kEof:
      if (bytes > 0) return Outcome::kTruncated;
      return reused ? Outcome::kEofOnReusedKeepalive : Outcome::kEofWithoutResponse;
    case Ending::kComplete:
    case Ending::kHarness:
      break;
  }
  return Outcome::kIndeterminate;
}

ParsedResponse read_response(int fd, std::string& buf, bool head_request, std::string& error,
                             std::string* head, std::string_view pid_header) {
  bool eof = false;
  char tmp[16384];
  for (;;) {
    ParsedResponse r = parse_response(buf, eof, head_request, pid_header);
    if (r.state == ParsedResponse::kBad) {
      error = "bad response";
      return r;
    }
    if (r.state == ParsedResponse::kComplete) {
      if (head != nullptr) head->assign(buf, 0, r.head_size);
      buf.erase(0, r.consumed);
      return r;
    }
    if (eof) {
      error = "eof";
      return r;
    }
    // A chunked body is complete only once its last chunk ("0\r\n\r\n") is in: until such
    // bytes arrive, parsing again from the start would only say "incomplete" again, and a long
    // stream would cost quadratic time.
    bool more = true;
    while (more) {
      const std::size_t from = buf.size() < 4 ? 0 : buf.size() - 4;
      const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = std::string("recv: ") + std::strerror(errno);
        return r;
      }
      if (n == 0) {
        eof = true;
        break;
      }
      buf.append(tmp, static_cast<std::size_t>(n));
      more = r.chunked && buf.find("0\r\n\r\n", from) == std::string::npos;
    }
  }
}

FetchResult fetch(std::uint16_t port, std::string_view path, int timeout_ms,
                  std::string_view pid_header) {
  FetchResult out;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    out.error = std::string("socket: ") + std::strerror(errno);
    return out;
  }
  // SO_SNDTIMEO bounds connect() and send(), SO_RCVTIMEO every recv().
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
    out.error = std::string("setsockopt(SO_RCVTIMEO/SO_SNDTIMEO): ") + std::strerror(errno);
    ::close(fd);
    return out;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    out.error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return out;
  }
  std::string req = "GET ";
  req.append(path);
  req += " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  std::size_t sent = 0;
  while (sent < req.size()) {
    const ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      out.error = std::string("send: ") + std::strerror(errno);
      ::close(fd);
      return out;
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string buf;
  out.response = read_response(fd, buf, false, out.error, nullptr, pid_header);
  ::close(fd);
  return out;
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

// One connection's request/response loop. See connection.hpp.
#include "connection.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace zerodrop::mutant {
namespace {

constexpr std::size_t kMaxHead = 8192;
constexpr int kHeaderTimeoutMs = 5000;
constexpr int kServe503ForMs = 600;

struct Request {
  std::string method, path, query;
  bool wants_close = false;
  std::size_t content_length = 0;
};

bool send_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // the client went away: nothing to log for a fixture
    off += static_cast<std::size_t>(n);
  }
  return true;
}

// Lower-cased value of header `name` (given lower-case, with the colon), or "".
std::string header(const std::string& head, const std::string& name) {
  std::string lower = head;
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto at = lower.find("\r\n" + name);
  if (at == std::string::npos) return {};
  auto begin = at + 2 + name.size();
  const auto end = lower.find("\r\n", begin);
  while (begin < end && lower[begin] == ' ')
    ++begin;
  return lower.substr(begin, end - begin);
}

bool parse_head(const std::string& head, Request& req) {
  const auto line_end = head.find("\r\n");
  const std::string line = head.substr(0, line_end);
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1) return false;
  req.method = line.substr(0, sp1);
  std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (const auto q = target.find('?'); q != std::string::npos) {
    req.query = target.substr(q + 1);
    target.resize(q);
  }
  req.path = target;
  const bool http10 = line.compare(sp2 + 1, std::string::npos, "HTTP/1.0") == 0;
  const std::string conn = header(head, "connection:");
  req.wants_close = conn == "close" || (http10 && conn != "keep-alive");
  req.content_length = std::strtoull(header(head, "content-length:").c_str(), nullptr, 10);
  return true;
}

int query_ms(const std::string& query) {
  const auto at = query.find("ms=");
  if (at == std::string::npos) return 1000;
  return std::atoi(query.c_str() + at + 3);
}

std::string response(const SharedState& st, int status, const char* reason, const std::string& body,
                     bool close, bool head_only) {
  std::string out =
      "HTTP/1.1 " + std::to_string(status) + " " + reason +
      "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nX-Pid: " + std::to_string(st.pid) +
      "\r\nX-Generation: " + std::to_string(st.generation) + "\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!head_only) out += body;
  return out;
}

// Closes with an RST instead of a FIN: what the kKeepaliveReset bug does to idle connections.
void reset_close(int fd) {
  const linger lg{1, 0};
  if (::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0) std::perror("setsockopt");
  ::close(fd);
}

// Waits `ms` as a handler's delay. With kTruncate it also watches the drain: returns false if
// the drain started meanwhile (the caller then cuts the response short).
bool handler_delay(SharedState& st, int ms) {
  const Bug bug = st.options->bug;
  const bool watch_drain = bug == Bug::kTruncate || bug == Bug::kStallInFlight;
  if (bug == Bug::kStallInFlight && st.draining.load()) return false;
  if (!watch_drain || st.draining.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return true;
  }
  const std::int64_t deadline = now_ms() + ms;
  for (;;) {
    const std::int64_t left = deadline - now_ms();
    if (left <= 0) return true;
    pollfd p{st.drain_fd, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return false;
    if (n < 0 && errno != EINTR) std::perror("poll");
  }
}

// Reads until a whole request head is in `buf`; false when the connection should end.
// Handles the idle keep-alive wait, including what happens to it when the drain starts.
bool read_head(SharedState& st, int fd, std::string& buf, bool& reset) {
  const Options& o = *st.options;
  bool reset_on_next_request = false;
  while (buf.find("\r\n\r\n") == std::string::npos) {
    if (buf.size() > kMaxHead) return false;
    const bool idle = buf.empty();
    const bool draining = st.draining.load();
    int timeout = kHeaderTimeoutMs;
    if (idle && draining && o.bug == Bug::kResetIdleAtDrain) {
      // THE BUG (kResetIdleAtDrain): no grace, no FIN: every idle connection is reset the moment
      // the drain starts, whether or not a request is on its way.
      reset = true;
      return false;
    }
    if (idle && draining) {
      // THE BUG (kKeepaliveReset): the idle connection gets no `Connection: close` and no
      // clean close; the client's next request on it is answered with an RST (the idle
      // keep-alive race, made deterministic).
      if (o.bug == Bug::kKeepaliveReset) reset_on_next_request = true;
      timeout = static_cast<int>(st.drain_started_ms.load() + o.drain_idle_grace_ms - now_ms());
      if (timeout <= 0) return false;
    } else if (idle) {
      timeout = o.keepalive_timeout_ms;
    }
    pollfd p[2] = {{fd, POLLIN, 0}, {st.drain_fd, POLLIN, 0}};
    const int n = ::poll(p, idle && !draining ? 2 : 1, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::perror("poll");
      return false;
    }
    if (n == 0) return false;  // idle/grace/header timeout
    if (p[0].revents != 0) {
      char chunk[4096];
      const ssize_t r = ::read(fd, chunk, sizeof chunk);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      buf.append(chunk, static_cast<std::size_t>(r));
      if (reset_on_next_request) {
        reset = true;
        return false;
      }
    }
    // else: the drain started; loop to apply the draining rules
  }
  return true;
}

// Reads (and counts) a Content-Length body; false if the client went away.
bool read_body(int fd, std::string& buf, std::size_t length) {
  while (buf.size() < length) {
    char chunk[16384];
    const ssize_t r = ::read(fd, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    buf.append(chunk, static_cast<std::size_t>(r));
  }
  buf.erase(0, length);
  return true;
}

// Serves one request; false when the connection must end now (without a graceful close).
bool serve_one(SharedState& st, int fd, const Request& req, bool& close_after) {
  const Options& o = *st.options;
  const bool head_only = req.method == "HEAD";
  const bool get_like = req.method == "GET" || head_only;
  close_after = req.wants_close;

  int status = 200;
  const char* reason = "OK";
  std::string body;
  int delay_ms = -1;
  if (req.path == "/" && get_like) {
    body = o.message;
    delay_ms = o.delay_ms;
  } else if (req.path == "/slow" && get_like) {
    body = o.message;
    delay_ms = query_ms(req.query);
  } else if (req.path == "/healthz" && get_like) {
    body = "ok";
  } else if (req.path == "/upload" && (req.method == "POST" || req.method == "PUT")) {
    // THE BUG (kWrongUploadCount): one byte short in the echoed count.
    const bool short_by_one = o.bug == Bug::kWrongUploadCount && req.content_length > 0;
    body = std::to_string(req.content_length - (short_by_one ? 1 : 0));
  } else {
    status = 404;
    reason = "Not Found";
    body = "not found";
  }
  const bool cut_by_drain = delay_ms > 0 && !handler_delay(st, delay_ms);
  if (cut_by_drain && o.bug == Bug::kStallInFlight) {
    // THE BUG (kStallInFlight): the drain started; this request is never answered. The thread
    // sits here until the process exits at its drain deadline, closing the socket quietly.
    for (;;)
      ::pause();
  }
  if (cut_by_drain) {
    // THE BUG (kTruncate): the drain cuts the in-flight response: a full Content-Length, half
    // the body, then the connection is closed.
    const std::string whole = response(st, status, reason, body, true, head_only);
    send_all(fd, whole.substr(0, whole.size() - body.size() / 2));
    return false;
  }
  if (o.bug == Bug::kServe503 && st.generation > 1 &&
      now_ms() < st.ready_ms.load() + kServe503ForMs) {  // THE BUG: "ready" but 503
    status = 503;
    reason = "Service Unavailable";
    body = "starting";
  }
  // THE BUG (kNoCloseWhileDraining): the missing `Connection: close` while draining.
  // kKeepaliveReset omits it too: the connection stays open after its in-flight response and
  // read_head() resets the next request on it — so the bug shows on every connection busy at the
  // drain, not only on one that happened to be idle at that instant (a keep-alive pool full of slow
  // requests has none idle: 2 misses in 50 runs under load).
  if (st.draining.load() && o.bug != Bug::kNoCloseWhileDraining && o.bug != Bug::kKeepaliveReset)
    close_after = true;
  return send_all(fd, response(st, status, reason, body, close_after, head_only));
}

}  // namespace

void serve_connection(SharedState& st, int fd) {
  std::string buf;
  bool reset = false;
  bool graceful = true;
  for (;;) {
    if (!read_head(st, fd, buf, reset)) break;
    const auto end = buf.find("\r\n\r\n");
    Request req;
    const bool ok = parse_head(buf.substr(0, end + 2), req);
    buf.erase(0, end + 4);
    if (!ok) {
      send_all(fd, response(st, 400, "Bad Request", "bad request", true, false));
      break;
    }
    if (!read_body(fd, buf, req.content_length)) break;
    bool close_after = false;
    if (!serve_one(st, fd, req, close_after)) {
      graceful = false;
      break;
    }
    if (close_after) break;
  }
  if (reset) {
    reset_close(fd);
  } else {
    // FIN first, so the client reads the whole last response before the socket goes away.
    if (graceful) ::shutdown(fd, SHUT_WR);
    ::close(fd);
  }
  st.connections.fetch_sub(1);
}

}  // namespace zerodrop::mutant

// The client engine. One thread, level-triggered epoll; it sleeps until the pacer's next
// scheduled start (to ~0.1 ms), and at most 1 ms for the per-connection timers (upload trickle,
// slow download reads, timeouts).
#include "zerodrop/load.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>

#include "zerodrop/http_response.hpp"

namespace zerodrop {

namespace {
constexpr std::int64_t kDownloadTickNs = 5'000'000;  // slow download: one small read per tick
constexpr std::size_t kDownloadReadBytes = 512;
constexpr std::int64_t kMinWakeGapNs = 100'000;  // timed wake-ups of the pacer: at most 10,000/s
constexpr int kUploadPieces = 10;
constexpr std::size_t kBodyKept = 64;         // bytes of a long body kept in its record
constexpr std::size_t kShortBodyKept = 4096;  // fast/slow bodies are kept whole up to this

// Socket errors that are the harness's own trouble (out of descriptors, buffers or ephemeral
// ports), never the server's.
bool harness_side(int err) {
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM ||
         err == EADDRNOTAVAIL || err == EADDRINUSE;
}
}  // namespace

struct LoadEngine::Conn {
  int fd = -1;
  std::uint64_t id = 0;
  long owner_pid = 0;  // X-Pid of the last response on it: who accepted it
  bool keepalive = false;
  bool connecting = false;
  bool idle = false;
  bool reused = false;  // this connection already carried a complete response
  bool in_request = false;
  std::size_t rec = 0;
  const RequestKind* kind = nullptr;
  std::string out;
  std::size_t out_off = 0;
  std::size_t body_limit = 0;  // upload: bytes of `out` allowed to be written so far
  std::string in;
  std::int64_t deadline = 0;
  std::int64_t next_tick = 0;   // upload piece / download read
  std::int64_t idle_since = 0;  // when it went back to the pool
  int pieces_sent = 0;
  std::uint32_t events = 0;
  bool in_epoll = false;    // added to the engine's epoll set (close_conn takes it out)
  bool dead = false;        // closed; freed at the end of the loop iteration (see close_conn)
  std::size_t live_at = 0;  // index in live_ (removal swaps with the last: O(1) with 10k conns)
};

std::string request_method(const RequestKind& k) {
  if (!k.method.empty()) return k.method;
  return k.kind == "upload" ? "POST" : "GET";
}

std::string request_target(const RequestKind& k) {
  if (!k.path.empty()) return k.path;
  if (k.kind == "slow") return "/slow?ms=" + std::to_string(k.ms);
  if (k.kind == "download") return "/stream?chunks=" + std::to_string(k.chunks) + "&interval_ms=0";
  if (k.kind == "stream")
    return "/stream?chunks=" + std::to_string(k.chunks) +
           "&interval_ms=" + std::to_string(k.interval_ms);
  if (k.kind == "upload") return "/upload";
  return "/";
}

namespace {
bool same_name(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}
}  // namespace

// The mutants' detection (scenarios/mutants) was measured with today's bytes: a kind without
// headers or body must keep them exactly, hence the built-in lines stay where they were and a
// header of the kind's own replaces one of them in place rather than reordering the head.
std::string build_request(const RequestKind& k, std::uint16_t port, bool keepalive,
                          std::size_t& head_size) {
  std::vector<bool> used(k.headers.size(), false);
  auto line = [&](const char* name, const std::string& value) {
    for (std::size_t i = 0; i < k.headers.size(); ++i)
      if (!used[i] && same_name(k.headers[i].first, name)) {
        used[i] = true;
        return k.headers[i].first + ": " + k.headers[i].second + "\r\n";
      }
    return std::string(name) + ": " + value + "\r\n";
  };
  const std::string method = request_method(k);
  std::string req = method + " " + request_target(k) + " HTTP/1.1\r\n";
  req += line("Host", "127.0.0.1:" + std::to_string(port));
  req += line("User-Agent", "zerodrop");
  req += std::string("Connection: ") + (keepalive ? "keep-alive" : "close") + "\r\n";
  if (k.kind == "upload") {
    req += line("Content-Type", "application/octet-stream");
    req += "Content-Length: " + std::to_string(k.bytes) + "\r\n";
  }
  for (std::size_t i = 0; i < k.headers.size(); ++i)
    if (!used[i]) req += k.headers[i].first + ": " + k.headers[i].second + "\r\n";
  // A body is framed by its length. A POST, PUT or PATCH without one still says so: servers
  // such as nginx answer 411 to a bodyless POST without Content-Length.
  const bool wants_length = method == "POST" || method == "PUT" || method == "PATCH";
  if (k.kind != "upload" && (k.body || wants_length))
    req += "Content-Length: " + std::to_string(k.body ? k.body->size() : 0) + "\r\n";
  req += "\r\n";
  head_size = req.size();
  if (k.kind == "upload")
    req.append(static_cast<std::size_t>(k.bytes), 'z');
  else if (k.body)
    req += *k.body;
  return req;
}

LoadEngine::LoadEngine(const LoadSpec& spec, std::uint16_t port, RunClock clock,
                       std::int64_t start_ns)
    : spec_(spec), port_(port), clock_(clock), start_ns_(start_ns), picker_(spec.kinds) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
}

LoadEngine::~LoadEngine() {
  for (auto* c : live_)
    close_conn(c);
  reap_dead();
  if (epfd_ >= 0) close(epfd_);
}

// Closing is not freeing. A connection is closed deep inside a call chain (on_event ->
// read_some -> finish, send_some -> read_some -> finish) whose callers still look at it
// afterwards, and a later event of the same epoll batch may still point at it; it is freed only
// by reap_dead(), once per loop iteration, when no such reference is left.
void LoadEngine::close_conn(Conn* c) {
  if (c->dead) return;
  // Out of the epoll set first: close() takes an entry out only when the last descriptor of the
  // socket goes, and a process forked meanwhile (a fault's command, between fork and exec) holds
  // a copy — its events would then keep coming, pointing at a freed Conn.
  if (c->fd >= 0 && c->in_epoll && epoll_ctl(epfd_, EPOLL_CTL_DEL, c->fd, nullptr) < 0)
    std::fprintf(stderr, "zerodrop: epoll_ctl(DEL): %s\n", std::strerror(errno));
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  c->dead = true;
  dead_.push_back(c);
}

void LoadEngine::forget_live(Conn* c) {
  Conn* last = live_.back();
  live_[c->live_at] = last;
  last->live_at = c->live_at;
  live_.pop_back();
}

void LoadEngine::reap_dead() {
  for (Conn* c : dead_)
    delete c;
  dead_.clear();
}

void LoadEngine::set_events(Conn& c, std::uint32_t ev) {
  if (c.events == ev) return;
  epoll_event e{};
  e.events = ev;
  e.data.ptr = &c;
  if (epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &e) < 0)
    std::fprintf(stderr, "zerodrop: epoll_ctl(MOD): %s\n", std::strerror(errno));
  c.events = ev;
}

// The name of the syscall that failed (errno set) when the connection could not be opened, else
// nullptr; the caller tells the server's refusal (ECONNREFUSED) from the harness's own trouble
// (harness_side()).
const char* LoadEngine::open_conn(Conn& c) {
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return "socket";
  c.id = next_conn_id_++;
  int one = 1;
  if (setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
    std::fprintf(stderr, "zerodrop: setsockopt(TCP_NODELAY): %s\n", std::strerror(errno));
  if (c.kind->kind == "download") {
    int small = 4096;  // keep the kernel from buffering the whole slow download for us
    if (setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) < 0)
      std::fprintf(stderr, "zerodrop: setsockopt(SO_RCVBUF): %s\n", std::strerror(errno));
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port_);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  c.connecting = true;
  if (connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 && errno != EINPROGRESS)
    return "connect";
  epoll_event e{};
  e.events = EPOLLOUT;
  e.data.ptr = &c;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, c.fd, &e) < 0) {
    // The harness's own failure whatever epoll said (ENOSPC, ENOMEM): errno made one that
    // harness_side() counts, the record's error names epoll_ctl.
    std::fprintf(stderr, "zerodrop: epoll_ctl(ADD): %s\n", std::strerror(errno));
    errno = ENOMEM;
    return "epoll_ctl(ADD)";
  }
  c.events = EPOLLOUT;
  c.in_epoll = true;
  return nullptr;
}

void LoadEngine::start_request(std::int64_t scheduled_ns) {
  std::size_t k = picker_.next();
  const RequestKind& kind = spec_.kinds[k];
  RequestRecord r;
  r.id = issued_++;
  summary_.issued = issued_;
  r.kind = kind.kind;
  r.keepalive =
      spec_.conn == ConnMode::kKeepalive || (spec_.conn == ConnMode::kBoth && (r.id % 2 == 1));
  r.scheduled_ns = scheduled_ns;
  r.start_ns = clock_.now_ns();
  r.method = request_method(kind);

  Conn* c = r.keepalive ? take_idle(r.start_ns) : nullptr;
  if (c != nullptr) {
    r.reused = true;
    r.conn = c->id;
  } else {
    c = new Conn;
    c->keepalive = r.keepalive;
    c->kind = &kind;
    c->live_at = live_.size();
    live_.push_back(c);
  }
  c->kind = &kind;
  c->rec = records_.size();
  c->in.clear();
  c->in_request = true;
  c->deadline = r.start_ns + ms_to_ns(spec_.timeout_ms);
  c->pieces_sent = 0;
  std::size_t head = 0;
  std::string req = build_request(kind, port_, r.keepalive, head);
  // A trickled upload sends its head now and its body piece by piece (timers()).
  c->body_limit = kind.kind == "upload" && kind.over_ms > 0 ? head : req.size();
  c->out = std::move(req);
  c->out_off = 0;
  c->next_tick = r.start_ns;
  records_.push_back(std::move(r));
  ++outstanding_;
  if (kind.kind == "slow") {
    ++slow_in_flight_;
    if (on_slow_change_) on_slow_change_();
  }
  if (c->fd < 0) {
    if (const char* failed = open_conn(*c)) {
      const int e = errno;
      records_.back().conn = c->id;
      finish(*c,
             static_cast<int>(e == ECONNREFUSED ? Ending::kRefused
                              : harness_side(e) ? Ending::kHarness
                                                : Ending::kReset),
             failed);
      return;
    }
    records_.back().conn = c->id;
  } else {
    c->connecting = false;
    send_some(*c);
  }
}

LoadEngine::Conn* LoadEngine::take_idle(std::int64_t now) {
  // Like any careful HTTP client (Go's IdleConnTimeout, a stale check before reuse): a pooled
  // connection idle longer than pool_idle_ms, or one the server has already closed (its FIN
  // may be queued behind our last epoll_wait), is dropped, not reused. Otherwise the race with
  // the server's own keep-alive timeout would be charged to the server as a lost request —
  // what remains is the race a server truly causes (closing a connection it promised to keep).
  // Oldest first: every pooled connection is used in turn, so a server's treatment of any idle
  // connection (kept, closed with a FIN, reset) is met by a request, not left unobserved.
  while (!idle_.empty()) {
    Conn* c = idle_.front();
    idle_.pop_front();
    c->idle = false;
    bool fresh_enough =
        spec_.pool_idle_ms <= 0 || now - c->idle_since <= ms_to_ns(spec_.pool_idle_ms);
    if (fresh_enough) {
      char probe;
      ssize_t n = recv(c->fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return c;  // open and silent
      idle_closed(*c, n == 0 || (n < 0 && errno == EPIPE) ? "fin"
                      : n < 0                             ? "rst"
                                                          : "unsolicited_data");
    }
    forget_live(c);
    close_conn(c);
  }
  return nullptr;
}

void LoadEngine::send_some(Conn& c) {
  while (c.out_off < c.body_limit) {
    ssize_t n = send(c.fd, c.out.data() + c.out_off, c.body_limit - c.out_off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      // The peer may have answered (or closed) already; look at what it sent before judging.
      // EPIPE: the server had sent its FIN before it refused our bytes (a close, then the RST
      // its kernel owes unread data); ECONNRESET: a reset with no FIN before it.
      const int e = errno;
      read_some(c, SIZE_MAX);
      errno = e;
      if (!c.dead && c.in_request)
        finish(c, static_cast<int>(e == EPIPE ? Ending::kEof : Ending::kReset), "send");
      return;
    }
    c.out_off += static_cast<std::size_t>(n);
  }
  bool want_out = c.out_off < c.body_limit;
  bool slow_read = c.kind->kind == "download" && c.out_off == c.out.size();
  set_events(c, (want_out ? EPOLLOUT : 0u) | (slow_read ? 0u : EPOLLIN | EPOLLRDHUP));
}

void LoadEngine::read_some(Conn& c, std::size_t limit) {
  char buf[16384];
  auto& r = records_[c.rec];
  std::size_t total = 0;
  while (total < limit) {
    ssize_t n = recv(c.fd, buf, std::min(sizeof buf, limit - total), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      // EPIPE from recv: the RST came after the server's FIN (Linux reports a reset in
      // CLOSE_WAIT so): the connection was closed first, as a graceful close is.
      finish(c, static_cast<int>(errno == EPIPE ? Ending::kEof : Ending::kReset), "recv");
      return;
    }
    if (n == 0) {
      finish(c, static_cast<int>(Ending::kEof), nullptr);
      return;
    }
    if (c.in.empty() && r.first_byte_ns < 0) r.first_byte_ns = clock_.now_ns();
    c.in.append(buf, static_cast<std::size_t>(n));
    total += static_cast<std::size_t>(n);
    auto p = parse_response(c.in, false, r.method == "HEAD", pid_header_);
    if (p.state != ParsedResponse::kIncomplete) {
      finish(c, static_cast<int>(Ending::kComplete), nullptr);
      return;
    }
  }
}

void LoadEngine::finish(Conn& c, int ending_i, const char* err) {
  auto ending = static_cast<Ending>(ending_i);
  auto& r = records_[c.rec];
  if (!c.in_request) {
    // An idle pooled connection closed by the server: not a request, but how it was closed is
    // evidence (graceful_close), so it is recorded.
    idle_closed(c, ending == Ending::kReset ? "rst" : "fin");
    auto it = std::find(idle_.begin(), idle_.end(), &c);
    if (it != idle_.end()) idle_.erase(it);
    forget_live(&c);
    close_conn(&c);
    return;
  }
  if (err && ending != Ending::kComplete) r.error = std::string(err) + ": " + std::strerror(errno);
  auto p = parse_response(c.in, ending == Ending::kEof, r.method == "HEAD", pid_header_);
  r.end_ns = clock_.now_ns();
  r.outcome = classify(ending, c.in.size(), c.reused, p);
  // An expected status of the kind's own: that one is ok, any other (a 2xx too) is bad_status.
  if (c.kind->status != 0 && p.state == ParsedResponse::kComplete &&
      (r.outcome == Outcome::kOk || r.outcome == Outcome::kBadStatus))
    r.outcome = p.status == c.kind->status ? Outcome::kOk : Outcome::kBadStatus;
  r.status = p.status;
  r.pid = p.pid;
  r.generation = p.generation;
  r.server_close = p.said_close;
  r.framing = p.state == ParsedResponse::kComplete ? p.framing : "";
  r.bytes = p.body.size();
  r.body = p.body.substr(
      0, r.kind == "fast" || r.kind == "slow" || r.kind == "request" ? kShortBodyKept : kBodyKept);
  r.digest = fnv1a_hex(p.body);
  if (r.outcome == Outcome::kOk) verify_body(r, *c.kind, p.body);
  if (p.pid > 0) c.owner_pid = p.pid;
  if (r.outcome == Outcome::kOk)
    ++completed_;
  else
    ++failed_;
  if (c.kind->kind == "slow") {
    --slow_in_flight_;
    if (on_slow_change_) on_slow_change_();
  }
  --outstanding_;
  c.in_request = false;
  if (spec_.open_loop == false && r.scheduled_ns < ms_to_ns(spec_.duration_ms) + start_ns_)
    closed_loop_due_.push_back(clock_.now_ns());
  if (recorder_ != nullptr) recorder_->request(r);
  bool reusable = c.keepalive && ending == Ending::kComplete &&
                  p.state == ParsedResponse::kComplete && !p.close && p.consumed == c.in.size() &&
                  idle_.size() < static_cast<std::size_t>(spec_.pool);
  if (reusable) {
    c.reused = true;
    c.idle = true;
    c.idle_since = clock_.now_ns();
    c.in.clear();
    set_events(c, EPOLLIN | EPOLLRDHUP);  // notice the server closing it while idle
    idle_.push_back(&c);
    return;
  }
  forget_live(&c);
  close_conn(&c);
}

void LoadEngine::idle_closed(Conn& c, const char* how) {
  if (recorder_ != nullptr)
    recorder_->record_at(clock_.now_ns(), EventKind::kIdleClose, c.owner_pid,
                         static_cast<long>(c.id), how);
}

namespace {
// Where `got` first differs from `want`: "at byte N of M (K received)".
std::string first_difference(const std::string& got, const std::string& want) {
  std::size_t at = 0;
  while (at < got.size() && at < want.size() && got[at] == want[at])
    ++at;
  return "at byte " + std::to_string(at) + " of " + std::to_string(want.size()) + " (" +
         std::to_string(got.size()) + " received)";
}
}  // namespace

// The body a response judged ok must carry for what was asked: the kind's expect_body, exactly;
// else for a built-in endpoint the server contract (README "The server <-> harness contract").
// fast/slow bodies are judged against the generation's message by the checks, which know the
// generations; here only what the request alone decides. A request to an endpoint of your own
// (path, body or status set, or kind `request`) is judged by its status and expect_body only.
void LoadEngine::verify_body(RequestRecord& r, const RequestKind& k, const std::string& body) {
  const bool builtin = k.kind != "request" && k.path.empty() && !k.body && k.status == 0;
  std::string want;
  if (k.expect_body) {
    if (body != *k.expect_body)
      r.body_error = "body differs from expect_body " + first_difference(body, *k.expect_body);
  } else if (!builtin) {
    return;
  } else if (k.kind == "upload") {
    want = std::to_string(k.bytes);
    std::string got = body;
    while (!got.empty() && (got.back() == '\n' || got.back() == '\r'))
      got.pop_back();
    if (got != want) r.body_error = "upload echoed \"" + got.substr(0, 32) + "\", sent " + want;
  } else if (k.kind == "stream" || k.kind == "download") {
    for (int i = 1; i <= k.chunks; ++i)
      want += "chunk " + std::to_string(i) + "\n";
    if (body != want) r.body_error = "stream body differs " + first_difference(body, want);
  }
  if (!r.body_error.empty()) r.outcome = Outcome::kBadBody;
}

void LoadEngine::on_event(Conn& c, std::uint32_t ev) {
  if (!c.in_request) {  // idle pooled connection: the server closed it (or sent garbage)
    char b;
    ssize_t n = recv(c.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // a spurious wake-up
    idle_closed(c, n == 0 || (n < 0 && errno == EPIPE) ? "fin"
                   : n < 0                             ? "rst"
                                                       : "unsolicited_data");
    auto it = std::find(idle_.begin(), idle_.end(), &c);
    if (it != idle_.end()) idle_.erase(it);
    forget_live(&c);
    close_conn(&c);
    return;
  }
  if (c.connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      errno = err;
      finish(c,
             static_cast<int>(err == ECONNREFUSED ? Ending::kRefused
                              : harness_side(err) ? Ending::kHarness
                                                  : Ending::kReset),
             "connect");
      return;
    }
    if (!(ev & (EPOLLOUT | EPOLLIN))) return;
    c.connecting = false;
    send_some(c);
    return;
  }
  if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    read_some(c, c.kind->kind == "download" ? kDownloadReadBytes : SIZE_MAX);
    if (c.dead || !c.in_request) return;
  }
  if (ev & EPOLLOUT) send_some(c);
}

void LoadEngine::timers(std::int64_t now) {
  // Copy: finish() edits live_.
  std::vector<Conn*> snapshot(live_);
  for (Conn* c : snapshot) {
    if (c->dead) continue;
    if (!c->in_request || c->connecting) {
      if (c->in_request && now >= c->deadline)
        finish(*c, static_cast<int>(Ending::kTimeout), nullptr);
      continue;
    }
    if (now >= c->deadline) {
      finish(*c, static_cast<int>(Ending::kTimeout), nullptr);
      continue;
    }
    if (now < c->next_tick) continue;
    if (c->kind->kind == "upload" && c->body_limit < c->out.size()) {
      // Trickle the body: kUploadPieces pieces spread over over_ms.
      ++c->pieces_sent;
      std::size_t head = c->out.size() - static_cast<std::size_t>(c->kind->bytes);
      c->body_limit = head + static_cast<std::size_t>(c->kind->bytes) *
                                 static_cast<std::size_t>(c->pieces_sent) / kUploadPieces;
      if (c->pieces_sent >= kUploadPieces) c->body_limit = c->out.size();
      c->next_tick = now + ms_to_ns(c->kind->over_ms) / kUploadPieces;
      send_some(*c);
    } else if (c->kind->kind == "download" && c->out_off == c->out.size()) {
      c->next_tick = now + kDownloadTickNs;
      read_some(*c, kDownloadReadBytes);
    }
  }
}

// epoll_pwait2 (Linux 5.11) takes a nanosecond timeout; where it is missing, epoll_wait with
// the timeout rounded up to a millisecond.
int LoadEngine::wait_events(epoll_event* evs, int max, std::int64_t wake_ns) {
  std::int64_t wait = std::max<std::int64_t>(0, wake_ns - clock_.now_ns());
  if (!no_pwait2_) {
    timespec ts{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
    int n = epoll_pwait2(epfd_, evs, max, &ts, nullptr);
    if (n >= 0 || errno != ENOSYS) return n;
    no_pwait2_ = true;
  }
  return epoll_wait(epfd_, evs, max, static_cast<int>((wait + 999'999) / 1'000'000));
}

void LoadEngine::run(const std::atomic<bool>& stop) {
  tid_ = static_cast<pid_t>(::gettid());
  // The kernel may otherwise defer a timed wake-up by up to 50 us to batch it with others.
  if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) < 0)
    std::fprintf(stderr, "zerodrop: prctl(PR_SET_TIMERSLACK): %s\n", std::strerror(errno));
  const std::int64_t end_ns = start_ns_ + ms_to_ns(spec_.duration_ms);
  const std::int64_t hard_end = end_ns + ms_to_ns(spec_.timeout_ms) + 1'000'000'000;
  Pacer pacer(spec_.rate, ms_to_ns(spec_.duration_ms));
  const std::uint64_t total = spec_.open_loop ? pacer.count() : 0;
  summary_.planned = total;
  std::uint64_t next = 0;
  if (!spec_.open_loop)
    for (int i = 0; i < spec_.clients; ++i)
      closed_loop_due_.push_back(start_ns_);
  epoll_event evs[256];
  std::int64_t last_paced = 0;  // when the pacer last started requests
  for (;;) {
    std::int64_t now = clock_.now_ns();
    if (!stop.load()) {
      if (spec_.open_loop) {
        while (next < total && start_ns_ + pacer.due_ns(next) <= now) {
          if (outstanding_ >= static_cast<std::size_t>(spec_.max_outstanding)) {
            ++summary_.saturated;  // held back: the run no longer follows its schedule
            break;
          }
          start_request(start_ns_ + pacer.due_ns(next));
          ++next;
          last_paced = now;
        }
      } else if (now < end_ns) {
        auto due = std::move(closed_loop_due_);
        closed_loop_due_.clear();
        for (auto t : due)
          start_request(t);
      }
    }
    bool issuing = !stop.load() && (spec_.open_loop ? next < total : now < end_ns);
    if (!issuing && outstanding_ == 0) break;
    if (now >= hard_end || (stop.load() && outstanding_ == 0)) break;
    // Sleep until the next scheduled start, not to the next whole millisecond: latency counts
    // from the scheduled time, so every microsecond the engine starts late is charged to the
    // server (a 1 ms epoll_wait timeout made a 0.1 ms loopback request look like 0.6 ms at p50).
    // But a timed wake-up is dear in a VM (~25 us of CPU here: the timer interrupt exits to the
    // hypervisor), so one comes at least kMinWakeGapNs after the last paced start: at 20,000
    // req/s two requests share one. The connection timers (upload pieces, slow reads,
    // timeouts) are fine at 1 ms.
    std::int64_t wake = clock_.now_ns() + 1'000'000;
    if (spec_.open_loop && next < total && !stop.load())
      wake = std::min(wake, std::max(start_ns_ + pacer.due_ns(next), last_paced + kMinWakeGapNs));
    int n = wait_events(evs, 256, wake);
    if (n < 0 && errno != EINTR) {
      std::fprintf(stderr, "zerodrop: epoll_wait: %s\n", std::strerror(errno));
      break;
    }
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<Conn*>(evs[i].data.ptr);
      if (c->dead) continue;  // closed earlier in this batch (still allocated: see close_conn)
      on_event(*c, evs[i].events);
    }
    timers(clock_.now_ns());
    reap_dead();
  }
  // Anything still open when the run ends under it has an unknown fate: its own timeout had not
  // come yet, so it is not the server's failure either.
  std::vector<Conn*> rest(live_);
  for (Conn* c : rest) {
    if (c->in_request && !c->dead)
      finish(*c, static_cast<int>(clock_.now_ns() >= c->deadline ? Ending::kTimeout : Ending::kCut),
             nullptr);
  }
  for (Conn* c : live_)
    close_conn(c);
  live_.clear();
  idle_.clear();
  reap_dead();
}

}  // namespace zerodrop

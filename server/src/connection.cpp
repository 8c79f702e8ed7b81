// One connection's HTTP/1.1 state machine. See connection.hpp.
#include "zerodrop/server/connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "zerodrop/server/log.hpp"

namespace zerodrop::server {
namespace {

constexpr std::uint64_t kIoTimer = 1;
constexpr std::uint64_t kAppTimer = 2;
// Past this much unsent output, stop parsing pipelined requests until the socket drains:
// a client that pipelines without reading cannot make us buffer without bound.
constexpr std::size_t kOutputHighWater = 256 * 1024;
// A stream produces at most this much per loop pass (then yields to the other connections),
// and resumes after a pause once its unsent output is below half the high-water mark.
constexpr std::size_t kStreamBatch = 16 * 1024;
// An idle connection keeps an output buffer of up to this capacity; a larger one (a pipelined
// burst, a stream) is released, so the pool does not keep every connection's peak.
constexpr std::size_t kOutputKeep = 64 * 1024;
// Sent bytes at the front of the buffer are dropped once this many accumulate (a stream that
// is never completely flushed would otherwise grow the buffer without bound).
constexpr std::size_t kOutputCompact = 64 * 1024;
constexpr std::size_t kInputSlack = 8192;  // room for pipelined requests/body after a full head

std::uint64_t make_cookie(std::uint32_t incarnation, std::uint32_t seq, std::uint64_t kind) {
  return (static_cast<std::uint64_t>(incarnation & 0xffffff) << 40) |
         (static_cast<std::uint64_t>(seq) << 8) | kind;
}

}  // namespace

Connection::Connection(ServerShared& shared, ConnectionHost& host) : s_(shared), host_(host) {
  cap_ = s_.config.max_header_bytes + kInputSlack;
  // Not value-initialised (make_unique<char[]> would zero it): an idle connection then costs
  // the pages its requests touched, not the whole buffer (10,000 idle: 176 -> ~50 MB RSS).
  in_.reset(new char[cap_]);
  out_.reserve(1024);
}

void Connection::open(int fd) {
  fd_ = fd;
  ++incarnation_;
  state_ = State::kIdle;
  in_start_ = in_end_ = scanned_ = 0;
  out_.clear();
  out_off_ = 0;
  fresh_ = true;
  readable_ = peer_eof_ = peer_rdhup_ = write_blocked_ = in_request_ = client_close_ = false;
  nodelay_ = false;
  stream_paused_ = false;
  keep_alive_ = true;
  deadline_ = armed_at_ = drain_deadline_ = linger_until_ = 0;
  linger_bytes_ = 0;
  enter_idle();
}

void Connection::set_deadline(Millis when) {
  // While output is stalled, the write-stall clock is the deadline (restore_deadline() puts the
  // state's deadline back once the socket drains): a state change must not restart it.
  if (write_blocked_) return;
  arm_io_timer(when);
}

void Connection::arm_io_timer(Millis when) {
  deadline_ = when;
  if (when == 0) return;
  // Lazy re-arming: an entry that fires before the (later) deadline re-arms itself, so moving
  // a deadline later costs nothing; only moving it earlier replaces the heap entry.
  if (armed_at_ == 0 || when < armed_at_) {
    armed_at_ = when;
    s_.loop.cancel_timer(io_timer_);
    io_timer_ = s_.loop.add_timer(when, this, make_cookie(incarnation_, ++io_seq_, kIoTimer));
  }
}

void Connection::arm_app_timer(Millis when) {
  s_.loop.cancel_timer(app_timer_);
  app_timer_ = s_.loop.add_timer(when, this, make_cookie(incarnation_, ++app_seq_, kAppTimer));
}

void Connection::restore_deadline() {
  switch (state_) {
    case State::kIdle:
      enter_idle();
      break;
    case State::kHead:
    case State::kBody:
      set_deadline(s_.loop.now() + s_.config.header_timeout_ms);
      break;
    case State::kWaiting:
    case State::kStreaming:
    case State::kClosing:
      set_deadline(0);
      break;
    case State::kLingering:
      break;
  }
}

void Connection::on_timer(std::uint64_t cookie) {
  if (fd_ < 0 || (cookie >> 40) != (incarnation_ & 0xffffff)) return;  // a previous life's
  const auto seq = static_cast<std::uint32_t>(cookie >> 8);
  const Millis now = s_.loop.now();
  if ((cookie & 0xff) == kIoTimer) {
    if (seq != io_seq_) return;  // superseded by an earlier deadline
    armed_at_ = 0;
    io_timer_ = kNoTimer;
    if (deadline_ == 0) return;
    if (now < deadline_) {
      arm_io_timer(deadline_);
      return;
    }
    deadline_ = 0;
    on_io_deadline();
    return;
  }
  if (seq != app_seq_) return;
  app_timer_ = kNoTimer;
  if (state_ == State::kWaiting)
    respond(200, s_.config.message);
  else if (state_ == State::kStreaming)
    stream_next();
  else
    return;
  drive();
}

void Connection::on_io_deadline() {
  if (write_blocked_) {  // the peer stopped reading our response
    close_now();
    return;
  }
  switch (state_) {
    case State::kIdle:  // keep-alive idle, never-used, or drain grace over
      start_linger();
      break;
    case State::kHead:
    case State::kBody:
      respond_error(408);
      flush();
      break;
    case State::kLingering:
      close_now();
      break;
    case State::kWaiting:
    case State::kStreaming:
    case State::kClosing:
      break;
  }
}

void Connection::on_io(std::uint32_t events) {
  if (fd_ < 0) return;
  if (events & EPOLLERR) {
    close_now();
    return;
  }
  // Record the input side first: with edge triggering this event may be the only notice of
  // it, and the flush below can return early (a partial write that hits EAGAIN).
  if (events & (EPOLLRDHUP | EPOLLHUP)) peer_rdhup_ = true;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) readable_ = true;
  if ((events & EPOLLOUT) && write_blocked_ && !flush()) return;
  drive();
}

void Connection::consume(std::size_t n) {
  in_start_ += n;
  if (in_start_ == in_end_) in_start_ = in_end_ = 0;
}

void Connection::drive() {
  while (fd_ >= 0) {
    bool read_more = false;
    if (readable_ && !write_blocked_) {
      if (in_end_ == cap_ && in_start_ > 0) {  // make room: move the unparsed tail down
        std::memmove(in_.get(), in_.get() + in_start_, in_end_ - in_start_);
        in_end_ -= in_start_;
        in_start_ = 0;
      }
      std::size_t space = cap_ - in_end_;
      if (space > 0) {
        ssize_t n = ::read(fd_, in_.get() + in_end_, space);
        if (n > 0) {
          in_end_ += static_cast<std::size_t>(n);
          // A short read means the socket is drained: with edge triggering a later arrival
          // raises a new edge, so we need not pay for a read that returns EAGAIN. Except when
          // the peer's FIN came with the data (EPOLLRDHUP already seen): no edge will follow,
          // so read on until the 0 that tells us.
          if (static_cast<std::size_t>(n) < space && !peer_rdhup_)
            readable_ = false;
          else
            read_more = true;
        } else if (n == 0) {
          peer_eof_ = true;
          readable_ = false;
        } else if (errno == EAGAIN) {
          readable_ = false;
        } else if (errno == EINTR) {
          read_more = true;
        } else {
          if (errno != ECONNRESET) log_syscall_error("read", errno, "connection");
          close_now();
          return;
        }
      }
    }
    bool again = process();
    if (fd_ < 0) return;
    if (!flush()) return;
    if (!read_more && !again) return;
  }
}

bool Connection::process() {
  for (;;) {
    if (fd_ < 0) return false;
    if (unsent() > kOutputHighWater) return true;
    switch (state_) {
      case State::kIdle:
      case State::kHead: {
        if (avail() == 0) {
          // The peer half-closed between requests: finish writing what we owe, then close.
          if (peer_eof_) state_ = State::kClosing;
          return false;
        }
        if (state_ == State::kIdle) {
          state_ = State::kHead;  // first byte of a request: the header clock starts now
          set_deadline(s_.loop.now() + s_.config.header_timeout_ms);
        }
        RequestHead head;
        ParseError err;
        auto st = parse_request_head(std::string_view(in_.get() + in_start_, avail()), scanned_,
                                     s_.config.max_header_bytes, head, err);
        if (st == ParseStatus::kNeedMore) {
          // Truncated request: nothing to answer it with, but earlier responses still go out.
          if (peer_eof_) state_ = State::kClosing;
          return false;
        }
        if (st == ParseStatus::kError) {
          respond_error(err.status);
          return false;
        }
        begin_request(head);
        break;
      }
      case State::kBody: {
        if (avail() == 0) {
          if (peer_eof_) state_ = State::kClosing;  // truncated body
          return false;
        }
        if (body_chunked_) {
          std::size_t used = 0;
          auto r = chunked_.feed(std::string_view(in_.get() + in_start_, avail()), used);
          consume(used);
          if (r == ChunkedDecoder::Result::kError) {
            respond_error(chunked_.error_status());
            return false;
          }
          if (r == ChunkedDecoder::Result::kNeedMore) {
            set_deadline(s_.loop.now() + s_.config.header_timeout_ms);
            return false;
          }
          body_bytes_ = chunked_.body_bytes();
        } else {
          std::size_t n = avail() < body_left_ ? avail() : static_cast<std::size_t>(body_left_);
          consume(n);
          body_left_ -= n;
          body_bytes_ += n;
          if (body_left_ > 0) {
            set_deadline(s_.loop.now() + s_.config.header_timeout_ms);
            return false;
          }
        }
        dispatch();
        break;
      }
      case State::kWaiting:
      case State::kStreaming:
      case State::kClosing:
        return false;
      case State::kLingering: {
        // Discard whatever the peer still sends; a peer still sending (a refused upload) gets
        // more time, within the budget, so that its close meets a FIN rather than an RST.
        const std::size_t n = avail();
        in_start_ = in_end_ = 0;
        if (peer_eof_) {
          close_now();
          return false;
        }
        if (n > 0) {
          linger_bytes_ += n;
          if (linger_bytes_ > kLingerMaxBytes) {
            close_now();
            return false;
          }
          const Millis next = s_.loop.now() + kLingerMs;
          set_deadline(next < linger_until_ ? next : linger_until_);
        }
        return false;
      }
    }
  }
}

bool Connection::flush() {
  bool progress = false;
  while (out_off_ < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
    if (n > 0) {
      out_off_ += static_cast<std::size_t>(n);
      progress = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      // EPOLLOUT (edge) tells us when there is room again. The stall clock runs from the last
      // byte the socket took, not from the last EAGAIN: any input from a client that never
      // reads (one byte every few seconds) passes through here and would otherwise restart it
      // for ever.
      if (!write_blocked_ || progress) {
        write_blocked_ = true;
        arm_io_timer(s_.loop.now() + s_.config.header_timeout_ms);
      }
      if (out_off_ >= kOutputCompact) {
        out_.erase(0, out_off_);
        out_off_ = 0;
      }
      if (stream_paused_ && unsent() < kOutputHighWater / 2) {
        stream_paused_ = false;
        arm_app_timer(s_.loop.now());
      }
      return false;
    }
    if (n < 0 && errno != EPIPE && errno != ECONNRESET) log_syscall_error("send", errno);
    close_now();
    return false;
  }
  release_output();
  if (write_blocked_) {
    write_blocked_ = false;
    restore_deadline();
  }
  if (stream_paused_) {
    stream_paused_ = false;
    arm_app_timer(s_.loop.now());
  }
  if (state_ == State::kClosing) {
    finish_close();
    return false;
  }
  return true;
}

void Connection::finish_close() {
  // The client asked for the close (Connection: close, or HTTP/1.0 without keep-alive): it
  // sends nothing more, so a plain close() is a clean FIN — provided no input is pending,
  // which would turn it into an RST. One read tells: EAGAIN or EOF means nothing pending.
  // (nginx makes the same call; everything else gets the lingering close.)
  if (client_close_ && avail() == 0) {
    char probe[256];
    ssize_t n = ::read(fd_, probe, sizeof probe);
    if (n == 0 || (n < 0 && errno == EAGAIN)) {
      close_now();
      return;
    }
    if (n < 0) {
      if (errno != ECONNRESET) log_syscall_error("read", errno, "close");
      close_now();
      return;
    }
  }
  start_linger();
}

void Connection::release_output() {
  out_off_ = 0;
  if (out_.capacity() > kOutputKeep) {
    std::string small;
    small.reserve(1024);
    out_.swap(small);
  } else {
    out_.clear();
  }
}

bool Connection::keep_alive_now() const {
  return keep_alive_ && !s_.draining;
}

ResponseOptions Connection::options(bool keep_alive) const {
  ResponseOptions o;
  o.head_only = head_only_;
  o.keep_alive = keep_alive;
  o.version_minor = version_minor_;
  return o;
}

void Connection::begin_request(const RequestHead& head) {
  in_request_ = true;
  ++s_.inflight;
  fresh_ = false;
  head_only_ = head.method == Method::kHead;
  version_minor_ = head.version_minor;
  keep_alive_ = head.keep_alive;
  client_close_ = !head.keep_alive;
  route_ = route_request(head, s_.config);
  body_bytes_ = 0;
  const bool chunked = head.chunked;
  const std::uint64_t length = head.has_content_length ? head.content_length : 0;
  const bool expect_continue = head.expect_continue;
  consume(head.head_bytes);  // the views in `head` are dead from here
  scanned_ = 0;
  if (!chunked && length > s_.config.max_body_bytes) {
    respond_error(413);
    return;
  }
  if (chunked || length > 0) {
    state_ = State::kBody;
    body_chunked_ = chunked;
    body_left_ = length;
    if (chunked) chunked_.reset(s_.config.max_body_bytes, s_.config.max_header_bytes);
    // Only invite the body if we are going to read it (we always do, to keep the stream in
    // sync); 100 Continue precedes the final response, so order is preserved.
    if (expect_continue && version_minor_ >= 1) ResponseWriter::append_continue(out_);
    set_deadline(s_.loop.now() + s_.config.header_timeout_ms);
    return;
  }
  dispatch();
}

void Connection::dispatch() {
  switch (route_.kind) {
    case RouteKind::kMessage:
      if (route_.delay_ms > 0) {
        state_ = State::kWaiting;
        set_deadline(0);
        arm_app_timer(s_.loop.now() + route_.delay_ms);
        return;
      }
      respond(200, s_.config.message);
      return;
    case RouteKind::kHealth:
      respond(200, "ok");
      return;
    case RouteKind::kUpload: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, body_bytes_);
      respond(200, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
      return;
    }
    case RouteKind::kStream: {
      const bool framed = version_minor_ >= 1;
      if (!nodelay_) {
        // Chunks are small writes spaced in time: Nagle + the peer's delayed ACK would hold
        // each one back up to 40 ms. (Whole responses leave in one send and need no NODELAY.)
        int one = 1;
        if (setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0 && errno != EOPNOTSUPP)
          log_syscall_error("setsockopt", errno, "TCP_NODELAY");
        nodelay_ = true;
      }
      // HTTP/1.0 has no chunked framing: the body ends with the connection.
      if (!framed) keep_alive_ = false;
      // The head decides keep-alive for the whole stream: a drain that starts while it runs
      // must not close a connection the client was told stays open (its next request would
      // meet an EOF); that request is answered with Connection: close instead.
      stream_keep_alive_ = keep_alive_now();
      s_.writer.append_stream_head(out_, options(stream_keep_alive_));
      if (head_only_ || route_.chunks == 0) {
        if (!head_only_) ResponseWriter::append_last_chunk(out_, framed);
        finish_request(stream_keep_alive_);
        return;
      }
      state_ = State::kStreaming;
      set_deadline(0);
      chunk_next_ = 1;
      stream_next();
      return;
    }
    case RouteKind::kNotFound:
      respond(404, "not found\n");
      return;
    case RouteKind::kMethodNotAllowed: {
      char hdr[64];
      int n = std::snprintf(hdr, sizeof hdr, "Allow: %.*s\r\n",
                            static_cast<int>(route_.allow.size()), route_.allow.data());
      respond(405, "method not allowed\n", std::string_view(hdr, static_cast<std::size_t>(n)));
      return;
    }
    case RouteKind::kBadQuery:
      respond(400, "bad query\n");
      return;
  }
}

void Connection::stream_next() {
  const bool framed = version_minor_ >= 1;
  const std::size_t start = out_.size();
  for (;;) {
    // Back-pressure: a client that does not read stops the stream (flush() resumes it).
    if (unsent() >= kOutputHighWater) {
      stream_paused_ = true;
      return;
    }
    char buf[32];
    int n = std::snprintf(buf, sizeof buf, "chunk %u\n", chunk_next_);
    ResponseWriter::append_chunk(out_, std::string_view(buf, static_cast<std::size_t>(n)), framed);
    if (chunk_next_ >= route_.chunks) {
      ResponseWriter::append_last_chunk(out_, framed);
      finish_request(stream_keep_alive_);
      return;
    }
    ++chunk_next_;
    // With no interval, a batch per loop pass: the next one after everyone else had a turn.
    if (route_.interval_ms > 0 || out_.size() - start >= kStreamBatch) break;
  }
  arm_app_timer(s_.loop.now() + route_.interval_ms);
}

void Connection::respond(int status, std::string_view body, std::string_view extra_headers) {
  const bool keep = keep_alive_now();
  ResponseOptions o = options(keep);
  o.extra_headers = extra_headers;
  s_.writer.append(out_, status, body, o);
  finish_request(keep);
}

void Connection::respond_error(int status) {
  // An error ends the connection: after a parse error the byte stream cannot be trusted. The
  // client may still be sending (the body of a refused upload, the rest of a huge head) even
  // if it asked for the close: only the lingering close ends that with a FIN.
  client_close_ = false;
  if (!in_request_) {
    in_request_ = true;
    ++s_.inflight;
  }
  keep_alive_ = false;
  head_only_ = false;
  version_minor_ = 1;
  ResponseOptions o = options(false);
  std::string_view reason = ResponseWriter::reason_phrase(status);
  char body[80];
  int n = std::snprintf(body, sizeof body, "%d %.*s\n", status, static_cast<int>(reason.size()),
                        reason.data());
  s_.writer.append(out_, status, std::string_view(body, static_cast<std::size_t>(n)), o);
  finish_request(false);
}

void Connection::finish_request(bool keep_alive) {
  if (in_request_) {
    in_request_ = false;
    --s_.inflight;
  }
  ++s_.requests_total;
  if (!keep_alive) {
    state_ = State::kClosing;
    set_deadline(0);
    return;
  }
  enter_idle();
}

void Connection::enter_idle() {
  state_ = State::kIdle;
  const Millis now = s_.loop.now();
  // A connection that becomes idle during the drain was promised keep-alive by the response
  // that just completed (responses whose head is written during the drain close): the
  // client may send its next request right now. It gets the whole grace from this moment,
  // not what is left of the drain's (a stream that outlived the grace would otherwise get
  // its FIN at once and the promised keep-alive would meet an EOF).
  if (s_.draining && drain_deadline_ != 0)
    set_deadline(std::max(drain_deadline_, now + s_.config.drain_idle_grace_ms));
  else if (fresh_)
    set_deadline(now + s_.config.header_timeout_ms);
  else
    set_deadline(now + s_.config.keepalive_timeout_ms);
}

void Connection::begin_drain() {
  if (fd_ < 0) return;
  // Idle and never-used connections may still carry a request already on the wire; give them
  // the grace to send it (it will be answered with Connection: close) before a lingering close.
  drain_deadline_ = s_.loop.now() + s_.config.drain_idle_grace_ms;
  // An idle connection whose last response is still going out was promised keep-alive by that
  // response's headers: closing it once flushed would make the client's next request meet an
  // EOF. It keeps its write-stall deadline; once flushed, enter_idle() gives it the drain grace.
  if (state_ == State::kIdle && !write_blocked_) {
    if (s_.config.drain_idle_grace_ms <= 0)
      start_linger();
    else
      set_deadline(drain_deadline_);
  }
  // In-flight requests need nothing: their responses will carry Connection: close.
}

void Connection::start_linger() {
  if (out_off_ < out_.size()) {  // the last response is still being written
    state_ = State::kClosing;
    return;
  }
  if (::shutdown(fd_, SHUT_WR) < 0) {
    if (errno != ENOTCONN) log_syscall_error("shutdown", errno, "lingering close");
    close_now();
    return;
  }
  state_ = State::kLingering;
  in_start_ = in_end_ = 0;
  linger_until_ = s_.loop.now() + kLingerMaxMs;
  linger_bytes_ = 0;
  set_deadline(s_.loop.now() + kLingerMs);
  if (peer_eof_) {
    close_now();
    return;
  }
  // There may be unread input already (the edge came and went): look once more.
  readable_ = true;
}

void Connection::close_now() {
  if (fd_ < 0) return;
  if (in_request_) {
    in_request_ = false;
    --s_.inflight;
  }
  // Between a fork and the child's exec the child holds a copy of this socket, so close()
  // alone would leave the epoll registration (and its pointer to this pooled object) alive:
  // deregister explicitly then. Otherwise close() does it, one syscall cheaper.
  if (s_.fork_in_progress) s_.loop.remove(fd_);
  if (::close(fd_) < 0) log_syscall_error("close", errno, "connection");
  fd_ = -1;
  // Cancelled, not left to fire: a /slow?ms=3600000 that the client reset would otherwise
  // stay in the heap for the hour, one entry per such connection.
  s_.loop.cancel_timer(io_timer_);
  s_.loop.cancel_timer(app_timer_);
  io_timer_ = app_timer_ = kNoTimer;
  armed_at_ = 0;
  write_blocked_ = false;
  release_output();
  ++incarnation_;
  state_ = State::kIdle;
  host_.connection_closed(*this);
}

}  // namespace zerodrop::server

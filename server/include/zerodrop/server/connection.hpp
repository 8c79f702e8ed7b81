// connection: one accepted socket's bytes → requests → responses, keep-alive and limits.
//
// Contract: a Connection is registered edge-triggered for EPOLLIN|EPOLLOUT|EPOLLRDHUP once and
// never re-armed. It reads into a fixed per-connection buffer, parses requests in place,
// answers pipelined requests strictly in order (one request at a time: a delayed or streamed
// response holds the ones behind it), and writes each batch of responses with one send().
// Limits: head > max_header_bytes → 431; body > max_body_bytes → 413; head not complete within
// header_timeout of its first byte (or body stalled that long) → 408 / close; output stalled
// (no byte accepted by the socket) for header_timeout → close; idle keep-alive past
// keepalive_timeout → close. Unsent output is bounded: past kOutputHighWater parsing stops and
// a stream stops producing until the socket drains (a stream also yields to the loop after
// each batch). Every server-initiated close of a live connection (and a client-requested one
// with input pending, and every error response: the client may still be sending) is a
// *lingering close*: shutdown(SHUT_WR), then read and discard until the peer's EOF, until no
// byte arrived for kLingerMs, or past the budget (kLingerMaxMs, kLingerMaxBytes) — a request
// or body racing the close sees a clean EOF, never an RST that could also destroy the
// response before it. Errors answer 4xx with `Connection: close`.
//
// Draining (ServerShared::draining): every response whose head is written from then on says
// `Connection: close`; begin_drain() gives idle and never-used connections drain_idle_grace to
// send one last request before the lingering close, and a connection whose keep-alive response
// (promised before the drain) completes later gets the same grace from that moment.
// Connections are pooled by the server and reused; they cancel their timers when they close
// (and timers carry an incarnation, so a fired timer of a previous life is ignored).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "zerodrop/server/config.hpp"
#include "zerodrop/server/event_loop.hpp"
#include "zerodrop/server/handlers.hpp"
#include "zerodrop/server/http_parser.hpp"
#include "zerodrop/server/response_writer.hpp"

namespace zerodrop::server {

class Connection;

// Server-wide state every connection reads or counts into.
struct ServerShared {
  const Config& config;
  EventLoop& loop;
  ResponseWriter& writer;
  bool draining = false;
  bool fork_in_progress = false;     // a forked child may still hold copies of our fds
  std::uint64_t inflight = 0;        // requests whose head is parsed and response not done
  std::uint64_t requests_total = 0;  // responses completed
};

class ConnectionHost {
 public:
  virtual void connection_closed(Connection& c) = 0;

 protected:
  ~ConnectionHost() = default;
};

class Connection final : public IoHandler, public TimerHandler {
 public:
  static constexpr Millis kLingerMs = 1000;                   // without a byte from the peer
  static constexpr Millis kLingerMaxMs = 30000;               // in all
  static constexpr std::uint64_t kLingerMaxBytes = 64 << 20;  // discarded in all

  Connection(ServerShared& shared, ConnectionHost& host);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Takes ownership of a non-blocking, close-on-exec accepted socket (already in epoll or
  // about to be: the caller registers it with this as handler).
  void open(int fd);
  void on_io(std::uint32_t events) override;
  void on_timer(std::uint64_t cookie) override;

  void begin_drain();
  // Closes at once (hammer, drain deadline). Safe on a closed connection.
  void close_now();

  // A request is being received or answered, or a response is not fully sent: closing now
  // would lose something (idle and lingering connections have nothing to lose).
  bool has_work() const {
    return in_request_ || out_off_ < out_.size() || state_ == State::kHead ||
           state_ == State::kBody || state_ == State::kWaiting || state_ == State::kStreaming;
  }
  int fd() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }

 private:
  enum class State : std::uint8_t {
    kIdle,       // between requests (or before the first): no request byte buffered
    kHead,       // part of a request head buffered
    kBody,       // reading the body of a parsed request
    kWaiting,    // response delayed by a timer
    kStreaming,  // chunked response in progress, driven by a timer
    kClosing,    // last response queued; lingering close once it is flushed
    kLingering,  // write side shut; discarding input until EOF or kLingerMs
  };

  void drive();
  bool process();  // true: stopped at the output high-water mark, call again after flush
  bool flush();    // false: blocked or closed
  void begin_request(const RequestHead& head);
  void dispatch();
  void respond(int status, std::string_view body, std::string_view extra_headers = {});
  void respond_error(int status);
  void finish_request(bool keep_alive);
  void stream_next();
  void enter_idle();
  void start_linger();
  void finish_close();
  void on_io_deadline();
  void set_deadline(Millis when);  // 0: none; ignored while the write-stall clock runs
  void arm_io_timer(Millis when);
  void arm_app_timer(Millis when);
  void restore_deadline();  // the deadline of the current state, after a write stall
  std::size_t unsent() const { return out_.size() - out_off_; }
  void release_output();
  std::size_t avail() const { return in_end_ - in_start_; }
  void consume(std::size_t n);
  bool keep_alive_now() const;
  ResponseOptions options(bool keep_alive) const;

  ServerShared& s_;
  ConnectionHost& host_;
  int fd_ = -1;
  std::uint32_t incarnation_ = 0;
  State state_ = State::kIdle;

  std::unique_ptr<char[]> in_;
  std::size_t cap_ = 0;
  std::size_t in_start_ = 0;
  std::size_t in_end_ = 0;
  std::size_t scanned_ = 0;

  std::string out_;
  std::size_t out_off_ = 0;

  bool fresh_ = true;  // no request yet on this connection
  bool readable_ = false;
  bool peer_eof_ = false;    // read() returned 0
  bool peer_rdhup_ = false;  // epoll reported the peer's FIN (maybe not yet read)
  bool write_blocked_ = false;
  bool in_request_ = false;
  bool keep_alive_ = true;
  bool stream_keep_alive_ = true;  // what the head of the current stream promised
  bool stream_paused_ = false;     // over the output limit: flush() resumes it
  bool client_close_ = false;      // the client asked for the close (it sends nothing more)
  bool nodelay_ = false;
  bool head_only_ = false;
  int version_minor_ = 1;
  Route route_;
  bool body_chunked_ = false;
  std::uint64_t body_left_ = 0;
  ChunkedDecoder chunked_;
  std::uint64_t body_bytes_ = 0;
  std::uint32_t chunk_next_ = 0;

  Millis deadline_ = 0;
  std::uint32_t io_seq_ = 0;  // identifies the armed I/O-deadline heap entry
  Millis armed_at_ = 0;       // when that entry fires (0: none armed)
  TimerId io_timer_ = kNoTimer;
  std::uint32_t app_seq_ = 0;  // identifies the armed app (delay/stream) timer
  TimerId app_timer_ = kNoTimer;
  Millis drain_deadline_ = 0;
  Millis linger_until_ = 0;  // the lingering close's overall budget
  std::uint64_t linger_bytes_ = 0;
};

}  // namespace zerodrop::server

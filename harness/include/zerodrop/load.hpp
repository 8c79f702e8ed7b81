// load — the epoll HTTP/1.1 client engine that drives a scenario's load.
//
// Contract: LoadEngine::run() issues the LoadSpec's requests to 127.0.0.1:port (open loop on the
// Pacer's schedule, or closed loop with N clients), one thread, one epoll set, non-blocking
// sockets; it returns when every request has ended (or timed out), bounded by duration +
// timeout + 1 s, or sooner when `stop` becomes true. Every request issued yields exactly one
// RequestRecord, streamed to the Recorder (if any) the moment it ends. A request that gets
// no complete response within timeout_ms ends as `timeout` (a failure); only one still running
// when the run ends under it is `indeterminate`. A socket call of the harness's own that fails
// (EMFILE, EADDRNOTAVAIL...) ends its request as `harness_error`, never charged to the server.
// Every close of an idle pooled connection by the server becomes an `idle_close` event in the
// Recorder (FIN or RST, the pid that last answered on it). Pooled connections are reused oldest
// first, so each one is exercised and what the server does to any of them is seen. slow_in_flight()
// may be read from other threads (the nemesis waits on it); on_slow_change, if set, is called (from
// the engine's thread) each time it changes, so that the run's supervisor wakes instead of polling.
// A request kind may name its own endpoint (path, method, headers, body: build_request()) and
// what it must answer: `status` exactly (else any 2xx) — another is bad_status — and
// `expect_body` exactly — another is bad_body (verify_body()).
#pragma once
#include <sys/epoll.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "zerodrop/clock.hpp"
#include "zerodrop/history.hpp"
#include "zerodrop/pacer.hpp"
#include "zerodrop/recorder.hpp"
#include "zerodrop/scenario.hpp"

namespace zerodrop {

// What the engine itself did, for the run's validity (the history's `load_summary` event).
struct LoadSummary {
  std::uint64_t planned = 0;    // open loop: requests the schedule asked for
  std::uint64_t issued = 0;     // requests started
  std::uint64_t saturated = 0;  // starts held back because max_outstanding were in flight
};

// The method and target of a request of kind k: its own when set, else the built-in endpoint
// (GET /, GET /slow?ms=, GET /stream?chunks=..., POST /upload).
std::string request_method(const RequestKind& k);
std::string request_target(const RequestKind& k);
// The bytes of one request of kind k to 127.0.0.1:port, head and body; head_size is where the
// body starts. A kind without headers or body gets today's bytes exactly; its own Host,
// User-Agent or Content-Type replaces the built-in line in place, other headers follow the
// built-in ones in the file's order, a body goes with its Content-Length (0 for a POST, PUT or
// PATCH without one).
std::string build_request(const RequestKind& k, std::uint16_t port, bool keepalive,
                          std::size_t& head_size);

class LoadEngine {
 public:
  LoadEngine(const LoadSpec& spec, std::uint16_t port, RunClock clock, std::int64_t start_ns);
  ~LoadEngine();
  LoadEngine(const LoadEngine&) = delete;
  LoadEngine& operator=(const LoadEngine&) = delete;

  void set_recorder(Recorder* r) { recorder_ = r; }
  void set_on_slow_change(std::function<void()> f) { on_slow_change_ = std::move(f); }
  void run(const std::atomic<bool>& stop);
  LoadSummary summary() const { return summary_; }
  std::vector<RequestRecord> take_records() {
    return {std::make_move_iterator(records_.begin()), std::make_move_iterator(records_.end())};
  }
  int slow_in_flight() const { return slow_in_flight_.load(); }
  // The thread running run() (0 before it starts): the harness samples its wait for a CPU.
  pid_t thread_id() const { return tid_.load(); }
  std::uint64_t completed() const { return completed_.load(); }
  std::uint64_t failed() const { return failed_.load(); }

 private:
  std::atomic<pid_t> tid_{0};
  struct Conn;
  void start_request(std::int64_t scheduled_ns);
  Conn* take_idle(std::int64_t now);  // a pooled connection still fit for reuse, or null
  const char* open_conn(Conn& c);     // nullptr, or the syscall that failed (errno set)
  void send_some(Conn& c);
  void on_event(Conn& c, std::uint32_t events);
  void read_some(Conn& c, std::size_t limit);
  void finish(Conn& c, int ending, const char* err);
  void idle_closed(Conn& c, const char* how);
  static void verify_body(RequestRecord& r, const RequestKind& k, const std::string& body);
  void timers(std::int64_t now);
  void set_events(Conn& c, std::uint32_t ev);
  void close_conn(Conn* c);
  void reap_dead();
  int wait_events(epoll_event* evs, int max, std::int64_t wake_ns);
  void forget_live(Conn* c);

  LoadSpec spec_;
  std::uint16_t port_;
  RunClock clock_;
  std::int64_t start_ns_;
  int epfd_ = -1;
  bool no_pwait2_ = false;  // the kernel lacks epoll_pwait2
  // A deque, not a vector: a vector's growth moves every record so far in one go (8,192
  // records at the 8,192nd request: ~10 ms on this machine), a stall of the engine that the
  // open-loop clock then charges to the server as latency. A deque never moves what it holds.
  std::deque<RequestRecord> records_;
  std::vector<Conn*> live_;  // connections with a request in flight or idle in the pool
  std::deque<Conn*> idle_;   // keep-alive connections ready for reuse, oldest first
  std::vector<Conn*> dead_;  // closed, not yet freed
  std::size_t outstanding_ = 0;
  std::uint64_t issued_ = 0;
  std::uint64_t next_conn_id_ = 1;
  LoadSummary summary_;
  Recorder* recorder_ = nullptr;
  std::function<void()> on_slow_change_;
  std::atomic<int> slow_in_flight_{0};
  std::atomic<std::uint64_t> completed_{0}, failed_{0};
  std::vector<std::int64_t> closed_loop_due_;
  KindPicker picker_;
};

}  // namespace zerodrop

// server: one generation of zerodrop-server — it wires the event loop, the listener, the
// connections, the signalfd, the restarter and the notify socket together, feeds the lifecycle
// state machine, and carries out the actions it returns.
//
// Contract: construct once per process (it blocks the handled signals at once), then run()
// serves until the lifecycle reaches `exited` and returns the exit code (0 clean, 1 drain
// deadline exceeded or start-up failure). Becoming ready means, in this order: the listener is
// in epoll; the ready byte goes to the parent generation (ZERODROP_READY_FD), which stops
// accepting and answers on the same socket (or closes it; after 1 s we stop waiting); then the
// pid file is written, the stdout line `listening on HOST:PORT pid=PID generation=N` is
// printed, and MAINPID= and READY=1 go to NOTIFY_SOCKET. So anyone who learns of a new
// generation can only be accepted by it. Without a parent generation the announcement is
// immediate. A generation already draining by then (SIGTERM before the answer) never
// announces itself.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "zerodrop/server/config.hpp"
#include "zerodrop/server/connection.hpp"
#include "zerodrop/server/event_loop.hpp"
#include "zerodrop/server/lifecycle.hpp"
#include "zerodrop/server/listener.hpp"
#include "zerodrop/server/notify.hpp"
#include "zerodrop/server/overload.hpp"
#include "zerodrop/server/pid_file.hpp"
#include "zerodrop/server/response_writer.hpp"
#include "zerodrop/server/restart.hpp"
#include "zerodrop/server/signals.hpp"

namespace zerodrop::server {

class Server final : public ConnectionHost, public RestartObserver, public TimerHandler {
 public:
  // `exe_path`: absolute path of our binary (resolve_executable_path); `argv`: the arguments
  // to exec the next generation with (argv[0] included).
  Server(Config config, std::string exe_path, std::vector<std::string> argv);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int run();

  void connection_closed(Connection& c) override;
  void restart_child_ready(pid_t pid) override;
  void restart_failed(const std::string& reason) override;
  void restart_successor_announced() override;
  void on_timer(std::uint64_t cookie) override;

 private:
  struct Watch final : IoHandler {
    Server* owner = nullptr;
    void (Server::*fn)() = nullptr;
    void on_io(std::uint32_t) override { (owner->*fn)(); }
  };

  void apply(Event event);
  void on_accept();
  void accept_batch(int limit);
  void on_signal();
  void reap_children();
  void become_ready();
  void on_parent_answer();
  void close_parent_channel();
  void announce_ready(bool write_pid);
  void forward_restart_to_successor();
  void start_drain(const char* reason);
  void drain_connections();
  void stop_accepting();
  void close_all();
  void log_stats();
  void reject_overload(int fd);

  Config config_;
  int pid_;
  std::uint32_t generation_;
  SignalFd signals_;
  EventLoop loop_;
  ResponseWriter writer_;
  ServerShared shared_;
  Notifier notifier_;
  Restarter restarter_;
  Listener listener_;
  bool listener_registered_ = false;
  Watch accept_watch_;
  Watch signal_watch_;
  Watch parent_watch_;
  int parent_channel_ = -1;  // the parent generation's ready socket, until it answers

  OverloadRejecter rejecter_{loop_};
  PidFileLock pid_lock_;  // held while our pid file names us (see pid_file.hpp)
  std::vector<std::unique_ptr<Connection>> pool_;
  std::vector<Connection*> free_;
  std::vector<Connection*> released_;
  std::size_t active_ = 0;
  std::uint64_t accepted_total_ = 0;
  Millis last_limit_log_ = -1000000;

  State state_ = State::kServing;
  int exit_code_ = 0;
  bool handed_over_ = false;
  bool drain_held_ = false;        // restart: begin_drain waits for the successor's announcement
  bool listener_closing_ = false;  // shutdown: new SYNs dropped, open for the handshake grace
  pid_t successor_ = -1;
  bool restart_again_ = false;  // SIGHUP for a replaced binary while restarting
  std::string failure_reason_;
};

}  // namespace zerodrop::server

// server_process: runs a zerodrop-server for one test and guarantees it (and every
// generation it forks) is gone afterwards — in the spirit of h2o's spawn_server.
//
// Contract: a thin adapter over the harness's process layer (zerodrop/proc/: Boost.Process
// spawn, parsers, reaping), keeping the API the server's tests were written against. The
// constructor starts the server in its own process group with PR_SET_PDEATHSIG (proc::spawn),
// stdout on a pipe and stderr in a temp file, and returns once the first `listening on` line
// was read (port() and pid() are then known) — or records a fatal test failure if the child
// dies or stays silent for 10 s. The test process is made a child subreaper, so generations
// orphaned by an exiting parent are re-parented to it and reaped. The destructor sends SIGTERM
// to the whole group, waits up to 1.5 s, then SIGKILLs the group and reaps everything.
// Every wait here awaits an event (a line, a log entry, an exit) with a deadline.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zerodrop::server::testing {

struct ServerOptions {
  std::string binary{};             // default: the built zerodrop-server
  std::vector<std::string> args{};  // after the binary, e.g. {"--mode", "shutdown"}
  std::vector<std::string> env{};   // extra KEY=VALUE
  int listen_fd = -1;               // if >= 0: passed as fd 3 with LISTEN_FDS=1/LISTEN_PID
  bool expect_ready = true;         // false: do not wait for the listening line
  std::string argv0{};              // default: `binary`
  std::string cwd{};                // default: the test's
  int stderr_fd = -1;               // if >= 0: the server's stderr (default: a temp file)
  bool ignore_sigchld = false;      // start the server with SIGCHLD ignored (survives exec)
};

class ServerProcess {
 public:
  explicit ServerProcess(ServerOptions options);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool started() const { return port_ != 0; }
  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }

  // The next stdout line containing `needle` (lines are consumed as they are read).
  std::optional<std::string> wait_stdout(const std::string& needle, int timeout_ms = 5000);
  // Waits until the stderr log contains `needle` at least `count` times.
  bool wait_log(const std::string& needle, int timeout_ms = 5000, int count = 1);
  int count_log(const std::string& needle) const;
  std::string log() const;
  // Waits for `pid` to exit; returns its wait status if we could reap it, -1 if it exited but
  // was not ours to reap, nullopt on timeout.
  std::optional<int> wait_exit(pid_t pid, int timeout_ms = 5000);
  // The `key=value` value in the last log line containing `needle` (empty if none).
  std::string log_value(const std::string& needle, const std::string& key) const;

 private:
  pid_t pid_ = -1;
  pid_t pgid_ = -1;
  std::uint16_t port_ = 0;
  int stdout_fd_ = -1;
  std::string stdout_buf_;
  std::string stderr_path_;
};

// Sends SIGUSR1 to `pid` until a stats line reports `inflight=N` (requests really in flight).
bool await_inflight(ServerProcess& s, pid_t pid, int n);

// A keep-alive stream (`target`) whose head is out when a SIGTERM drain begins: it completes
// without Connection: close, the next request on the connection is answered with close, then
// a FIN, and the server exits 0. (Shared by the process and hostile suites.)
void check_keep_alive_promise_across_shutdown(ServerProcess& s, const std::string& target);

// Runs argv (no shell) to its end; its wait status (-1 if it could not start). stdout/stderr
// go to the fds given (-1: inherited).
int run_command(const std::vector<std::string>& argv, int stdout_fd = -1, int stderr_fd = -1);
// Starts argv in its own process group with PR_SET_PDEATHSIG; its pid (-1 on failure). The
// caller kills and reaps it.
pid_t start_command(const std::vector<std::string>& argv);

// Parses "listening on 127.0.0.1:PORT pid=PID generation=N" (proc::parse_listening_line).
bool parse_listening_line(const std::string& line, std::uint16_t& port, pid_t& pid, int& gen);

// A fresh temp directory (removed by the caller's TempDir).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Copies a file (keeping the mode) into place atomically: copy to a temp name, rename over.
void install_file(const std::string& from, const std::string& to);
void write_file(const std::string& path, const std::string& content, unsigned mode);
bool process_exists(pid_t pid);  // false once reaped (zombies count as existing)

}  // namespace zerodrop::server::testing

// bench_server — starts and restarts zerodrop-server for a benchmark and times what a supervisor
// sees (signal -> READY=1, signal -> old generation gone); Herd holds idle keep-alive clients.
// See bench_server.hpp for the contract.
#include "bench_server.hpp"

#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "zerodrop/proc/reap.hpp"

namespace zerodrop::bench {

namespace {
std::string make_workdir() {
  char t[] = "/tmp/zerodrop-bench-XXXXXX";
  if (mkdtemp(t) == nullptr)
    throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  return t;
}

[[noreturn]] void fail(const char* syscall) {
  throw std::runtime_error(std::string(syscall) + ": " + std::strerror(errno));
}

// The end of a log file, for an error message (the workdir is removed with the server).
std::string log_tail(const std::string& path) {
  std::ifstream f(path);
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (all.size() > 300) all = "..." + all.substr(all.size() - 300);
  return all.empty() ? "(server log empty)" : all;
}

}  // namespace

std::string server_binary() {
  const char* e = std::getenv("ZERODROP_BENCH_SERVER");
  return e != nullptr && *e != 0 ? e : ZERODROP_SERVER_BIN;
}

bool smoke_mode() {
  const char* e = std::getenv("ZERODROP_BENCH_SMOKE");
  return e != nullptr && *e != 0 && std::string_view(e) != "0";
}

BenchServer::BenchServer(std::vector<std::string> extra_args) : workdir_(make_workdir()) {
  try {
    start(extra_args);
  } catch (...) {
    cleanup();  // no destructor runs for a constructor that threw
    throw;
  }
}

void BenchServer::start(const std::vector<std::string>& extra_args) {
  launcher_ = std::make_unique<Launcher>(clock_, workdir_);
  notify_ = std::make_unique<proc::NotifySocket>(workdir_ + "/bench-notify.sock");
  int fd = bind_loopback_listener(port_);
  if (fd < 0) throw std::runtime_error("bind_loopback_listener failed");
  SpawnOptions o;
  // Our own notify socket, not the Launcher's: the benchmark blocks on it and wants the kernel's
  // CLOCK_REALTIME arrival stamps as they are.
  o.argv = {server_binary()};
  o.env = {"NOTIFY_SOCKET=" + notify_->path()};
  if (std::find(extra_args.begin(), extra_args.end(), "--mode") == extra_args.end())
    o.argv.insert(o.argv.end(), {"--mode", "fork-restart"});
  o.argv.insert(o.argv.end(), extra_args.begin(), extra_args.end());
  o.listen_fd = fd;
  o.notify = false;
  o.stderr_path = workdir_ + "/server.log";
  o.capture_stdout = true;  // read by the Launcher, kept out of the benchmark report
  try {
    main_pid_ = launcher_->spawn(o);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);  // the server holds it now; ours must not keep a queue alive after it
  if (await_ready(0, 5000) < 0)
    throw std::runtime_error("zerodrop-server not ready within 5 s: " +
                             log_tail(workdir_ + "/server.log"));
}

BenchServer::~BenchServer() {
  cleanup();
}

void BenchServer::cleanup() {
  launcher_.reset();  // ends every process (TERM, wait, KILL)
  notify_.reset();
  if (old_pidfd_ >= 0) ::close(old_pidfd_);
  old_pidfd_ = -1;
  std::error_code ec;
  std::filesystem::remove_all(workdir_, ec);
}

std::int64_t BenchServer::await_ready(pid_t not_from, int timeout_ms) {
  const std::int64_t deadline = realtime_ns() + std::int64_t{timeout_ms} * 1000000;
  for (;;) {
    auto d = notify_->receive();
    if (!d) {
      const std::int64_t left_ms = (deadline - realtime_ns()) / 1000000;
      if (left_ms <= 0) return -1;
      notify_->wait_readable(static_cast<int>(std::min<std::int64_t>(left_ms, 100)));
      launcher_->poll();  // reap, drain the server's stdout
      // Only at the first start: during a restart the old generation may exit (drained)
      // before its successor's MAINPID= arrives.
      if (not_from == 0 && launcher_->exited(main_pid_))
        throw std::runtime_error("zerodrop-server (" + server_binary() +
                                 ") exited before READY=1: " + log_tail(workdir_ + "/server.log"));
      continue;
    }
    // A new generation sends MAINPID=<pid> before READY=1; a failed restart sends READY=1 with
    // the old pid still the main one, which is not a new generation.
    bool ready = false;
    for (std::string_view line : d->lines()) {
      if (line.rfind("MAINPID=", 0) == 0)
        main_pid_ = static_cast<pid_t>(std::atol(std::string(line.substr(8)).c_str()));
      if (line == "READY=1") ready = true;
      if (line.rfind("STATUS=restart failed", 0) == 0)
        throw std::runtime_error("server: " + std::string(line.substr(7)));
    }
    if (ready && main_pid_ != not_from) return d->arrived_ns;
  }
}

std::int64_t BenchServer::restart() {
  previous_ = main_pid_;
  if (old_pidfd_ >= 0) ::close(old_pidfd_);
  old_pidfd_ = proc::pidfd_open(previous_);  // before the signal: the pid cannot be reused yet
  if (old_pidfd_ < 0) fail("pidfd_open");
  std::error_code ec;
  log_offset_ = std::filesystem::file_size(workdir_ + "/server.log", ec);
  if (ec) log_offset_ = 0;
  signal_ns_ = realtime_ns();
  if (::kill(previous_, SIGHUP) < 0) fail("kill(SIGHUP)");
  const std::int64_t at = await_ready(previous_, 10000);
  return at < 0 ? -1 : at - signal_ns_;
}

namespace {
// "ts=2026-11-25T06:28:37.584376Z" at the start of a log line -> CLOCK_REALTIME ns (0 if not).
std::int64_t log_ts_ns(const std::string& line) {
  std::tm tm{};
  long usec = 0;
  if (std::sscanf(line.c_str(), "ts=%d-%d-%dT%d:%d:%d.%ldZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &usec) != 7)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000000000 + usec * 1000;
}
}  // namespace

RestartPhases BenchServer::phases() const {
  RestartPhases ph;
  std::ifstream f(workdir_ + "/server.log");
  f.seekg(static_cast<std::streamoff>(log_offset_));
  const std::string old_pid = " pid=" + std::to_string(previous_) + " ";
  const std::string new_pid = " pid=" + std::to_string(main_pid_) + " ";
  auto ms = [&](const std::string& line) {
    std::int64_t t = log_ts_ns(line);
    return t == 0 ? -1.0 : static_cast<double>(t - signal_ns_) / 1e6;
  };
  for (std::string line; std::getline(f, line);) {
    const bool old_gen = line.find(old_pid) != std::string::npos;
    if (old_gen && line.find(" event=restart_requested") != std::string::npos)
      ph.requested = ms(line);
    if (old_gen && line.find(" event=child_spawned") != std::string::npos) ph.spawned = ms(line);
    if (old_gen && line.find(" event=child_ready") != std::string::npos) ph.child_ready = ms(line);
    if (line.find(new_pid) != std::string::npos && line.find(" event=start ") != std::string::npos)
      ph.started = ms(line);
  }
  return ph;
}

std::int64_t BenchServer::wait_exit(int pidfd, std::int64_t from, int timeout_ms) {
  // A pidfd turns readable when the process exits, whoever its parent is (later generations
  // are the previous generation's children, reparented to the Launcher's subreaper).
  const bool exited = proc::wait_readable(pidfd, timeout_ms);
  const std::int64_t now = realtime_ns();
  launcher_->poll();
  return exited ? now - from : -1;
}

std::int64_t BenchServer::old_exit_ns(int timeout_ms) {
  return wait_exit(old_pidfd_, signal_ns_, timeout_ms);
}

std::int64_t BenchServer::shutdown(int timeout_ms) {
  int pidfd = proc::pidfd_open(main_pid_);
  if (pidfd < 0) fail("pidfd_open");
  const std::int64_t t0 = realtime_ns();
  if (::kill(main_pid_, SIGTERM) < 0) {
    ::close(pidfd);
    fail("kill(SIGTERM)");
  }
  std::int64_t ns = wait_exit(pidfd, t0, timeout_ms);
  ::close(pidfd);
  return ns;
}

}  // namespace zerodrop::bench

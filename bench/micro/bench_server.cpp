#include "bench_server.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "bench_client.hpp"

namespace zerodrop::bench {

namespace {
std::string make_workdir() {
  char t[] = "/tmp/zerodrop-bench-XXXXXX";
  if (mkdtemp(t) == nullptr) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  return t;
}
}  // namespace

BenchServer::BenchServer(std::vector<std::string> extra_args) : workdir_(make_workdir()) {
  launcher_ = std::make_unique<Launcher>(clock_, workdir_);
  int fd = bind_loopback_listener(port_);
  if (fd < 0) throw std::runtime_error("bind_loopback_listener failed");
  SpawnOptions o;
  o.argv = {ZERODROP_SERVER_BIN};
  if (std::find(extra_args.begin(), extra_args.end(), "--mode") == extra_args.end())
    o.argv.insert(o.argv.end(), {"--mode", "fork-restart"});
  o.argv.insert(o.argv.end(), extra_args.begin(), extra_args.end());
  o.listen_fd = fd;
  o.notify = true;
  o.stderr_path = workdir_ + "/server.log";
  o.capture_stdout = true;  // read by the Launcher, kept out of the benchmark report
  launcher_->spawn(o);
  ::close(fd);  // the server holds it now; ours must not keep a queue alive after it
  const std::int64_t deadline = clock_.now_ns() + ms_to_ns(5000);
  while (!launcher_->ready()) {
    launcher_->poll();
    if (clock_.now_ns() > deadline) throw std::runtime_error("zerodrop-server not ready; see " + workdir_);
    usleep(200);
  }
}

BenchServer::~BenchServer() {
  launcher_.reset();  // ends every process (TERM, wait, KILL)
  std::error_code ec;
  std::filesystem::remove_all(workdir_, ec);
}

std::int64_t BenchServer::restart() {
  previous_ = launcher_->main_pid();
  signal_ns_ = clock_.now_ns();
  launcher_->signal_pid(previous_, SIGHUP);
  const std::int64_t deadline = signal_ns_ + ms_to_ns(10000);
  std::size_t seen = launcher_->events().size();
  for (;;) {
    launcher_->poll();
    auto ev = launcher_->events();
    for (std::size_t i = seen; i < ev.size(); ++i)
      if (ev[i].event == "ready" && ev[i].pid != previous_ && ev[i].t_ns >= signal_ns_) return ev[i].t_ns - signal_ns_;
    seen = ev.size();
    if (clock_.now_ns() > deadline) return -1;
    usleep(50);  // the notify datagram is timestamped when read: 50 µs resolution
  }
}

std::int64_t BenchServer::wait_exit(pid_t p, std::int64_t from, int timeout_ms) {
  const std::int64_t deadline = clock_.now_ns() + ms_to_ns(timeout_ms);
  for (;;) {
    launcher_->poll();
    if (launcher_->exited(p)) {
      for (auto& e : launcher_->events())
        if ((e.event == "exited" || e.event == "vanished") && e.pid == p) return e.t_ns - from;
      return clock_.now_ns() - from;
    }
    if (clock_.now_ns() > deadline) return -1;
    usleep(100);
  }
}

std::int64_t BenchServer::old_exit_ns(int timeout_ms) { return wait_exit(previous_, signal_ns_, timeout_ms); }

std::int64_t BenchServer::shutdown(int timeout_ms) {
  pid_t p = launcher_->main_pid();
  const std::int64_t t0 = clock_.now_ns();
  launcher_->signal_pid(p, SIGTERM);
  return wait_exit(p, t0, timeout_ms);
}

Herd::Herd(std::uint16_t port, int n) {
  fds_.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    Client c(port);
    if (!c.connected() || !c.get("/", true)) throw std::runtime_error("herd: connection " + std::to_string(i) + " failed");
    fds_.push_back(c.release());
  }
  open_ = n;
  watcher_ = std::thread([this] { watch(); });
}

Herd::~Herd() {
  stop_ = true;
  watcher_.join();
  for (int fd : fds_)
    if (fd >= 0) ::close(fd);
}

void Herd::watch() {
  // Close our side once the server closed its own: its lingering close then ends at once, as
  // with a real client, instead of after its linger timeout.
  std::vector<pollfd> p;
  while (!stop_) {
    p.clear();
    for (int fd : fds_)
      if (fd >= 0) p.push_back({fd, POLLIN | POLLRDHUP, 0});
    if (p.empty()) return;
    if (::poll(p.data(), p.size(), 20) <= 0) continue;
    for (auto& q : p) {
      if (!q.revents) continue;
      char buf[512];
      ssize_t r = ::recv(q.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (r == 0 || (r < 0 && errno != EAGAIN)) {
        for (int& fd : fds_)
          if (fd == q.fd) {
            ::close(fd);
            fd = -1;
          }
        --open_;
      }
    }
  }
}

long raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) < 0) return -1;
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
  getrlimit(RLIMIT_NOFILE, &r);
  return static_cast<long>(r.rlim_cur);
}

}  // namespace zerodrop::bench

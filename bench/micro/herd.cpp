// herd — idle keep-alive clients that close as soon as the server does. See herd.hpp.
#include "herd.hpp"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "bench_client.hpp"

namespace zerodrop::bench {

Herd::Herd(std::uint16_t port, int n) {
  fds_.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    Client c(port);
    if (!c.connected() || !c.get("/", true)) {
      for (int fd : fds_)
        ::close(fd);  // no destructor runs for a constructor that threw
      throw std::runtime_error("herd: connection " + std::to_string(i) + " of " +
                               std::to_string(n) + " failed: " + std::strerror(errno));
    }
    fds_.push_back(c.release());
  }
  open_ = n;
  // Register every socket here, not in the thread: see herd.hpp.
  ep_ = ::epoll_create1(EPOLL_CLOEXEC);
  for (std::size_t i = 0; ep_ >= 0 && i < fds_.size(); ++i) {
    epoll_event e{};
    e.events = EPOLLIN | EPOLLRDHUP;
    e.data.u64 = i;
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, fds_[i], &e);
  }
  watcher_ = std::thread([this] { watch(); });
}

Herd::~Herd() {
  stop_ = true;
  watcher_.join();
  for (int fd : fds_)
    if (fd >= 0) ::close(fd);
  if (ep_ >= 0) ::close(ep_);
}

void Herd::watch() {
  // Close our side once the server closed its own: its lingering close then ends at once, as
  // with a real client, instead of after its linger timeout. epoll, not poll: with 10,000
  // sockets a poll() per wake-up would cost the benchmark more CPU than the server's drain,
  // on the same 2 cores.
  const int ep = ep_;
  if (ep < 0) return;  // the connections stay open until ~Herd; timings then include lingering
  epoll_event ev[256];
  while (!stop_ && open_ > 0) {
    int n = ::epoll_wait(ep, ev, 256, 50);
    for (int k = 0; k < n; ++k) {
      int& fd = fds_[ev[k].data.u64];
      if (fd < 0) continue;
      char buf[512];
      ssize_t r = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (r == 0 || (r < 0 && errno != EAGAIN)) {
        ::close(fd);  // also leaves the epoll set (no other descriptor of it exists)
        fd = -1;
        --open_;
      }
    }
  }
}

long raise_fd_limit(long want) {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) < 0) return -1;
  // Above the hard limit only with CAP_SYS_RESOURCE (e.g. as root in a container); otherwise
  // this setrlimit fails and the soft limit is raised to the hard one below.
  if (want > 0 && r.rlim_max != RLIM_INFINITY && static_cast<long>(r.rlim_max) < want) {
    rlimit up{static_cast<rlim_t>(want), static_cast<rlim_t>(want)};
    setrlimit(RLIMIT_NOFILE, &up);
    getrlimit(RLIMIT_NOFILE, &r);
  }
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
  getrlimit(RLIMIT_NOFILE, &r);
  return static_cast<long>(r.rlim_cur);
}

}  // namespace zerodrop::bench

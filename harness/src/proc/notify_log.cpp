// See zerodrop/proc/notify_log.hpp.
#include "zerodrop/proc/notify_log.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace zerodrop::proc {

NotifyLog::NotifyLog(std::string path) : socket_(std::move(path)) {
  if (::pipe2(stop_pipe_, O_CLOEXEC) < 0)
    throw std::system_error(errno, std::generic_category(), "pipe2");
  thread_ = std::thread([this] { run(); });
}

NotifyLog::~NotifyLog() {
  if (::write(stop_pipe_[1], "x", 1) < 0)
    std::fprintf(stderr, "zerodrop: write (notify log stop): %s\n", std::strerror(errno));
  thread_.join();
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
}

void NotifyLog::run() {
  for (;;) {
    pollfd p[2] = {{socket_.fd(), POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "zerodrop: poll (notify log): %s\n", std::strerror(errno));
      return;
    }
    if (p[1].revents != 0) return;
    while (auto d = socket_.receive()) {
      // The kernel's stamp is CLOCK_REALTIME; the steady clock is that minus the datagram's age.
      const auto age = std::chrono::nanoseconds(realtime_ns() - d->arrived_ns);
      const auto now = Clock::now();
      NotifyMessage m{age.count() > 0 ? now - age : now, d->sender, std::move(d->text)};
      std::lock_guard lk(mu_);
      messages_.push_back(std::move(m));
      cv_.notify_all();
    }
  }
}

std::vector<NotifyMessage> NotifyLog::messages() {
  std::lock_guard lk(mu_);
  return messages_;
}

bool NotifyLog::wait_for(const std::function<bool(const std::vector<NotifyMessage>&)>& pred,
                         Clock::time_point deadline) {
  std::unique_lock lk(mu_);
  return cv_.wait_until(lk, deadline, [&] { return pred(messages_); });
}

}  // namespace zerodrop::proc

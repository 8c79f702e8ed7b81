// sd_notify without libsystemd. See notify.hpp.
#include "zerodrop/server/notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "zerodrop/server/log.hpp"

namespace zerodrop::server {

Notifier::Notifier() {
  const char* p = std::getenv("NOTIFY_SOCKET");
  if (p == nullptr || *p == '\0') return;
  if ((p[0] != '/' && p[0] != '@') || std::strlen(p) >= sizeof(sockaddr_un{}.sun_path)) {
    LogLine("notify_disabled").kv("reason", "unsupported NOTIFY_SOCKET").kv("value", p);
    return;
  }
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    log_syscall_error("socket", errno, "NOTIFY_SOCKET");
    return;
  }
  path_ = p;
}

Notifier::~Notifier() {
  if (fd_ >= 0) ::close(fd_);
}

void Notifier::send(std::string_view message) {
  if (path_.empty()) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path_.data(), path_.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path_.size());
  // Never blocking: a supervisor whose queue is full must not stop the loop. A full queue
  // gets a bounded number of retries (at most kRetries x kRetryMs), then the message is
  // dropped and logged (notify_dropped). An unconnected datagram socket cannot be polled for
  // the receiver's room, hence the short sleeps.
  constexpr int kRetries = 10;
  constexpr useconds_t kRetryUs = 5000;
  for (int attempt = 0;;) {
    ssize_t n = ::sendto(fd_, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                         reinterpret_cast<sockaddr*>(&addr), len);
    if (n >= 0) return;
    if (errno == EINTR) continue;
    if (errno == EAGAIN && ++attempt <= kRetries) {
      ::usleep(kRetryUs);
      continue;
    }
    if (errno == EAGAIN) {
      LogLine("notify_dropped").kv("message", message).kv("reason", "receiver queue full");
      return;
    }
    log_syscall_error("sendto", errno, std::string("NOTIFY_SOCKET ") + std::string(message));
    return;
  }
}

}  // namespace zerodrop::server

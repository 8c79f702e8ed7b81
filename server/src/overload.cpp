// 503 past --max-connections, with a lingering close. See overload.hpp.
#include "zerodrop/server/overload.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "zerodrop/server/connection.hpp"
#include "zerodrop/server/log.hpp"

namespace zerodrop::server {
namespace {

constexpr std::string_view kResponse =
    "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n"
    "Retry-After: 1\r\n\r\n";

// Reads and discards what is pending: false once the peer's EOF (or an error) was seen, or
// past the byte budget (a peer that never stops sending must not keep the loop here).
bool discard_input(int fd, std::uint64_t& bytes) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      bytes += static_cast<std::uint64_t>(n);
      if (bytes > Connection::kLingerMaxBytes) return false;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    if (n < 0 && errno != ECONNRESET) log_syscall_error("read", errno, "503 linger");
    return false;
  }
}

}  // namespace

OverloadRejecter::~OverloadRejecter() {
  close_all();
}

void OverloadRejecter::reject(int fd) {
  // A fresh socket's send buffer takes these few bytes at once; if not, the client gets the
  // FIN alone (it was refused either way).
  if (::send(fd, kResponse.data(), kResponse.size(), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
      errno != EAGAIN)
    log_syscall_error("send", errno, "503");
  if (::shutdown(fd, SHUT_WR) < 0 && errno != ENOTCONN) log_syscall_error("shutdown", errno, "503");
  Slot* s = nullptr;
  if (!free_.empty()) {
    s = free_.back();
    free_.pop_back();
  } else if (slots_.size() < kMaxLingering) {
    slots_.push_back(std::make_unique<Slot>());
    s = slots_.back().get();
    s->owner = this;
  }
  std::uint64_t ignored = 0;
  if (s == nullptr || !discard_input(fd, ignored)) {
    if (::close(fd) < 0) log_syscall_error("close", errno, "503");
    return;
  }
  s->fd = fd;
  ++s->incarnation;
  s->bytes = 0;
  s->until = loop_.now() + Connection::kLingerMaxMs;
  ++busy_;
  if (!loop_.add(fd, EPOLLIN | EPOLLRDHUP | EPOLLET, s)) {
    if (::close(fd) < 0) log_syscall_error("close", errno, "503");
    s->fd = -1;
    --busy_;
    released_.push_back(s);
    return;
  }
  s->timer = loop_.add_timer(loop_.now() + Connection::kLingerMs, s, s->incarnation);
}

void OverloadRejecter::Slot::on_io(std::uint32_t) {
  if (fd >= 0) owner->drain(*this);
}

void OverloadRejecter::Slot::on_timer(std::uint64_t cookie) {
  timer = kNoTimer;
  if (fd >= 0 && cookie == incarnation) owner->finish(*this);
}

void OverloadRejecter::drain(Slot& s) {
  const std::uint64_t before = s.bytes;
  if (!discard_input(s.fd, s.bytes)) {
    finish(s);
    return;
  }
  if (s.bytes > before) {  // still sending: another kLingerMs, within the budget
    loop_.cancel_timer(s.timer);
    Millis next = loop_.now() + Connection::kLingerMs;
    s.timer = loop_.add_timer(next < s.until ? next : s.until, &s, s.incarnation);
  }
}

void OverloadRejecter::finish(Slot& s) {
  // Explicit EPOLL_CTL_DEL: a forked child may hold a copy of the socket until it execs.
  loop_.remove(s.fd);
  if (::close(s.fd) < 0) log_syscall_error("close", errno, "503 linger");
  s.fd = -1;
  ++s.incarnation;
  loop_.cancel_timer(s.timer);
  s.timer = kNoTimer;
  --busy_;
  released_.push_back(&s);
}

void OverloadRejecter::recycle() {
  for (Slot* s : released_)
    free_.push_back(s);
  released_.clear();
}

void OverloadRejecter::close_all() {
  for (auto& s : slots_)
    if (s->fd >= 0) finish(*s);
}

}  // namespace zerodrop::server

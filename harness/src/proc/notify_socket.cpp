// See zerodrop/proc/notify_socket.hpp.
#include "zerodrop/proc/notify_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace zerodrop::proc {

std::int64_t realtime_ns() {
  timespec t{};
  clock_gettime(CLOCK_REALTIME, &t);
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

std::vector<std::string_view> NotifyDatagram::lines() const {
  std::vector<std::string_view> out;
  std::string_view rest(text);
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    if (nl != 0) out.push_back(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  }
  return out;
}

NotifySocket::NotifySocket(std::string path) : path_(std::move(path)) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path_.size() >= sizeof a.sun_path)
    throw std::invalid_argument("notify socket path too long: " + path_);
  std::memcpy(a.sun_path, path_.c_str(), path_.size() + 1);
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket(AF_UNIX)");
  ::unlink(path_.c_str());
  int one = 1;
  const char* failed = nullptr;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
    failed = "bind(notify socket)";
  else if (::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
    failed = "setsockopt(SO_PASSCRED)";
  else if (::setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0)
    failed = "setsockopt(SO_TIMESTAMPNS)";
  if (failed != nullptr) {
    const int e = errno;
    ::close(fd_);
    throw std::system_error(e, std::generic_category(), std::string(failed) + " " + path_);
  }
}

NotifySocket::~NotifySocket() {
  ::close(fd_);
  ::unlink(path_.c_str());
}

std::optional<NotifyDatagram> NotifySocket::receive() {
  char buf[4096];
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(timespec))];
  iovec iov{buf, sizeof buf};
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = cbuf;
  m.msg_controllen = sizeof cbuf;
  ssize_t n;
  while ((n = ::recvmsg(fd_, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      std::fprintf(stderr, "zerodrop: recvmsg(notify): %s\n", std::strerror(errno));
    return std::nullopt;
  }
  NotifyDatagram d;
  d.arrived_ns = realtime_ns();  // if the stamp is missing
  d.text.assign(buf, static_cast<std::size_t>(n));
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    if (c->cmsg_type == SCM_CREDENTIALS) {
      ucred u;
      std::memcpy(&u, CMSG_DATA(c), sizeof u);
      d.sender = u.pid;
    } else if (c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec t;
      std::memcpy(&t, CMSG_DATA(c), sizeof t);
      d.arrived_ns = static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
    }
  }
  return d;
}

bool NotifySocket::wait_readable(int timeout_ms) const {
  pollfd p{fd_, POLLIN, 0};
  int r;
  while ((r = ::poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
  }
  if (r < 0) std::fprintf(stderr, "zerodrop: poll(notify): %s\n", std::strerror(errno));
  return r > 0;
}

}  // namespace zerodrop::proc

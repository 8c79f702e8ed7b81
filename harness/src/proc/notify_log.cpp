// See notify_socket.hpp.
#include "notify_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace zerodrop::walkthrough {

NotifySocket::NotifySocket(std::string path) : path_(std::move(path)) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path_.size() >= sizeof sa.sun_path)
    throw std::invalid_argument("notify socket path too long: " + path_);
  std::memcpy(sa.sun_path, path_.c_str(), path_.size() + 1);
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket AF_UNIX");
  int one = 1;
  if (::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0 ||
      ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 ||
      ::pipe2(stop_pipe_, O_CLOEXEC) < 0) {
    int e = errno;
    ::close(fd_);
    throw std::system_error(e, std::generic_category(), "notify socket " + path_);
  }
  thread_ = std::thread([this] { run(); });
}

NotifySocket::~NotifySocket() {
  ssize_t ignored = ::write(stop_pipe_[1], "x", 1);
  (void)ignored;
  thread_.join();
  ::close(fd_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
  ::unlink(path_.c_str());
}

void NotifySocket::run() {
  for (;;) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "walkthrough: poll notify socket: %s\n", std::strerror(errno));
      return;
    }
    if (p[1].revents != 0) return;
    char buf[4096];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd_, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno != EINTR && errno != EAGAIN)
        std::fprintf(stderr, "walkthrough: recvmsg notify socket: %s\n", std::strerror(errno));
      continue;
    }
    NotifyMessage m{Clock::now(), 0, std::string(buf, static_cast<size_t>(n))};
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
        ucred cred{};
        std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
        m.sender = cred.pid;
      }
    std::lock_guard lk(mu_);
    messages_.push_back(std::move(m));
    cv_.notify_all();
  }
}

std::vector<NotifyMessage> NotifySocket::messages() {
  std::lock_guard lk(mu_);
  return messages_;
}

bool NotifySocket::wait_for(const std::function<bool(const std::vector<NotifyMessage>&)>& pred,
                            Clock::time_point deadline) {
  std::unique_lock lk(mu_);
  return cv_.wait_until(lk, deadline, [&] { return pred(messages_); });
}

}  // namespace zerodrop::walkthrough

// notify: the systemd notify protocol (sd_notify) on $NOTIFY_SOCKET, without libsystemd.
//
// Contract: when NOTIFY_SOCKET is set (a path, or "@name" for the abstract namespace), send()
// delivers one datagram per call ("READY=1", "MAINPID=42", ...) so a reader sees them in the
// order sent; without it, send() does nothing. The variable is left in the environment so the
// next generation (NotifyAccess=all) reports too. Failures are logged, never fatal.
#pragma once

#include <string>
#include <string_view>

namespace zerodrop::server {

class Notifier {
 public:
  Notifier();  // reads NOTIFY_SOCKET
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  bool enabled() const { return !path_.empty(); }
  void send(std::string_view message);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace zerodrop::server

// A minimal systemd-style notify socket, for the supervisor part of the walkthrough.
//
// Contract: NotifySocket binds a unix datagram socket at `path` (give it to the server as
// NOTIFY_SOCKET) with SO_PASSCRED, so each datagram arrives with the sender's PID from the
// kernel (as systemd's NotifyAccess=all sees it). A thread receives datagrams and keeps them,
// time-stamped, in order; wait_for() blocks on new ones (an event) up to a deadline. The socket
// file is unlinked on destruction.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "reaper.hpp"

namespace zerodrop::walkthrough {

struct NotifyMessage {
  Clock::time_point when{};
  pid_t sender = 0;  // from SCM_CREDENTIALS
  std::string text;  // e.g. "READY=1\nMAINPID=42"
};

class NotifySocket {
 public:
  explicit NotifySocket(std::string path);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& path() const { return path_; }
  std::vector<NotifyMessage> messages();
  // Waits until pred holds for the message list (checked on each arrival and at once).
  bool wait_for(const std::function<bool(const std::vector<NotifyMessage>&)>& pred,
                Clock::time_point deadline);

 private:
  void run();
  std::string path_;
  int fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<NotifyMessage> messages_;
  std::thread thread_;
};

}  // namespace zerodrop::walkthrough

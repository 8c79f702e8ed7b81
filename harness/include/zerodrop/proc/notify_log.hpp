// proc/notify_log — a NOTIFY_SOCKET read by a thread of its own, for a caller that waits on
// what arrived (the walkthrough's supervisor part) instead of polling it.
//
// Contract: NotifyLog binds a NotifySocket (notify_socket.hpp: SO_PASSCRED, kernel arrival
// stamps) at `path`; a thread receives every datagram and keeps it, in order, stamped with its
// arrival on the steady clock (converted from the kernel's stamp); wait_for() blocks on new ones
// (an event) up to a deadline. The thread stops and the socket file is unlinked on destruction.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "zerodrop/proc/notify_socket.hpp"
#include "zerodrop/proc/reaper.hpp"

namespace zerodrop::proc {

struct NotifyMessage {
  Clock::time_point when{};
  pid_t sender = 0;  // from SCM_CREDENTIALS
  std::string text;  // e.g. "READY=1\nMAINPID=42"
};

class NotifyLog {
 public:
  explicit NotifyLog(std::string path);
  ~NotifyLog();
  NotifyLog(const NotifyLog&) = delete;
  NotifyLog& operator=(const NotifyLog&) = delete;

  const std::string& path() const { return socket_.path(); }
  std::vector<NotifyMessage> messages();
  // Waits until pred holds for the message list (checked on each arrival and at once).
  bool wait_for(const std::function<bool(const std::vector<NotifyMessage>&)>& pred,
                Clock::time_point deadline);

 private:
  void run();
  NotifySocket socket_;
  int stop_pipe_[2] = {-1, -1};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<NotifyMessage> messages_;
  std::thread thread_;
};

}  // namespace zerodrop::proc

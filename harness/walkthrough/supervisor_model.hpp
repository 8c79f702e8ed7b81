// What a process supervisor believes, fed with notify-protocol messages (systemd Type=notify).
//
// Contract: SupervisorModel starts tracking the PID it launched, in state "starting". apply()
// takes one datagram ("KEY=VALUE" lines) and follows systemd's reading of it: MAINPID=<pid>
// moves the tracked main PID; READY=1 → "running"; RELOADING=1 → "reloading"; STOPPING=1 →
// "stopping"; STATUS= is kept as text. Unknown keys are ignored; a malformed MAINPID is
// ignored and counted. Pure logic: no I/O.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace zerodrop::walkthrough {

class SupervisorModel {
 public:
  explicit SupervisorModel(pid_t launched) : main_pid_(launched) {}
  void apply(std::string_view datagram);

  pid_t main_pid() const { return main_pid_; }
  const std::string& state() const { return state_; }
  const std::string& status_text() const { return status_; }
  int reloads() const { return reloads_; }
  int bad_messages() const { return bad_; }
  const std::vector<pid_t>& pid_history() const { return history_; }

 private:
  pid_t main_pid_;
  std::string state_ = "starting";
  std::string status_;
  int reloads_ = 0;
  int bad_ = 0;
  std::vector<pid_t> history_;  // every MAINPID= value, in order
};

}  // namespace zerodrop::walkthrough

// See supervisor_model.hpp.
#include "supervisor_model.hpp"

#include <charconv>

namespace zerodrop::walkthrough {

void SupervisorModel::apply(std::string_view datagram) {
  while (!datagram.empty()) {
    size_t nl = datagram.find('\n');
    std::string_view line = datagram.substr(0, nl);
    datagram = nl == std::string_view::npos ? std::string_view{} : datagram.substr(nl + 1);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "MAINPID") {
      pid_t pid = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), pid);
      if (ec != std::errc() || p != value.data() + value.size() || pid <= 0) {
        ++bad_;
        continue;
      }
      main_pid_ = pid;
      history_.push_back(pid);
    } else if (key == "READY" && value == "1") {
      state_ = "running";
    } else if (key == "RELOADING" && value == "1") {
      state_ = "reloading";
      ++reloads_;
    } else if (key == "STOPPING" && value == "1") {
      state_ = "stopping";
    } else if (key == "STATUS") {
      status_ = std::string(value);
    }
  }
}

}  // namespace zerodrop::walkthrough

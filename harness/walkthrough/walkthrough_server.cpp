// See server_process.hpp.
#include "walkthrough_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace zerodrop::walkthrough {

WalkthroughServer::WalkthroughServer(Reaper& reaper, const SpawnSpec& spec) {
  SpawnSpec s = spec;
  s.capture_stdout = true;
  s.capture_stderr = true;
  if (::pipe2(stop_pipe_, O_CLOEXEC) < 0)
    throw std::system_error(errno, std::generic_category(), "pipe2");
  spawned_ = spawn(s);
  reaper.child_added();
  reader_ = std::thread([this] { read_loop(); });
}

WalkthroughServer::~WalkthroughServer() {
  end();
  ssize_t ignored = ::write(stop_pipe_[1], "x", 1);
  (void)ignored;
  reader_.join();
  for (int fd : {stop_pipe_[0], stop_pipe_[1], spawned_.stdout_fd, spawned_.stderr_fd})
    if (fd >= 0) ::close(fd);
}

void WalkthroughServer::end() {
  if (ended_) return;
  ended_ = true;
  end_group(spawned_.pid);
}

void WalkthroughServer::read_loop() {
  struct Stream {
    int fd;
    bool is_stderr;
    std::string partial;
  } streams[2] = {{spawned_.stdout_fd, false, {}}, {spawned_.stderr_fd, true, {}}};
  int open_streams = 2;
  while (open_streams > 0) {
    pollfd p[3] = {
        {streams[0].fd, POLLIN, 0}, {streams[1].fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "walkthrough: poll: %s\n", std::strerror(errno));
      return;
    }
    if (p[2].revents != 0) return;
    for (int i = 0; i < 2; ++i) {
      if (p[i].revents == 0 || streams[i].fd < 0) continue;
      char buf[4096];
      ssize_t n = ::read(streams[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {  // EOF: every generation closed this stream
        streams[i].fd = -1;
        --open_streams;
        continue;
      }
      std::string& part = streams[i].partial;
      part.append(buf, static_cast<size_t>(n));
      size_t nl;
      std::vector<OutputLine> fresh;
      while ((nl = part.find('\n')) != std::string::npos) {
        fresh.push_back(OutputLine{Clock::now(), streams[i].is_stderr, part.substr(0, nl)});
        part.erase(0, nl + 1);
      }
      if (!fresh.empty()) {
        std::lock_guard lk(mu_);
        for (auto& l : fresh)
          lines_.push_back(std::move(l));
        cv_.notify_all();
      }
    }
  }
}

std::vector<std::string> WalkthroughServer::log_of(pid_t pid,
                                                   const std::vector<std::string_view>& events) {
  std::vector<std::string> out;
  for (const auto& line : lines()) {
    if (!line.is_stderr) continue;
    LogFields f = parse_logfmt(line.text);
    if (field_int(f, "pid") != pid) continue;
    if (f["event"] == "signal" && f["signal"] == "SIGUSR1") continue;  // our own stats probes
    for (auto e : events)
      if (f["event"] == e) out.push_back(line.text);
  }
  return out;
}

size_t WalkthroughServer::line_count() {
  std::lock_guard lk(mu_);
  return lines_.size();
}

std::vector<OutputLine> WalkthroughServer::lines() {
  std::lock_guard lk(mu_);
  return lines_;
}

std::string WalkthroughServer::tail(size_t n) {
  std::lock_guard lk(mu_);
  std::string out;
  size_t start = lines_.size() > n ? lines_.size() - n : 0;
  for (size_t i = start; i < lines_.size(); ++i)
    out += "    | " + lines_[i].text + "\n";
  return out;
}

std::optional<OutputLine> WalkthroughServer::wait_line(
    size_t from, const std::function<bool(const OutputLine&)>& pred, Clock::time_point deadline) {
  std::unique_lock lk(mu_);
  size_t next = from;
  std::optional<OutputLine> found;
  cv_.wait_until(lk, deadline, [&] {
    for (; next < lines_.size(); ++next)
      if (pred(lines_[next])) {
        found = lines_[next];
        return true;
      }
    return false;
  });
  return found;
}

std::optional<ListeningLine> WalkthroughServer::wait_listening(int generation,
                                                               Clock::time_point deadline) {
  std::optional<ListeningLine> parsed;
  wait_line(
      0,
      [&](const OutputLine& l) {
        if (l.is_stderr) return false;
        auto p = parse_listening_line(l.text);
        if (!p || !p->complete() || p->generation != generation) return false;
        parsed = p;
        return true;
      },
      deadline);
  return parsed;
}

std::optional<LogFields> WalkthroughServer::wait_event(pid_t pid, std::string_view event,
                                                       size_t from, Clock::time_point deadline) {
  std::optional<LogFields> fields;
  wait_line(
      from,
      [&](const OutputLine& l) {
        if (!l.is_stderr) return false;
        LogFields f = parse_logfmt(l.text);
        auto it = f.find("event");
        if (it == f.end() || it->second != event || field_int(f, "pid") != pid) return false;
        fields = std::move(f);
        return true;
      },
      deadline);
  return fields;
}

std::optional<LogFields> WalkthroughServer::wait_inflight(pid_t pid, long long at_least,
                                                          Clock::time_point deadline) {
  // Each round is an event wait (the stats line answering our SIGUSR1); the pause between
  // rounds only bounds how often we ask, it synchronises nothing.
  while (Clock::now() < deadline) {
    size_t from = line_count();
    if (::kill(pid, SIGUSR1) < 0) return std::nullopt;
    auto stats =
        wait_event(pid, "stats", from, std::min(deadline, Clock::now() + std::chrono::seconds(2)));
    if (stats && field_int(*stats, "inflight").value_or(0) >= at_least) return stats;
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
  return std::nullopt;
}

}  // namespace zerodrop::walkthrough

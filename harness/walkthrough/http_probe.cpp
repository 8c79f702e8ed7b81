// See http_probe.hpp.
#include "http_probe.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace zerodrop::walkthrough {

std::string HttpResult::describe() const {
  if (!transport_ok) return "error: " + error;
  std::string s = std::to_string(status) + " \"" + body + "\"";
  if (pid != 0) s += " X-Pid " + std::to_string(pid);
  if (generation != 0) s += " X-Generation " + std::to_string(generation);
  return s;
}

HttpResult http_get(int port, const std::string& path, std::chrono::milliseconds timeout) {
  HttpResult out;
  httplib::Client cli("127.0.0.1", port);
  cli.set_keep_alive(false);
  auto secs = timeout.count() / 1000;
  auto usecs = (timeout.count() % 1000) * 1000;
  cli.set_connection_timeout(secs, usecs);
  cli.set_read_timeout(secs, usecs);
  cli.set_write_timeout(secs, usecs);
  auto res = cli.Get(path);
  if (!res) {
    out.error = httplib::to_string(res.error());
    return out;
  }
  out.transport_ok = true;
  out.status = res->status;
  out.body = res->body;
  auto num = [](const std::string& s, auto& v) {
    std::from_chars(s.data(), s.data() + s.size(), v);
  };
  if (res->has_header("X-Pid")) num(res->get_header_value("X-Pid"), out.pid);
  if (res->has_header("X-Generation")) num(res->get_header_value("X-Generation"), out.generation);
  return out;
}

int connect_errno(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  int e = rc == 0 ? 0 : errno;
  ::close(fd);
  return e;
}

BackgroundLoad::BackgroundLoad(int port, std::set<std::string> expected_bodies,
                               std::chrono::milliseconds interval, int max_requests)
    : port_(port),
      expected_(std::move(expected_bodies)),
      interval_(interval),
      max_requests_(max_requests) {
  thread_ = std::thread([this] { run(); });
}

BackgroundLoad::~BackgroundLoad() {
  stop();
}

void BackgroundLoad::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

BackgroundLoad::Summary BackgroundLoad::summary() {
  std::lock_guard lk(mu_);
  return summary_;
}

void BackgroundLoad::run() {
  auto next = std::chrono::steady_clock::now();
  for (int i = 0; i < max_requests_ && !stop_; ++i) {
    HttpResult r = http_get(port_, "/", std::chrono::milliseconds(3000));
    bool ok = r.transport_ok && r.status == 200 && expected_.count(r.body) != 0;
    {
      std::lock_guard lk(mu_);
      ++summary_.sent;
      if (ok) {
        ++summary_.ok;
        ++summary_.by_pid[r.pid];
      } else if (summary_.failures.size() < 5) {
        summary_.failures.push_back(r.describe());
      }
    }
    next += interval_;
    std::this_thread::sleep_until(next);  // pacing of the load, not synchronisation
  }
}

}  // namespace zerodrop::walkthrough

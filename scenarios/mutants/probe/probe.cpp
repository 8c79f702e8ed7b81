// See probe.hpp.
#include "probe.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

namespace zerodrop::mutant::probe {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

int header_int(const std::string& head, const char* name) {
  const auto at = head.find(name);
  return at == std::string::npos ? -1 : std::atoi(head.c_str() + at + std::strlen(name));
}

// Reads one response from `fd`. `until_eof`: the server closes after it (Connection: close).
Reply read_response(int fd, int timeout_ms) {
  Reply r;
  std::string buf;
  const auto start = Clock::now();
  std::size_t need = std::string::npos;  // total bytes once the head is parsed
  for (;;) {
    if (need != std::string::npos && buf.size() >= need) break;
    const int left = timeout_ms - static_cast<int>(ms_since(start));
    pollfd p{fd, POLLIN, 0};
    const int n = left > 0 ? ::poll(&p, 1, left) : 0;
    if (n == 0) {
      r.outcome = Outcome::kTimeout;
      return r;
    }
    if (n < 0) continue;  // EINTR
    char chunk[8192];
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == ECONNRESET) {
      r.outcome = buf.empty() ? Outcome::kReset : Outcome::kTruncated;
      return r;
    }
    if (got <= 0) {
      r.outcome = buf.empty() ? Outcome::kEof : Outcome::kTruncated;
      return r;
    }
    buf.append(chunk, static_cast<std::size_t>(got));
    if (need == std::string::npos) {
      const auto end = buf.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      const std::string head = buf.substr(0, end);
      r.status = std::atoi(head.c_str() + 9);
      r.pid = header_int(head, "X-Pid: ");
      r.connection_close = head.find("Connection: close") != std::string::npos;
      const int length = header_int(head, "Content-Length: ");
      need = end + 4 + static_cast<std::size_t>(length < 0 ? 0 : length);
    }
  }
  r.outcome = r.status == 200 ? Outcome::kOk : Outcome::kBadStatus;
  return r;
}

bool send_request(int fd, const std::string& path, bool close) {
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                          (close ? "Connection: close\r\n" : "") + "\r\n";
  return ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
}

}  // namespace

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kRefused:
      return "refused";
    case Outcome::kReset:
      return "reset";
    case Outcome::kEof:
      return "eof";
    case Outcome::kTruncated:
      return "truncated";
    case Outcome::kBadStatus:
      return "bad_status";
    case Outcome::kTimeout:
      return "timeout";
    case Outcome::kOther:
      return "other";
  }
  return "?";
}

void sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

FixtureServer::FixtureServer(const std::vector<std::string>& argv) {
  // Generations re-parented when their parent exits become our children: we can reap them.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) std::perror("prctl(PR_SET_CHILD_SUBREAPER)");
  int out[2];
  if (::pipe2(out, O_CLOEXEC) < 0) {
    std::perror("pipe2");
    std::abort();
  }
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  leader_ = ::fork();
  if (leader_ == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(out[1], 1);
    const int devnull = ::open("/dev/null", O_WRONLY);
    if (std::getenv("MUTANT_PROBE_STDERR") == nullptr) ::dup2(devnull, 2);
    ::close_range(3, ~0U, 0);  // a clean fd table, so fd counts compare generations only
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::setpgid(leader_, leader_);  // also from here: no race with the child's own call
  ::close(out[1]);
  out_fd_ = out[0];

  // PR_SET_PDEATHSIG covers only the first generation (fork clears it), so later generations
  // would outlive a test killed by a timeout. A guardian process waits for EOF on a pipe whose
  // write end only we hold, then kills the whole group: it fires however this process ends.
  int guard[2];
  if (::pipe2(guard, O_CLOEXEC) < 0) {
    std::perror("pipe2");
    std::abort();
  }
  guardian_ = ::fork();
  if (guardian_ == 0) {
    ::dup2(guard[0], 0);
    ::close_range(1, ~0U, 0);
    char byte;
    while (::read(0, &byte, 1) != 0 && errno == EINTR) {
    }
    ::kill(-leader_, SIGKILL);
    ::_exit(0);
  }
  ::close(guard[0]);
  guard_fd_ = guard[1];
}

FixtureServer::~FixtureServer() {
  ::kill(-leader_, SIGKILL);  // every generation inherited the group
  ::close(guard_fd_);         // and the guardian exits
  ::waitpid(guardian_, nullptr, 0);
  ::waitpid(leader_, nullptr, 0);
  // Later generations are our children too (subreaper); the SIGKILL reaches them at once.
  sleep_ms(20);
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  ::close(out_fd_);
}

std::optional<Listening> FixtureServer::next_listening(int timeout_ms) {
  const auto start = Clock::now();
  for (;;) {
    const auto nl = buffered_.find('\n');
    if (nl != std::string::npos) {
      const std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      Listening l;
      if (std::sscanf(line.c_str(), "listening on %*[^:]:%d pid=%d generation=%d", &l.port, &l.pid,
                      &l.generation) == 3)
        return l;
      continue;
    }
    const int left = timeout_ms - static_cast<int>(ms_since(start));
    pollfd p{out_fd_, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, left) <= 0) return std::nullopt;
    char chunk[1024];
    const ssize_t n = ::read(out_fd_, chunk, sizeof chunk);
    if (n <= 0) return std::nullopt;
    buffered_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::optional<int> FixtureServer::wait_exit(pid_t pid, int timeout_ms) {
  const auto start = Clock::now();
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0) return -1;  // not our child (anymore)
    if (ms_since(start) > timeout_ms) return std::nullopt;
    sleep_ms(5);
  }
}

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    const int e = errno;
    ::close(fd);
    return -e;
  }
  return fd;
}

Reply request(int fd, const std::string& path, int timeout_ms) {
  const auto start = Clock::now();
  Reply r;
  if (!send_request(fd, path, false)) {
    r.outcome = errno == ECONNRESET || errno == EPIPE ? Outcome::kReset : Outcome::kOther;
    return r;
  }
  r = read_response(fd, timeout_ms);
  r.latency_ms = ms_since(start);
  return r;
}

Reply fetch(int port, const std::string& path, int timeout_ms) {
  const auto start = Clock::now();
  Reply r;
  const int fd = connect_to(port);
  if (fd < 0) {
    r.outcome = fd == -ECONNREFUSED ? Outcome::kRefused : Outcome::kOther;
    return r;
  }
  if (!send_request(fd, path, true)) {
    r.outcome = Outcome::kReset;
  } else {
    r = read_response(fd, timeout_ms);
  }
  ::close(fd);
  r.latency_ms = ms_since(start);
  return r;
}

std::vector<Reply> load(int port, const std::string& path, int rate, int duration_ms, int threads) {
  const int total = rate * duration_ms / 1000;
  std::vector<Reply> replies(static_cast<std::size_t>(total));
  std::atomic<int> next{0};
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i; (i = next.fetch_add(1)) < total;) {
        const auto due = start + std::chrono::microseconds(1'000'000LL * i / rate);
        std::this_thread::sleep_until(due);
        Reply r = fetch(port, path, 3000);
        r.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - due).count();
        replies[static_cast<std::size_t>(i)] = r;
      }
    });
  }
  for (auto& t : pool)
    t.join();
  return replies;
}

int fd_count(pid_t pid) {
  DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (const dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

}  // namespace zerodrop::mutant::probe

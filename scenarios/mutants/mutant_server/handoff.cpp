// Sockets, readiness and generations across exec. See handoff.hpp.
#include "handoff.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

extern char** environ;

namespace zerodrop::mutant {
namespace {

void die(const SharedState& st, const char* syscall) {
  log_event(st, "fatal",
            std::string("syscall=") + syscall + " error=\"" + std::strerror(errno) + "\"");
  std::_Exit(1);
}

std::string self_exe() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  return std::string(buf, static_cast<std::size_t>(n));
}

// The environment for the next generation, without the variables that describe this one.
std::vector<std::string> child_env(const SharedState& st, bool with_listener) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view kv(*e);
    if (kv.starts_with("LISTEN_FDS=") || kv.starts_with("LISTEN_PID=") ||
        kv.starts_with("LISTEN_FDNAMES=") || kv.starts_with("ZERODROP_GENERATION=") ||
        kv.starts_with("ZERODROP_READY_FD="))
      continue;
    env.emplace_back(kv);
  }
  env.push_back("ZERODROP_GENERATION=" + std::to_string(st.generation + 1));
  if (with_listener) env.emplace_back("LISTEN_FDS=1");
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

void log_event(const SharedState& st, const std::string& event, const std::string& extra) {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  tm utc{};
  ::gmtime_r(&ts.tv_sec, &utc);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &utc);
  std::fprintf(stderr, "ts=%s.%06ldZ pid=%d gen=%d event=%s%s%s\n", when, ts.tv_nsec / 1000,
               static_cast<int>(st.pid), st.generation, event.c_str(), extra.empty() ? "" : " ",
               extra.c_str());
}

int open_listener(const SharedState& st, bool reuseport, int& port) {
  const char* fds = std::getenv("LISTEN_FDS");
  const char* for_pid = std::getenv("LISTEN_PID");
  int fd = -1;
  if (fds != nullptr && std::atoi(fds) >= 1 &&
      (for_pid == nullptr || std::atoi(for_pid) == static_cast<int>(st.pid))) {
    fd = 3;
    if (::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) die(st, "fcntl(F_SETFD)");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDNAMES");
  } else {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die(st, "socket");
    const int on = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
      die(st, "setsockopt(SO_REUSEADDR)");
    if (reuseport && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) < 0)
      die(st, "setsockopt(SO_REUSEPORT)");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(st.options->port));
    if (::inet_pton(AF_INET, st.options->host.c_str(), &addr.sin_addr) != 1) {
      log_event(st, "fatal", "reason=\"bad --host " + st.options->host + "\"");
      std::_Exit(2);
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) die(st, "bind");
    if (::listen(fd, SOMAXCONN) < 0) die(st, "listen");
  }
  // Non-blocking: during a restart two generations accept from one queue, and a blocking
  // accept() would hang in the one that lost the race.
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die(st, "fcntl(O_NONBLOCK)");
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) < 0) die(st, "getsockname");
  port = ntohs(bound.sin_port);
  return fd;
}

void notify(const std::string& message) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == '\0') return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::size_t len = std::strlen(path);
  if (len >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, path, len);
  if (path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::perror("socket(AF_UNIX)");
    return;
  }
  const auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  if (::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
               addr_len) < 0)
    std::perror("sendto(NOTIFY_SOCKET)");
  ::close(fd);
}

void announce_ready(SharedState& st, int port) {
  if (const char* ready_fd = std::getenv("ZERODROP_READY_FD"); ready_fd != nullptr) {
    // Tell the parent, then wait (at most 1 s) for its answer: it has stopped accepting. Only
    // then is this generation the one that serves new connections.
    const int fd = std::atoi(ready_fd);
    if (::write(fd, "1", 1) != 1) std::perror("write(ZERODROP_READY_FD)");
    pollfd p{fd, POLLIN, 0};
    char answer;
    if (::poll(&p, 1, 1000) == 1 && ::read(fd, &answer, 1) < 0)
      std::perror("read(ZERODROP_READY_FD)");
    ::close(fd);
    ::unsetenv("ZERODROP_READY_FD");
  }
  st.ready_ms = now_ms();
  std::printf("listening on %s:%d pid=%d generation=%d\n", st.options->host.c_str(), port,
              static_cast<int>(st.pid), st.generation);
  std::fflush(stdout);
  notify("MAINPID=" + std::to_string(st.pid) + "\nREADY=1");
  if (!st.options->pid_file.empty()) {
    const std::string tmp = st.options->pid_file + ".tmp";
    if (std::FILE* f = std::fopen(tmp.c_str(), "we"); f != nullptr) {
      std::fprintf(f, "%d\n", static_cast<int>(st.pid));
      std::fclose(f);
      if (std::rename(tmp.c_str(), st.options->pid_file.c_str()) < 0) std::perror("rename");
    } else {
      std::perror("fopen(pid file)");
    }
  }
  log_event(st, "ready", "port=" + std::to_string(port));
}

pid_t spawn_next(const SharedState& st, int listener, int port, int ready_write) {
  // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
  std::string exe = self_exe();
  std::vector<std::string> args = st.options->argv;
  if (listener < 0) {  // the child binds the port itself
    args.emplace_back("--port");
    args.push_back(std::to_string(port));
  }
  std::vector<std::string> env = child_env(st, listener >= 0);
  env.emplace_back("ZERODROP_READY_FD=4");
  // LISTEN_PID must name the child; its digits are written in after fork.
  std::string listen_pid = "LISTEN_PID=0000000000";
  if (listener >= 0) env.push_back(listen_pid);
  std::vector<char*> argv = c_strings(args);
  std::vector<char*> envp = c_strings(env);
  char* pid_slot = listener >= 0 ? envp[env.size() - 1] + std::strlen("LISTEN_PID=") : nullptr;

  const pid_t child = ::fork();
  if (child < 0) {
    log_event(st, "restart_failed",
              std::string("syscall=fork error=\"") + std::strerror(errno) + "\"");
    return -1;
  }
  if (child > 0) return child;
  // Child. Copies above 10 first, so the dup2s onto 3 and 4 cannot clobber a source fd.
  const int ready_tmp = ::fcntl(ready_write, F_DUPFD_CLOEXEC, 10);
  const int listen_tmp = listener >= 0 ? ::fcntl(listener, F_DUPFD_CLOEXEC, 10) : -1;
  if (ready_tmp < 0 || (listener >= 0 && listen_tmp < 0)) ::_exit(127);
  if (listener >= 0 && ::dup2(listen_tmp, 3) < 0) ::_exit(127);
  if (::dup2(ready_tmp, 4) < 0) ::_exit(127);
  if (pid_slot != nullptr) {
    unsigned v = static_cast<unsigned>(::getpid());
    char digits[16];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    for (int i = 0; i < n; ++i)
      pid_slot[i] = digits[n - 1 - i];
    pid_slot[n] = '\0';
  }
  ::execve(exe.c_str(), argv.data(), envp.data());
  ::_exit(127);
}

void exec_in_place(const SharedState& st, int listener) {
  std::string exe = self_exe();
  std::vector<std::string> args = st.options->argv;
  std::vector<std::string> env = child_env(st, true);
  env.push_back("LISTEN_PID=" + std::to_string(st.pid));  // same process: same pid
  std::vector<char*> argv = c_strings(args);
  std::vector<char*> envp = c_strings(env);
  if (listener != 3 && ::dup2(listener, 3) < 0) {
    log_event(st, "restart_failed", "syscall=dup2");
    return;
  }
  if (::fcntl(3, F_SETFD, 0) < 0) {
    log_event(st, "restart_failed", "syscall=fcntl(F_SETFD)");
    return;
  }
  std::fflush(stdout);
  ::execve(exe.c_str(), argv.data(), envp.data());
  log_event(st, "restart_failed",
            std::string("syscall=execve error=\"") + std::strerror(errno) + "\"");
}

}  // namespace zerodrop::mutant

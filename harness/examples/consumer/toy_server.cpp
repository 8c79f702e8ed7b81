// toy-server — the consumer example's own server: a single-threaded poll() HTTP/1.1 server
// with graceful shutdown and fork-restart, speaking the part of zerodrop's contract it needs.
//
// Contract:
// - Listener: fd 3 when LISTEN_FDS=1 and LISTEN_PID is this process (systemd socket
//   activation, and how a generation hands its listener to the next); else it binds
//   127.0.0.1:--port (0 = ephemeral).
// - Once accepting, it prints `listening on 127.0.0.1:PORT pid=PID generation=N` and sends
//   `MAINPID=<pid>` + `READY=1` to $NOTIFY_SOCKET if set.
// - Every response: `Connection: close`, `X-Pid`, `X-Generation`. GET /slow?ms=N answers after N
//   ms (a deadline in the loop, not a sleep), /healthz "ok", anything else --message.
// - SIGTERM/SIGINT: accept what is already queued, close the listener, answer every request,
//   exit 0 (1 past --drain-ms).
// - SIGHUP: fork + exec its binary (the path on disk at start) with the same arguments, the
//   listener on fd 3, a socket pair on fd 4 (TOY_HANDOVER_FD). The child writes 'R' once it can
//   accept; the parent closes its listener, answers 'G', then drains and exits 0; only after
//   'G' does the child announce itself, so nobody told of the new generation can still reach
//   the old one's accept().
//   A child that dies or is not ready within 5 s is killed and reaped; the old one serves on.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

void log_errno(const char* syscall) {
  std::fprintf(stderr, "toy-server[%d]: %s: %s\n", getpid(), syscall, std::strerror(errno));
}

long long now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1'000'000;
}

struct Conn {
  int fd = -1;
  std::string in, out;
  std::size_t sent = 0;
  long long due_ms = -1;  // a /slow request answers at this time
  bool responding = false;
};

struct Server {
  std::string message = "hello toy!";
  long long drain_ms = 5000;
  int generation = 1;
  int listener = -1;
  int sigfd = -1;
  std::vector<Conn> conns;
  // A restart in progress: the child and our end of its socket pair.
  pid_t child = -1;
  int handover = -1;
  long long handover_deadline = 0;
  long long drain_deadline = -1;  // set once draining: the listener is closed
  std::string
      exe;  // the binary's path on disk, resolved at start: a restart runs what is there now
  std::vector<char*> argv;
};

void notify(const std::string& msg) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || (path[0] != '/' && path[0] != '@')) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::size_t len = std::strlen(path);
  if (len >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, path, len);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return log_errno("socket(NOTIFY_SOCKET)");
  if (sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&addr),
             static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len)) < 0)
    log_errno("sendto(NOTIFY_SOCKET)");
  close(fd);
}

void announce(const Server& s) {
  sockaddr_in a{};
  socklen_t alen = sizeof a;
  if (getsockname(s.listener, reinterpret_cast<sockaddr*>(&a), &alen) < 0) log_errno("getsockname");
  std::printf("listening on 127.0.0.1:%d pid=%d generation=%d\n", ntohs(a.sin_port), getpid(),
              s.generation);
  std::fflush(stdout);
  notify("MAINPID=" + std::to_string(getpid()) + "\nREADY=1");
}

int open_listener(int port) {
  const char* fds = std::getenv("LISTEN_FDS");
  const char* pid = std::getenv("LISTEN_PID");
  if (fds != nullptr && pid != nullptr && std::atoi(fds) == 1 && std::atol(pid) == getpid()) {
    fcntl(3, F_SETFD, FD_CLOEXEC);  // our children get it by dup2, not by accident
    return 3;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return log_errno("socket"), -1;
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) log_errno("setsockopt");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) return log_errno("bind"), -1;
  if (listen(fd, 1024) < 0) return log_errno("listen"), -1;
  return fd;
}

// The listener's open file description is shared with the other generation: both use it
// non-blocking, so neither can be left blocked in accept() by a connection the other took.
void accept_all(Server& s) {
  for (;;) {
    int fd = accept4(s.listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) log_errno("accept4");
      return;
    }
    Conn c;
    c.fd = fd;
    s.conns.push_back(std::move(c));
  }
}

void respond(Conn& c, int generation, const std::string& body) {
  c.out = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\nX-Pid: " + std::to_string(getpid()) +
          "\r\nX-Generation: " + std::to_string(generation) + "\r\nConnection: close\r\n\r\n" +
          body;
  c.responding = true;
}

// Reads what is there; once the head is complete, routes it. Returns false to close.
bool on_readable(Server& s, Conn& c) {
  char buf[4096];
  bool eof = false;
  for (;;) {
    ssize_t n = read(c.fd, buf, sizeof buf);
    if (n > 0) {
      c.in.append(buf, static_cast<std::size_t>(n));
      if (c.in.size() > 16384) return false;
      continue;
    }
    if (n == 0) {
      eof = true;  // a client may half-close after its request: answer it still
      break;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    if (errno == EINTR) continue;
    log_errno("read");
    return false;
  }
  if (c.in.find("\r\n\r\n") == std::string::npos) return !eof;
  const std::size_t sp1 = c.in.find(' '), sp2 = c.in.find(' ', sp1 + 1);
  const std::string target = c.in.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.rfind("/slow", 0) == 0) {
    const std::size_t ms = target.find("ms=");
    c.due_ms = now_ms() + (ms == std::string::npos ? 0 : std::atoll(target.c_str() + ms + 3));
  } else {
    respond(c, s.generation, target == "/healthz" ? "ok" : s.message);
  }
  return true;
}

// Writes what it can. Returns false once done (or broken): the connection is closed.
bool on_writable(Conn& c) {
  while (c.sent < c.out.size()) {
    ssize_t n = write(c.fd, c.out.data() + c.sent, c.out.size() - c.sent);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      if (errno == EINTR) continue;
      log_errno("write");
      return false;
    }
    c.sent += static_cast<std::size_t>(n);
  }
  return false;
}

void start_restart(Server& s) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return log_errno("socketpair");
  // Moved out of the way first: fd 3 and 4 are about to be overwritten in the child.
  int lfd = fcntl(s.listener, F_DUPFD_CLOEXEC, 10), hfd = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
  if (lfd < 0 || hfd < 0) {
    log_errno("fcntl(F_DUPFD_CLOEXEC)");
    for (int fd : {lfd, hfd, sv[0], sv[1]})
      if (fd >= 0) close(fd);
    return;
  }
  const std::string gen = std::to_string(s.generation + 1);
  pid_t pid = fork();
  if (pid == 0) {  // single-threaded: anything goes between fork and exec
    dup2(lfd, 3);  // the copies lose FD_CLOEXEC; lfd, hfd (>= 10) keep it
    dup2(hfd, 4);
    setenv("LISTEN_FDS", "1", 1);
    setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
    setenv("TOY_GENERATION", gen.c_str(), 1);
    setenv("TOY_HANDOVER_FD", "4", 1);
    execv(s.exe.c_str(), s.argv.data());
    log_errno("execv");
    _exit(127);
  }
  if (pid < 0) log_errno("fork");
  close(lfd);
  close(hfd);
  close(sv[1]);
  if (pid < 0) {
    close(sv[0]);
    return;
  }
  s.child = pid;
  s.handover = sv[0];
  s.handover_deadline = now_ms() + 5000;
  std::fprintf(stderr, "toy-server[%d]: restart: child %d\n", getpid(), pid);
}

void abort_restart(Server& s, const char* why) {
  std::fprintf(stderr, "toy-server[%d]: restart failed: %s\n", getpid(), why);
  if (kill(s.child, SIGKILL) < 0 && errno != ESRCH) log_errno("kill");
  // ECHILD: the SIGCHLD handler reaped it already.
  if (waitpid(s.child, nullptr, 0) < 0 && errno != ECHILD) log_errno("waitpid");
  close(s.handover);
  s.handover = -1;
  s.child = -1;
}

void start_drain(Server& s) {
  if (s.listener >= 0) close(s.listener);
  s.listener = -1;
  s.drain_deadline = now_ms() + s.drain_ms;
}

// The child is accepting: stop accepting, let it announce itself, drain.
void on_handover(Server& s) {
  char b = 0;
  ssize_t n = read(s.handover, &b, 1);
  if (n < 0 && errno == EINTR) return;
  if (n != 1 || b != 'R') return abort_restart(s, n < 0 ? std::strerror(errno) : "child exited");
  start_drain(s);
  if (write(s.handover, "G", 1) != 1) log_errno("write(handover)");
  close(s.handover);
  s.handover = -1;
  std::fprintf(stderr, "toy-server[%d]: handed over to %d, draining\n", getpid(), s.child);
}

// A new generation: tell the parent we accept, wait (1 s at most) until it no longer does.
void handshake_with_parent() {
  const char* env = std::getenv("TOY_HANDOVER_FD");
  if (env == nullptr) return;
  const int fd = std::atoi(env);
  unsetenv("TOY_HANDOVER_FD");
  if (write(fd, "R", 1) != 1) log_errno("write(handover)");
  pollfd p{fd, POLLIN, 0};
  char b = 0;
  if (poll(&p, 1, 1000) != 1 || read(fd, &b, 1) != 1 || b != 'G')
    std::fprintf(stderr, "toy-server[%d]: parent did not answer, announcing anyway\n", getpid());
  close(fd);
}

// Signals arrive on a signalfd, read in the loop; the mask is inherited by the next generation,
// so none of them can kill it with the default action before its own signalfd exists.
bool on_signal(Server& s) {
  signalfd_siginfo si{};
  if (read(s.sigfd, &si, sizeof si) != sizeof si) return log_errno("read(signalfd)"), true;
  if (si.ssi_signo == SIGCHLD) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  } else if (si.ssi_signo == SIGHUP) {
    if (s.child < 0 && s.drain_deadline < 0) start_restart(s);
  } else if (s.drain_deadline < 0) {  // SIGTERM, SIGINT
    if (s.child >= 0) abort_restart(s, "shutting down");
    notify("STOPPING=1");
    accept_all(s);  // queued connections were counted as connected by their clients
    start_drain(s);
  }
  return true;
}

int run(Server& s) {
  for (;;) {
    if (s.drain_deadline >= 0 && s.conns.empty()) return 0;
    const long long now = now_ms();
    if (s.drain_deadline >= 0 && now >= s.drain_deadline) return 1;
    if (s.handover >= 0 && now >= s.handover_deadline) abort_restart(s, "not ready in 5 s");
    long long wake = s.drain_deadline >= 0 ? s.drain_deadline : now + 60'000;
    if (s.handover >= 0 && s.handover_deadline < wake) wake = s.handover_deadline;
    std::vector<pollfd> fds{{s.sigfd, POLLIN, 0}};
    if (s.listener >= 0) fds.push_back({s.listener, POLLIN, 0});
    if (s.handover >= 0) fds.push_back({s.handover, POLLIN, 0});
    const std::size_t first_conn = fds.size();
    for (auto& c : s.conns) {
      const bool waiting = c.due_ms >= 0 && !c.responding;  // a /slow request: nothing to read
      if (waiting && c.due_ms < wake) wake = c.due_ms;
      fds.push_back({c.fd, static_cast<short>(c.responding ? POLLOUT : waiting ? 0 : POLLIN), 0});
    }
    const int timeout = static_cast<int>(wake > now ? wake - now : 0);
    if (poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
      log_errno("poll");
      return 1;
    }
    const long long after = now_ms();
    std::vector<Conn> kept;
    for (std::size_t i = 0; i < s.conns.size(); ++i) {
      Conn& c = s.conns[i];
      const short ev = fds[first_conn + i].revents;
      bool open = true;
      if (c.responding) {
        if (ev != 0) open = on_writable(c);
      } else if (c.due_ms >= 0) {
        if (ev & (POLLERR | POLLHUP)) {
          open = false;  // the client is gone
        } else if (after >= c.due_ms) {
          respond(c, s.generation, s.message);
          open = on_writable(c);
        }
      } else if (ev != 0) {
        open = on_readable(s, c);
        if (open && c.responding) open = on_writable(c);
      }
      if (open)
        kept.push_back(std::move(c));
      else
        close(c.fd);
    }
    s.conns = std::move(kept);
    for (std::size_t i = 1; i < first_conn; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == s.listener)
        accept_all(s);
      else if (fds[i].fd == s.handover)
        on_handover(s);
    }
    if (fds[0].revents & POLLIN) on_signal(s);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Server s;
  s.argv.assign(argv, argv + argc);
  s.argv.push_back(nullptr);
  int port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--port")
      port = std::atoi(argv[i + 1]);
    else if (flag == "--message")
      s.message = argv[i + 1];
    else if (flag == "--drain-ms")
      s.drain_ms = std::atoll(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: toy-server [--port N] [--message TEXT] [--drain-ms MS]\n");
      return 2;
    }
  }
  if (const char* g = std::getenv("TOY_GENERATION")) s.generation = std::atoi(g);
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n < 0) return log_errno("readlink(/proc/self/exe)"), 1;
  s.exe.assign(exe, static_cast<std::size_t>(n));

  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGHUP, SIGTERM, SIGINT, SIGCHLD})
    sigaddset(&set, sig);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) < 0) return log_errno("sigprocmask"), 1;
  s.sigfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (s.sigfd < 0) return log_errno("signalfd"), 1;
  signal(SIGPIPE, SIG_IGN);

  s.listener = open_listener(port);
  if (s.listener < 0) return 1;
  const int fl = fcntl(s.listener, F_GETFL);
  if (fl < 0 || fcntl(s.listener, F_SETFL, fl | O_NONBLOCK) < 0) log_errno("fcntl(O_NONBLOCK)");
  handshake_with_parent();
  announce(s);
  return run(s);
}

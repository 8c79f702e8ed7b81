// A stand-in server for the nemesis's targeting tests (nemesis_test.cpp): a main process with one
// worker child, ready at once (READY=1 on NOTIFY_SOCKET). On SIGUSR2 it forks a successor, as
// nginx's new master after USR2: the successor announces itself (MAINPID=, READY=1) while the old
// main stays up. Every other signal keeps its default action: TERM and QUIT end a process, WINCH
// is ignored. Nothing is reaped: a dead worker stays a zombie, which the tests may look at.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

void notify(const std::string& msg) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr) return;
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::perror("nemesis_fixture: socket");
    return;
  }
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path, sizeof a.sun_path - 1);
  if (sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
    std::perror("nemesis_fixture: sendto");
  close(fd);
}

[[noreturn]] void idle(const sigset_t& blocked) {
  // USR2 was blocked for sigwait() in the main process: a child takes it the default way.
  if (sigprocmask(SIG_UNBLOCK, &blocked, nullptr) < 0) std::perror("nemesis_fixture: sigprocmask");
  for (;;)
    pause();
}

}  // namespace

int main() {
  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  if (sigprocmask(SIG_BLOCK, &usr2, nullptr) < 0) {
    std::perror("nemesis_fixture: sigprocmask");
    return 1;
  }
  const pid_t worker = fork();
  if (worker < 0) {
    std::perror("nemesis_fixture: fork");
    return 1;
  }
  if (worker == 0) idle(usr2);
  notify("READY=1");  // after the fork: once ready, the worker exists
  for (;;) {
    int sig = 0;
    if (sigwait(&usr2, &sig) != 0) continue;
    const pid_t successor = fork();
    if (successor < 0) {
      std::perror("nemesis_fixture: fork");
      continue;
    }
    if (successor == 0) {
      notify("MAINPID=" + std::to_string(getpid()) + "\nREADY=1");
      idle(usr2);
    }
  }
}

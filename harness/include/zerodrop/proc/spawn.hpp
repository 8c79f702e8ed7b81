// proc/spawn — the one way the harness, its walkthrough, the server's tests and the benchmarks
// start a process (the process layer: harness/README.md, "Process layer").
//
// Contract: spawn() starts spec.argv (never through a shell; spec.exe, default argv[0], is looked
// up in PATH when it holds no '/', as execvpe does) with boost::process::child, whose
// extend::on_exec_setup handler runs between fork and exec: a new process group (setpgid, also
// done by the parent so that a kill(-pid) right after spawn() cannot miss it),
// PR_SET_PDEATHSIG(SIGKILL) (exit 127 at once if the parent already died), an empty signal mask
// and default dispositions (of every signal), stdin/stdout/stderr as asked, the listener as fd 3
// with LISTEN_FDS=1 and LISTEN_PID=<the child's own pid> written into a slot of an environment
// built before fork (nothing is allocated after fork; LISTEN_* entries already in it are dropped),
// every other inherited descriptor marked CLOEXEC (unless close_other_fds is false), and
// RLIMIT_NOFILE back to what this process started with (raise_fd_limit()). An exec failure comes
// back through Boost's CLOEXEC error pipe as a SpawnError carrying errno and the pid (that child
// exits 1, Boost's EXIT_FAILURE, at once: the caller's to reap like any other). The child is
// detach()ed at once: an attached boost::process::child SIGKILLs its process on destruction and
// its wait() would reap behind the caller's back; reaping belongs to the caller (reap.hpp). Only
// Boost's synchronous mode: its async (asio) mode installs a SIGCHLD handler. Spawn from a thread
// that lives as long as the child should: PR_SET_PDEATHSIG fires when the forking *thread* exits.
#pragma once

#include <sys/types.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace zerodrop::proc {

struct Spec {
  std::vector<std::string> argv;
  std::string exe;               // the file executed; default argv[0]
  std::vector<std::string> env;  // the whole environment ("NAME=value"); see environment()
  int listen_fd = -1;            // >= 0: becomes fd 3, with LISTEN_FDS=1 / LISTEN_PID=<pid>
  bool listen_fdnames = false;   // also LISTEN_FDNAMES=zerodrop
  int stdin_fd = -1;             // >= 0: dup2'd onto 0, 1, 2; -1: inherited
  int stdout_fd = -1;            //   (null_stdio puts /dev/null where no fd is given)
  int stderr_fd = -1;
  bool null_stdio = false;
  bool pipe_stdout = false;  // a pipe each, our read end returned (O_CLOEXEC)
  bool pipe_stderr = false;
  std::string cwd;              // chdir before exec ("" = ours); failure: exit 126
  bool ignore_sigchld = false;  // SIGCHLD ignored (survives exec): a hostile-parent test
  bool die_with_parent = true;  // PR_SET_PDEATHSIG(SIGKILL); false only for the guardian
  bool close_other_fds = true;  // false: inheritable fds of ours stay open (tests passing fds)
};

struct Child {
  pid_t pid = -1;  // also its process group id
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// exec failed (code() is its errno) or fork/pipe did; pid is the child's (-1 if none started).
class SpawnError : public std::system_error {
 public:
  SpawnError(std::error_code ec, const std::string& what, pid_t child)
      : std::system_error(ec, what), pid(child) {}
  pid_t pid;
};

Child spawn(const Spec& spec);

// This process's environment without the entries whose name starts with one of `drop` (e.g.
// "LISTEN_", "NOTIFY_SOCKET="), then `extra` (replacing entries of the same name).
std::vector<std::string> environment(std::initializer_list<std::string_view> drop,
                                     const std::vector<std::string>& extra = {});

// Raises this process's RLIMIT_NOFILE soft limit to its hard limit (a load of many connections
// must not fail on the harness's side first) and returns the limit now in force; spawned
// processes get the limit this process started with.
long raise_fd_limit();

}  // namespace zerodrop::proc

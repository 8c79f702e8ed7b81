// See zerodrop/proc/spawn.hpp. Everything the child needs (argv, envp, the LISTEN_PID slot, the
// resolved path, /dev/null) is built before fork: after it, only async-signal-safe calls.
#include "zerodrop/proc/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/process/child.hpp>
#include <boost/process/error.hpp>
#include <boost/process/extend.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace zerodrop::proc {

namespace {

// Whether the environment entry kv starts with one of the prefixes (a name with its '=', or
// a name's beginning such as "LISTEN_").
bool named(std::string_view kv, std::initializer_list<std::string_view> prefixes) {
  for (auto p : prefixes)
    if (kv.starts_with(p)) return true;
  return false;
}

rlimit g_original_nofile{};  // before raise_fd_limit(); restored in every spawned child

void put_uint(char* p, long v) {  // async-signal-safe decimal, for the child after fork
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0);
  while (n > 0)
    *p++ = tmp[--n];
  *p = '\0';
}

// execvpe's lookup, done before fork: a name without '/' is searched in PATH only.
std::string resolve(const std::string& exe) {
  if (exe.find('/') != std::string::npos) return exe;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    auto colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + exe;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return exe;  // execve then fails with ENOENT, reported as such
}

void close_pair(int p[2]) {
  for (int i = 0; i < 2; ++i)
    if (p[i] >= 0) ::close(p[i]);
  p[0] = p[1] = -1;
}

// The state the handler reads in the child: plain fds and pointers, prepared by spawn().
struct Plan {
  const char* exe = nullptr;
  char* const* argv = nullptr;
  char** envp = nullptr;
  char* listen_pid_slot = nullptr;
  const char* cwd = nullptr;
  pid_t parent = 0;
  int fd[3] = {-1, -1, -1};  // onto 0, 1, 2
  int listen_fd = -1;
  bool ignore_sigchld = false;
  bool die_with_parent = true;
  bool close_other_fds = true;
  pid_t* pid_out = nullptr;  // the executor's pid, for the error report
};

struct Setup : boost::process::extend::handler {
  Plan* plan;
  explicit Setup(Plan* p) : plan(p) {}

  template <class Executor>
  void on_setup(Executor& e) const {
    e.exe = plan->exe;
    e.cmd_line = plan->argv;
    e.env = plan->envp;
  }

  template <class Executor>
  void on_error(Executor& e, const std::error_code&) const {
    *plan->pid_out = e.pid;
  }

  template <class Executor>
  void on_exec_setup(Executor&) const {
    const Plan& p = *plan;
    ::setpgid(0, 0);
    if (p.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != p.parent) ::_exit(127);  // the parent died between fork and prctl
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Every signal, not a list: an ignored disposition survives exec (a harness started under
    // nohup, or as a shell's background job, ignores SIGHUP or SIGINT; SIGALRM, SIGTTOU, ...).
    // SIGKILL, SIGSTOP and glibc's own two refuse with EINVAL: nothing to undo there.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; ++s)
      ::sigaction(s, &dfl, nullptr);
    if (p.ignore_sigchld) ::signal(SIGCHLD, SIG_IGN);
    // The listener may sit on 0-3 itself: move it above before the stdio dup2s.
    int listener = p.listen_fd >= 0 ? ::fcntl(p.listen_fd, F_DUPFD_CLOEXEC, 10) : -1;
    if (p.listen_fd >= 0 && listener < 0) ::_exit(127);  // a server without its listener
    for (int i = 0; i < 3; ++i)
      if (p.fd[i] >= 0) ::dup2(p.fd[i], i);  // dup2 clears FD_CLOEXEC on the new fd
    if (listener >= 0) {
      ::dup2(listener, 3);
      put_uint(p.listen_pid_slot, ::getpid());
    }
    // Nothing else this process holds reaches the child (as systemd passes only what it
    // names); CLOEXEC, not close, so that Boost's exec-error pipe still works.
    if (p.close_other_fds) ::close_range(p.listen_fd >= 0 ? 4 : 3, ~0U, CLOSE_RANGE_CLOEXEC);
    // The child runs with the descriptor limit this process was started with, not the one
    // raised for the harness's own load.
    if (g_original_nofile.rlim_cur != 0) ::setrlimit(RLIMIT_NOFILE, &g_original_nofile);
    if (p.cwd != nullptr && ::chdir(p.cwd) < 0) ::_exit(126);
  }
};

}  // namespace

std::vector<std::string> environment(std::initializer_list<std::string_view> drop,
                                     const std::vector<std::string>& extra) {
  auto name_of = [](std::string_view kv) { return kv.substr(0, kv.find('=')); };
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    bool keep = !named(kv, drop);
    for (const auto& x : extra)
      if (name_of(x) == name_of(kv)) keep = false;
    if (keep) env.emplace_back(kv);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

long raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) < 0) {
    std::fprintf(stderr, "zerodrop: getrlimit(RLIMIT_NOFILE): %s\n", std::strerror(errno));
    return -1;
  }
  if (g_original_nofile.rlim_cur == 0) g_original_nofile = r;
  if (r.rlim_cur < r.rlim_max) {
    rlimit raised = r;
    raised.rlim_cur = r.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) < 0) {
      std::fprintf(stderr, "zerodrop: setrlimit(RLIMIT_NOFILE): %s\n", std::strerror(errno));
      return static_cast<long>(r.rlim_cur);
    }
    return static_cast<long>(raised.rlim_cur);
  }
  return static_cast<long>(r.rlim_cur);
}

Child spawn(const Spec& spec) {
  if (spec.argv.empty()) throw std::invalid_argument("spawn: empty argv");
  std::vector<std::string> args = spec.argv;
  std::vector<std::string> env = spec.env.empty() ? environment({}) : spec.env;
  std::size_t slot = 0;
  if (spec.listen_fd >= 0) {
    // Entries already there (this process socket-activated, or the caller's env) would come
    // first, and getenv() returns the first of duplicates: they must not shadow the child's own.
    std::erase_if(env, [](const std::string& kv) {
      return named(kv, {"LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES="});
    });
    env.emplace_back("LISTEN_FDS=1");
    if (spec.listen_fdnames) env.emplace_back("LISTEN_FDNAMES=zerodrop");
    slot = env.size();
    env.push_back("LISTEN_PID=" + std::string(24, ' '));
  }
  std::vector<char*> argv, envp;
  for (auto& s : args)
    argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env)
    envp.push_back(s.data());
  envp.push_back(nullptr);
  const std::string exe = resolve(spec.exe.empty() ? spec.argv[0] : spec.exe);

  int out[2] = {-1, -1}, err[2] = {-1, -1};
  int devnull = -1;
  auto cleanup = [&] {
    close_pair(out);
    close_pair(err);
    if (devnull >= 0) ::close(devnull);
  };
  if ((spec.pipe_stdout && ::pipe2(out, O_CLOEXEC) < 0) ||
      (spec.pipe_stderr && ::pipe2(err, O_CLOEXEC) < 0)) {
    const int e = errno;
    cleanup();
    throw SpawnError(std::error_code(e, std::generic_category()), "pipe2", -1);
  }
  if (spec.null_stdio && (devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
    const int e = errno;
    cleanup();
    throw SpawnError(std::error_code(e, std::generic_category()), "open(/dev/null)", -1);
  }
  Plan plan;
  pid_t failed_pid = -1;
  plan.exe = exe.c_str();
  plan.argv = argv.data();
  plan.envp = envp.data();
  plan.listen_pid_slot = slot != 0 ? env[slot].data() + 11 : nullptr;
  plan.cwd = spec.cwd.empty() ? nullptr : spec.cwd.c_str();
  plan.parent = ::getpid();
  plan.fd[0] = spec.stdin_fd >= 0 ? spec.stdin_fd : devnull;
  plan.fd[1] = out[1] >= 0 ? out[1] : spec.stdout_fd >= 0 ? spec.stdout_fd : devnull;
  plan.fd[2] = err[1] >= 0 ? err[1] : spec.stderr_fd >= 0 ? spec.stderr_fd : devnull;
  plan.listen_fd = spec.listen_fd;
  plan.ignore_sigchld = spec.ignore_sigchld;
  plan.die_with_parent = spec.die_with_parent;
  plan.close_other_fds = spec.close_other_fds;
  plan.pid_out = &failed_pid;

  std::error_code ec;
  boost::process::child c(Setup(&plan), boost::process::error(ec));
  const pid_t pid = c.valid() ? c.id() : failed_pid;
  c.detach();  // never SIGKILLed by ~child, never reaped by it
  // Both sides set the group, so a signal to -pid right after spawn() cannot miss it.
  if (pid > 0) ::setpgid(pid, pid);
  for (int* w : {&out[1], &err[1], &devnull})
    if (*w >= 0) {
      ::close(*w);
      *w = -1;
    }
  if (ec) {
    cleanup();
    throw SpawnError(ec, "cannot execute " + exe, pid);
  }
  return Child{pid, out[0], err[0]};
}

}  // namespace zerodrop::proc

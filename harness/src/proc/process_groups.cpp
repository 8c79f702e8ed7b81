// See child_process.hpp.
#include "child_process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <system_error>
#include <thread>

extern char** environ;

namespace zerodrop::walkthrough {
namespace {

std::mutex g_groups_mu;
std::set<pid_t> g_groups;  // live process groups we spawned

void close_if_open(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  auto name_of = [](std::string_view kv) { return kv.substr(0, kv.find('=')); };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    bool overridden = false;
    for (const auto& x : extra)
      if (name_of(x) == name_of(kv)) overridden = true;
    if (!overridden) env.emplace_back(kv);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Runs in the forked child: async-signal-safe calls only, then exec.
[[noreturn]] void exec_child(pid_t parent, char* const* argv, char* const* envp, int devnull,
                             int out_w, int err_w, int errpipe_w) {
  ::setpgid(0, 0);
  // Die with the walkthrough. The parent may already have died between fork and prctl:
  // then we are re-parented and must not run at all.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || ::getppid() != parent) ::_exit(126);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);  // our SIGINT/SIGTERM guard blocks them
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD})
    ::sigaction(s, &dfl, nullptr);
  ::dup2(devnull, 0);
  ::dup2(out_w >= 0 ? out_w : devnull, 1);
  ::dup2(err_w >= 0 ? err_w : devnull, 2);
  ::execve(argv[0], argv, envp);
  int e = errno;
  ssize_t ignored = ::write(errpipe_w, &e, sizeof e);
  (void)ignored;
  ::_exit(127);
}

}  // namespace

Spawned spawn(const SpawnSpec& spec) {
  if (spec.argv.empty()) throw std::invalid_argument("spawn: empty argv");
  std::vector<std::string> argv_store = spec.argv;
  std::vector<std::string> env_store = merged_environment(spec.extra_env);
  std::vector<char*> argv = c_strings(argv_store);
  std::vector<char*> envp = c_strings(env_store);

  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) throw std::system_error(errno, std::generic_category(), "open /dev/null");
  int out[2] = {-1, -1}, err[2] = {-1, -1}, errpipe[2] = {-1, -1};
  auto cleanup = [&] {
    for (int* p : {out, err, errpipe}) {
      close_if_open(p[0]);
      close_if_open(p[1]);
    }
    ::close(devnull);
  };
  if ((spec.capture_stdout && ::pipe2(out, O_CLOEXEC) < 0) ||
      (spec.capture_stderr && ::pipe2(err, O_CLOEXEC) < 0) || ::pipe2(errpipe, O_CLOEXEC) < 0) {
    int e = errno;
    cleanup();
    throw std::system_error(e, std::generic_category(), "pipe2");
  }

  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    cleanup();
    throw std::system_error(e, std::generic_category(), "fork");
  }
  if (pid == 0) exec_child(parent, argv.data(), envp.data(), devnull, out[1], err[1], errpipe[1]);

  // Both sides call setpgid so the group exists before either of us relies on it.
  ::setpgid(pid, pid);
  {
    std::lock_guard lk(g_groups_mu);
    g_groups.insert(pid);
  }
  close_if_open(out[1]);
  close_if_open(err[1]);
  close_if_open(errpipe[1]);
  int child_errno = 0;
  ssize_t n;
  do
    n = ::read(errpipe[0], &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  close_if_open(errpipe[0]);
  ::close(devnull);
  if (n > 0) {
    // exec failed; the child is exiting with 127 and the Reaper will collect it.
    close_if_open(out[0]);
    close_if_open(err[0]);
    {
      std::lock_guard lk(g_groups_mu);
      g_groups.erase(pid);
    }
    throw std::system_error(child_errno, std::generic_category(), "execve " + spec.argv[0]);
  }
  return Spawned{pid, out[0], err[0]};
}

void end_group(pid_t pgid, std::chrono::milliseconds grace) {
  if (pgid <= 0) return;
  if (::kill(-pgid, SIGTERM) == 0) {
    // Polling the group's existence is only for ending it: no result depends on its timing.
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (::kill(-pgid, 0) == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (::kill(-pgid, SIGKILL) < 0 && errno != ESRCH)
      std::fprintf(stderr, "walkthrough: kill(-%d, SIGKILL): %s\n", pgid, std::strerror(errno));
  }
  std::lock_guard lk(g_groups_mu);
  g_groups.erase(pgid);
}

void end_all_registered_groups() {
  std::set<pid_t> groups;
  {
    std::lock_guard lk(g_groups_mu);
    groups.swap(g_groups);
  }
  for (pid_t g : groups)
    ::kill(-g, SIGKILL);
}

namespace {

struct ProcInfo {
  pid_t pid, ppid, pgid;
};

std::vector<ProcInfo> all_processes() {
  std::vector<ProcInfo> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) {
    std::fprintf(stderr, "walkthrough: opendir /proc: %s\n", std::strerror(errno));
    return out;
  }
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0') continue;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE* f = std::fopen(path, "re");
    if (f == nullptr) continue;
    char buf[512];
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses; the last ')'
    // ends it.
    const char* close_paren = std::strrchr(buf, ')');
    if (close_paren == nullptr) continue;
    char state = 0;
    long ppid = 0, pgid = 0;
    if (std::sscanf(close_paren + 1, " %c %ld %ld", &state, &ppid, &pgid) == 3)
      out.push_back(
          ProcInfo{static_cast<pid_t>(pid), static_cast<pid_t>(ppid), static_cast<pid_t>(pgid)});
  }
  ::closedir(d);
  return out;
}

// Our subtree (not including us). As a subreaper, orphans of our children — a server
// generation whose parent exited, Chromium's helpers — are our children.
std::vector<ProcInfo> descendants() {
  std::vector<ProcInfo> procs = all_processes();
  std::multimap<pid_t, const ProcInfo*> children;
  for (const auto& p : procs)
    children.emplace(p.ppid, &p);
  std::vector<ProcInfo> out;
  std::vector<pid_t> stack{::getpid()};
  while (!stack.empty()) {
    pid_t p = stack.back();
    stack.pop_back();
    auto [lo, hi] = children.equal_range(p);
    for (auto it = lo; it != hi; ++it) {
      out.push_back(*it->second);
      stack.push_back(it->second->pid);
    }
  }
  return out;
}

}  // namespace

void kill_all_descendants() {
  for (const auto& p : descendants())
    ::kill(p.pid, SIGKILL);
}

bool wait_no_descendants(std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!descendants().empty()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

bool process_exists(pid_t pid) {
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

}  // namespace zerodrop::walkthrough

// See zerodrop/proc/process_groups.hpp.
#include "zerodrop/proc/process_groups.hpp"

#include <signal.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <thread>

#include "zerodrop/proc/procfs.hpp"
#include "zerodrop/proc/reap.hpp"

namespace zerodrop::proc {
namespace {

std::mutex g_groups_mu;
std::set<pid_t> g_groups;  // live process groups we spawned

}  // namespace

Child spawn_group(const GroupSpec& g) {
  Spec s;
  s.argv = g.argv;
  s.env = environment({}, g.extra_env);
  s.null_stdio = true;
  s.pipe_stdout = g.capture_stdout;
  s.pipe_stderr = g.capture_stderr;
  Child c = spawn(s);
  std::lock_guard lk(g_groups_mu);
  g_groups.insert(c.pid);
  return c;
}

void end_registered_group(pid_t pgid, std::chrono::milliseconds grace) {
  if (pgid <= 0) return;
  end_group(pgid, static_cast<int>(grace.count()), 0, false);
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

void kill_all_descendants() {
  for (pid_t p : descendants(::getpid()))
    ::kill(p, SIGKILL);
}

bool wait_no_descendants(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!descendants(::getpid()).empty()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace zerodrop::proc

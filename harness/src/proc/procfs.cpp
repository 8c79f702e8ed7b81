// See zerodrop/proc/procfs.hpp.
#include "zerodrop/proc/procfs.hpp"

#include <dirent.h>
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>

namespace zerodrop::proc {
namespace {

struct Stat {
  pid_t pid = 0, ppid = 0;
  char state = 0;
};

// "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ')' ends it.
bool read_stat(pid_t pid, Stat& out) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  std::getline(f, s);
  const auto rp = s.rfind(')');
  if (rp == std::string::npos || rp + 4 >= s.size()) return false;
  out.pid = pid;
  out.state = s[rp + 2];
  out.ppid = static_cast<pid_t>(std::atol(s.c_str() + rp + 4));
  return true;
}

// Calls f for every numeric entry of /proc.
void each_pid(const std::function<void(pid_t)>& f) {
  DIR* d = opendir("/proc");
  if (d == nullptr) {
    std::fprintf(stderr, "zerodrop: opendir(/proc): %s\n", std::strerror(errno));
    return;
  }
  while (dirent* e = readdir(d))
    if (e->d_name[0] >= '1' && e->d_name[0] <= '9') f(static_cast<pid_t>(std::atol(e->d_name)));
  closedir(d);
}

bool environ_has(pid_t pid, const std::string& entry) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  for (std::string e; std::getline(f, e, '\0');)
    if (e == entry) return true;
  return false;
}

}  // namespace

int fd_count(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(path.c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

pid_t parent_of(pid_t pid) {
  Stat s;
  return read_stat(pid, s) ? s.ppid : 0;
}

std::vector<pid_t> tagged_processes_outside(const std::string& tag_entry, pid_t root) {
  std::vector<pid_t> out;
  each_pid([&](pid_t pid) {
    if (pid == root || !environ_has(pid, tag_entry)) return;
    for (pid_t p = parent_of(pid), hops = 0; p > 1 && hops < 4096; p = parent_of(p), ++hops)
      if (p == root) return;
    out.push_back(pid);
  });
  return out;
}

std::vector<pid_t> zombies_of(const std::set<pid_t>& parents) {
  std::vector<pid_t> out;
  each_pid([&](pid_t pid) {
    Stat s;
    if (read_stat(pid, s) && s.state == 'Z' && parents.count(s.ppid)) out.push_back(pid);
  });
  return out;
}

std::vector<pid_t> descendants(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  each_pid([&](pid_t pid) {
    Stat s;
    if (read_stat(pid, s)) children.emplace(s.ppid, pid);
  });
  std::vector<pid_t> out, stack{root};
  while (!stack.empty()) {
    const pid_t p = stack.back();
    stack.pop_back();
    auto [lo, hi] = children.equal_range(p);
    for (auto it = lo; it != hi; ++it) {
      out.push_back(it->second);
      stack.push_back(it->second);
    }
  }
  return out;
}

std::vector<pid_t> live_children_of(pid_t parent) {
  std::vector<pid_t> out;
  each_pid([&](pid_t pid) {
    Stat s;
    if (read_stat(pid, s) && s.ppid == parent && s.state != 'Z') out.push_back(pid);
  });
  return out;
}

bool process_exists(pid_t pid) {
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

}  // namespace zerodrop::proc

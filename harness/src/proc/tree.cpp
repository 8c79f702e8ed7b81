// See zerodrop/proc/tree.hpp.
#include "zerodrop/proc/tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace zerodrop::proc {

std::optional<TreeProcess> read_tree_process(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;  // gone since the listing: not an error of ours
  char buf[1024];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ')' ends it.
  const char* lp = std::strchr(buf, '(');
  const char* rp = std::strrchr(buf, ')');
  if (lp == nullptr || rp == nullptr || rp < lp) return std::nullopt;
  TreeProcess p;
  p.pid = pid;
  p.comm.assign(lp + 1, rp);
  int ppid = 0;
  unsigned long long ticks = 0;
  // Field 3 state, 4 ppid, 5..21 skipped, 22 starttime.
  if (std::sscanf(rp + 1,
                  " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d "
                  "%llu",
                  &ppid, &ticks) != 2)
    return std::nullopt;
  static const long hz = ::sysconf(_SC_CLK_TCK);
  if (hz <= 0) return std::nullopt;
  p.ppid = static_cast<pid_t>(ppid);
  p.resolution_ns = 1'000'000'000 / hz;
  p.start_boottime_ns = static_cast<std::int64_t>(ticks) * p.resolution_ns;
  return p;
}

std::vector<TreeProcess> ProcessTree::scan() {
  DIR* d = ::opendir("/proc");
  if (d == nullptr) {
    std::fprintf(stderr, "zerodrop: opendir(/proc): %s\n", std::strerror(errno));
    return {};
  }
  std::set<pid_t> listed;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    const auto pid = static_cast<pid_t>(std::atol(e->d_name));
    listed.insert(pid);
    if (seen_.count(pid)) continue;
    if (auto p = read_tree_process(pid)) seen_.emplace(pid, *p);
  }
  ::closedir(d);
  // A pid gone from /proc may come back as another process: forget it (its recorded parent
  // stays, for the processes it left behind).
  for (auto it = seen_.begin(); it != seen_.end();) {
    if (listed.count(it->first)) {
      ++it;
    } else {
      ours_.erase(it->first);
      it = seen_.erase(it);
    }
  }
  // A parent and its child may both be new: repeat until nothing changes, parents first.
  std::vector<TreeProcess> out;
  for (bool more = true; more;) {
    more = false;
    for (auto& [pid, p] : seen_)
      if (!ours_.count(pid) && ours_.count(p.ppid)) {
        ours_.insert(pid);
        parent_[pid] = p.ppid;
        out.push_back(p);
        more = true;
      }
  }
  return out;
}

pid_t ProcessTree::parent(pid_t pid) const {
  auto it = parent_.find(pid);
  return it == parent_.end() ? 0 : it->second;
}

}  // namespace zerodrop::proc

// See zerodrop/cpu_wait.hpp.
#include "zerodrop/cpu_wait.hpp"

#include <dirent.h>

#include <cstdio>
#include <string>

namespace zerodrop {

std::optional<std::int64_t> read_cpu_wait(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return std::nullopt;  // gone: nothing to report, and not an error of ours
  std::int64_t total = 0;
  bool any = false;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string path = dir + "/" + e->d_name + "/schedstat";
    std::FILE* f = std::fopen(path.c_str(), "re");
    if (!f) continue;  // a thread that just ended
    unsigned long long on_cpu = 0, waiting = 0;
    if (std::fscanf(f, "%llu %llu", &on_cpu, &waiting) == 2) {
      total += static_cast<std::int64_t>(waiting);
      any = true;
    }
    std::fclose(f);
  }
  ::closedir(d);
  if (!any) return std::nullopt;
  return total;
}

std::vector<CpuWaitSample> CpuWaitSampler::sample(pid_t pid, std::int64_t t_ns) {
  const auto now = read_cpu_wait(pid);
  if (!now) return {};
  return add(pid, {t_ns, *now});
}

std::vector<CpuWaitSample> CpuWaitSampler::add(pid_t pid, CpuWaitSample here) {
  std::vector<CpuWaitSample> out;
  Series& s = series_[pid];
  if (s.recorded.t_ns >= 0 && here.wait_ns == s.recorded.wait_ns) {
    s.skipped = here;  // flat: the start of the stretch is recorded, its end only if it moves
    return out;
  }
  if (s.skipped.t_ns >= 0 && s.skipped.wait_ns == s.recorded.wait_ns) out.push_back(s.skipped);
  out.push_back(here);
  s.recorded = here;
  s.skipped = {-1, -1};
  return out;
}

}  // namespace zerodrop

// See zerodrop/cpu_wait.hpp.
#include "zerodrop/cpu_wait.hpp"

#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

namespace zerodrop {

namespace {
// The second field of a schedstat file: ns spent runnable but waiting on a run queue.
std::optional<std::int64_t> read_schedstat_wait(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "re");
  if (!f) return std::nullopt;  // a thread that just ended
  unsigned long long on_cpu = 0, waiting = 0;
  const bool ok = std::fscanf(f, "%llu %llu", &on_cpu, &waiting) == 2;
  std::fclose(f);
  if (!ok) return std::nullopt;
  return static_cast<std::int64_t>(waiting);
}
}  // namespace

std::optional<std::int64_t> read_cpu_wait(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return std::nullopt;  // gone: nothing to report, and not an error of ours
  std::int64_t total = 0;
  bool any = false;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    if (auto w = read_schedstat_wait(dir + "/" + e->d_name + "/schedstat")) {
      total += *w;
      any = true;
    }
  }
  ::closedir(d);
  if (!any) return std::nullopt;
  return total;
}

std::optional<std::int64_t> process_start_boottime_ns(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  std::FILE* f = std::fopen(path.c_str(), "re");
  if (!f) return std::nullopt;
  char buf[1024];
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const char* p = std::strrchr(buf, ')');
  if (!p) return std::nullopt;
  unsigned long long ticks = 0;
  // Fields 3..21 skipped, field 22 is starttime.
  if (std::sscanf(p + 1,
                  " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d "
                  "%llu",
                  &ticks) != 1)
    return std::nullopt;
  const long hz = ::sysconf(_SC_CLK_TCK);
  if (hz <= 0) return std::nullopt;
  return static_cast<std::int64_t>(ticks) * (1'000'000'000 / hz);
}

std::optional<std::int64_t> read_thread_cpu_wait(pid_t tid) {
  return read_schedstat_wait("/proc/self/task/" + std::to_string(tid) + "/schedstat");
}

std::vector<CpuWaitSample> CpuWaitSampler::sample_own_thread(pid_t tid, std::int64_t t_ns) {
  const auto now = read_thread_cpu_wait(tid);
  if (!now) return {};
  return add(-tid, {t_ns, *now});  // its own series, apart from any process's
}

std::vector<CpuWaitSample> CpuWaitSampler::sample(pid_t pid, std::int64_t t_ns) {
  std::optional<std::int64_t> started;
  if (!series_.count(pid)) {
    // The offset between the run's clock and CLOCK_BOOTTIME, read now, maps the start time.
    timespec boot{};
    const auto boot_start = process_start_boottime_ns(pid);
    if (boot_start && ::clock_gettime(CLOCK_BOOTTIME, &boot) == 0) {
      const std::int64_t boot_now = boot.tv_sec * 1'000'000'000LL + boot.tv_nsec;
      started = t_ns - (boot_now - *boot_start);
    }
  }
  const auto now = read_cpu_wait(pid);
  if (!now) return {};
  return add(pid, {t_ns, *now}, started);
}

std::vector<CpuWaitSample> CpuWaitSampler::add(pid_t pid, CpuWaitSample here,
                                               std::optional<std::int64_t> started) {
  std::vector<CpuWaitSample> out;
  if (!series_.count(pid) && started && *started < here.t_ns)
    out.push_back({std::max<std::int64_t>(*started, 0), 0});
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

// cpu_wait — how long a server's processes waited for a CPU, read from the kernel.
//
// Contract: read_cpu_wait(pid) sums, over every thread of `pid`, the second field of
// /proc/PID/task/TID/schedstat: the time the thread was runnable but not running (waiting on a
// run queue), in ns since it started; nullopt when the process is gone or the file cannot be
// read (a kernel without CONFIG_SCHED_INFO). CpuWaitSampler keeps one cumulative series per pid
// and says when a new sample is worth recording (see its comment). The harness records these
// samples as `cpu_wait` events; latency_bound subtracts from a request's latency the CPU wait
// of the process that answered it, so a breach caused by a machine too busy to run the server
// (other jobs on the same cores) is `unknown`, never charged to the server — while a server that
// is slow on its own (sleeping, blocked, or busy on a CPU) waits for no CPU and stays charged.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace zerodrop {

std::optional<std::int64_t> read_cpu_wait(pid_t pid);

struct CpuWaitSample {
  std::int64_t t_ns = 0;
  std::int64_t wait_ns = 0;  // cumulative
};

class CpuWaitSampler {
 public:
  // Reads `pid` at time t_ns and returns the samples to record now (oldest first): none while
  // the wait stays flat, else the last flat sample (if it was skipped) and this one — so a
  // reader interpolating linearly between recorded samples is exact wherever the series was
  // flat and within one sampling period where it moved.
  std::vector<CpuWaitSample> sample(pid_t pid, std::int64_t t_ns);
  // The same for a value already read (what sample() does once it has read /proc).
  std::vector<CpuWaitSample> add(pid_t pid, CpuWaitSample here);

 private:
  struct Series {
    CpuWaitSample recorded{-1, -1};
    CpuWaitSample skipped{-1, -1};
  };
  std::map<pid_t, Series> series_;
};

}  // namespace zerodrop

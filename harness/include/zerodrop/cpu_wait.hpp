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
// The same for one thread of this process (/proc/self/task/TID/schedstat).
std::optional<std::int64_t> read_thread_cpu_wait(pid_t tid);
// When `pid` started, on CLOCK_BOOTTIME in ns (/proc/PID/stat field 22: clock ticks, so 10 ms
// resolution), or nullopt.
std::optional<std::int64_t> process_start_boottime_ns(pid_t pid);

struct CpuWaitSample {
  std::int64_t t_ns = 0;
  std::int64_t wait_ns = 0;  // cumulative
};

class CpuWaitSampler {
 public:
  // Reads `pid` at time t_ns (RunClock) and returns the samples to record now (oldest first):
  // none while the wait stays flat, else the last flat sample (if it was skipped) and this one
  // — so a reader interpolating linearly between recorded samples is exact wherever the series
  // was flat and within one sampling period where it moved. A pid seen for the first time also
  // gets a sample of 0 at its start (it had waited for nothing before it existed): a new
  // generation is known to the harness only once it announces itself, and what it waited while
  // starting up must not be lost.
  std::vector<CpuWaitSample> sample(pid_t pid, std::int64_t t_ns);
  // The same for one of the harness's own threads (the load engine's: a response it reads
  // late is measured late).
  std::vector<CpuWaitSample> sample_own_thread(pid_t tid, std::int64_t t_ns);
  // The same for values already read (what sample() does once it has read /proc); `started` is
  // the process's start on the same clock as `here`, if known.
  std::vector<CpuWaitSample> add(pid_t pid, CpuWaitSample here,
                                 std::optional<std::int64_t> started = std::nullopt);

 private:
  struct Series {
    CpuWaitSample recorded{-1, -1};
    CpuWaitSample skipped{-1, -1};
  };
  std::map<pid_t, Series> series_;
};

}  // namespace zerodrop

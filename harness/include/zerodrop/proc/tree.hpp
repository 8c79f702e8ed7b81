// proc/tree — which processes descend from the run's server: found by looking at /proc.
//
// Contract: a ProcessTree keeps the set of processes that are "ours": the roots given to
// add_root() (each generation the launcher knows) and every process whose parent was ours when
// the tree first saw it. scan() lists /proc (one directory read), reads /proc/PID/stat only for
// a pid it has not seen before (a cache by pid; an entry leaves once its pid has left /proc, so a
// reused pid is read afresh), and returns the processes that became ours in this scan, parents
// before children, each with its parent and start time. The parent is the one at first sight on
// purpose: a worker whose master exits is re-parented to the harness (the subreaper), and its
// ancestry is lost from /proc for good. A process that forks and whose parent exits between two
// scans is not seen as ours: the window is the time between two scans. Never throws; a process
// that vanishes while being read is skipped. No per-process files are read for pids seen
// before, so a scan costs one getdents() of /proc plus a read per new process on the machine.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace zerodrop::proc {

struct TreeProcess {
  pid_t pid = 0, ppid = 0;
  std::int64_t start_boottime_ns = 0;  // /proc/PID/stat field 22, in clock ticks
  std::int64_t resolution_ns = 0;      // one clock tick: the start is known to this much
  std::string comm;                    // field 2, the command name
};

// /proc/PID/stat of one process, or nullopt (gone, unreadable).
std::optional<TreeProcess> read_tree_process(pid_t pid);

class ProcessTree {
 public:
  // A process of the server (a generation); its children are ours from the next scan on.
  void add_root(pid_t pid) { ours_.insert(pid); }
  bool ours(pid_t pid) const { return ours_.count(pid) > 0; }
  // The processes that became ours since the last scan (roots are not reported).
  std::vector<TreeProcess> scan();
  // The parent each non-root process of ours had when first seen (0 for a root).
  pid_t parent(pid_t pid) const;

 private:
  std::map<pid_t, TreeProcess> seen_;  // every pid of /proc read so far, still listed
  std::set<pid_t> ours_;
  std::map<pid_t, pid_t> parent_;  // ours, not roots
};

}  // namespace zerodrop::proc

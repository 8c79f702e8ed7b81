// proc/procfs — what /proc says about processes: descriptor counts, parents, run tags, zombies,
// a process's descendants.
//
// Contract: every function reads /proc at the moment it is called and never throws; a process
// that vanishes while being read is skipped (or gives -1 / 0). They answer questions about other
// processes only: they start, signal and reap nothing. Scans of all of /proc (tagged, zombies,
// descendants) cost milliseconds on a busy machine: call them at settle or teardown, not per poll.
#pragma once

#include <sys/types.h>

#include <set>
#include <string>
#include <vector>

namespace zerodrop::proc {

// Number of open file descriptors of pid (from /proc/PID/fd), or -1.
int fd_count(pid_t pid);
// The parent pid of pid (from /proc/PID/stat), or 0.
pid_t parent_of(pid_t pid);
// Processes whose environment holds `tag_entry` exactly and that are not `root` nor below it
// (the ppid chain): the run's processes that escaped its tree.
std::vector<pid_t> tagged_processes_outside(const std::string& tag_entry, pid_t root);
// Zombies whose parent is one of `parents` (exited children those parents never reaped).
std::vector<pid_t> zombies_of(const std::set<pid_t>& parents);
// Every process below `root` (children, theirs, ...), zombies included.
std::vector<pid_t> descendants(pid_t root);
// The processes whose parent is `parent` now, zombies left out (exited, awaiting their reaper).
std::vector<pid_t> live_children_of(pid_t parent);
// kill(pid, 0) succeeds or is refused (EPERM): the pid exists (a zombie does).
bool process_exists(pid_t pid);

}  // namespace zerodrop::proc

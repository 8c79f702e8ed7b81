// proc/process_groups — children in process groups of their own, registered so that an
// interrupt can end them all (the walkthrough's way to run a server and a browser).
//
// Contract: spawn_group() starts argv through proc::spawn (spawn.hpp: own process group,
// PR_SET_PDEATHSIG=SIGKILL, default signal mask and dispositions, an exec failure thrown as
// SpawnError) with stdin on /dev/null, stdout/stderr either captured into pipes (our read ends
// returned, O_CLOEXEC) or on /dev/null, `extra_env` added to (overriding) our environment; and
// registers its group in a process-wide list. end_registered_group() sends SIGTERM to the group,
// waits up to a grace period for it to empty (a group whose members are reaped or gone answers
// ESRCH), then SIGKILLs it, and unregisters it. end_all_registered_groups() SIGKILLs every group
// still registered (scope exit, or an interrupt); kill_all_descendants() every process below this
// one (orphans re-parented to us as subreaper); wait_no_descendants() polls /proc until none is
// left (used only while tearing down). Reaping is a Reaper's job (reaper.hpp): nothing here
// calls waitpid. Spawn on the main thread: PR_SET_PDEATHSIG fires when the forking *thread* exits.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "zerodrop/proc/spawn.hpp"

namespace zerodrop::proc {

struct GroupSpec {
  std::vector<std::string> argv;
  std::vector<std::string> extra_env;  // "NAME=value", added to (overriding) our environment
  bool capture_stdout = false;
  bool capture_stderr = false;
};

Child spawn_group(const GroupSpec& spec);
void end_registered_group(pid_t pgid,
                          std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
void end_all_registered_groups();
void kill_all_descendants();
bool wait_no_descendants(std::chrono::milliseconds limit);

}  // namespace zerodrop::proc

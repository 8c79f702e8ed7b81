// Child processes of the walkthrough: spawn, signal, end.
//
// Contract: spawn() forks and execs argv (never through a shell) as the leader of a new process
// group, with PR_SET_PDEATHSIG=SIGKILL (so the child dies if the walkthrough dies), the default
// signal mask and dispositions, stdin on /dev/null, and stdout/stderr either captured into
// pipes (returned, O_CLOEXEC on our side) or sent to /dev/null. An exec failure is reported as a
// std::system_error from spawn() itself (through a CLOEXEC error pipe), never as a mysterious
// exit code 127. Every group spawned is registered in a process-wide list so that
// end_all_registered_groups() (scope exit, or a SIGINT to the walkthrough) can end it.
// end_group() sends SIGTERM to the group, waits up to a grace period for it to empty, then
// SIGKILLs it. Reaping is the Reaper's job (reaper.hpp): nothing here calls waitpid.
//
// Spawning must happen on the main thread: PR_SET_PDEATHSIG fires when the *thread* that forked
// exits, so a child spawned from a short-lived thread would be killed with it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace zerodrop::walkthrough {

struct SpawnSpec {
  std::vector<std::string> argv;
  std::vector<std::string> extra_env;  // "NAME=value", added to (overriding) our environment
  bool capture_stdout = false;
  bool capture_stderr = false;
};

struct Spawned {
  pid_t pid = -1;  // also the process group id
  int stdout_fd = -1;
  int stderr_fd = -1;
};

Spawned spawn(const SpawnSpec& spec);

// TERM the group, wait up to `grace` for it to empty (a group whose members are reaped zombies
// or gone answers ESRCH), then KILL it. Unregisters it. Safe on an already-empty group.
void end_group(pid_t pgid, std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

// SIGKILL every group spawned and not yet ended, then every remaining descendant of this
// process (orphans re-parented to us as subreaper). Used on scope exit and on SIGINT.
void end_all_registered_groups();
void kill_all_descendants();
// Waits (polling /proc: used only while tearing down) until no descendant is left, reaped or
// not; false at the deadline.
bool wait_no_descendants(std::chrono::milliseconds limit);

bool process_exists(pid_t pid);  // kill(pid, 0) == 0 (a zombie still exists)

}  // namespace zerodrop::walkthrough

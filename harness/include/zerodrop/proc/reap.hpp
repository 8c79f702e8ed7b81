// proc/reap — collecting exits and ending process groups.
//
// Contract: become_subreaper() makes this process a child subreaper (PR_SET_CHILD_SUBREAPER), so
// a server generation whose parent exited is re-parented to us and its exit is ours to collect.
// reap_one() is waitpid(-1, WNOHANG): one exit or nothing, never blocking. exit_code() turns a
// wait status into the harness's convention (the code, or minus the signal). pidfd_open() and
// wait_readable() await an exit as an event (a pidfd turns readable when the process exits,
// whoever its parent is). wait_exit() awaits one pid's exit and reaps it when it is ours.
// end_group() sends SIGTERM to a process group, awaits it empty (reaping its members that are our
// children when `reap`), then SIGKILLs it: the teardown TERM -> wait -> KILL. Each failing syscall
// is logged with its name, except ESRCH/ECHILD where "already gone" is the answer.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace zerodrop::proc {

void become_subreaper();

struct Reaped {
  pid_t pid = 0;
  int status = 0;  // raw wait status
};
std::optional<Reaped> reap_one();

int exit_code(int status);                // WEXITSTATUS, or -WTERMSIG
std::string describe_status(int status);  // "code 0", "signal Terminated"

int pidfd_open(pid_t pid);  // -1 if the pid is gone (reaped) or on error
// Waits up to timeout_ms (-1: for ever) for fd to turn readable; false on timeout.
bool wait_readable(int fd, int timeout_ms);

// Waits for pid to exit; its wait status if we could reap it, -1 if it exited but was not ours
// to reap, nullopt on timeout.
std::optional<int> wait_exit(pid_t pid, int timeout_ms);

// TERM the group, await it empty for up to grace_ms, then KILL it and await it for up to
// kill_ms more. True when it emptied.
bool end_group(pid_t pgid, int grace_ms, int kill_ms, bool reap);

}  // namespace zerodrop::proc

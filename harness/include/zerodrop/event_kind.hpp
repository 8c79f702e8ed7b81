// event_kind — the names of the lifecycle events a run records: one enum, one table.
//
// Contract: every event the harness writes is an EventKind; to_string() gives the name that
// goes into the history's `event` field (the on-disk format: these strings never change, old
// histories and the checks read them), from the one table in event_kind.cpp.
// event_kind_from_string() maps a name back (nullopt for a name this version never writes: a
// history may come from another version, so readers keep LifecycleEvent::event as text).
#pragma once

#include <optional>
#include <string_view>

namespace zerodrop {

enum class EventKind {
  // the process layer and the launcher
  kSpawned,       // the server's first process (pid; detail: argv[0])
  kCommand,       // a fault's command, in its own group
  kSidecar,       // a scenario's helper process (sidecars:), never a generation
  kExecFailed,    // other: errno
  kReady,         // READY=1 (pid: sender)
  kMainpid,       // MAINPID= (pid: new main; other: previous)
  kReloading,     // RELOADING=1
  kStopping,      // STOPPING=1
  kStatus,        // STATUS= (detail: its text)
  kListening,     // stdout `listening on` (pid; other: port)
  kExited,        // reaped (other: code, or -signal)
  kVanished,      // reaped by its own parent: code not observable
  kOrphanKilled,  // a tagged process outside the tree, SIGKILLed at teardown
  kTeardownKill,  // SIGKILL after the teardown's grace
  // the run
  kFdLimit,      // the harness's RLIMIT_NOFILE (other)
  kNotReady,     // the server never became ready
  kLoadSummary,  // other: planned; detail: {"issued", "saturated"}
  kTeardown,     // the graceful stop of whatever serves begins
  // the observer
  kFdCount,              // other: open fds of pid (detail: at ready | at settle)
  kSettle,               // pid: main; other: live generations; detail: the probe's pid
  kSettleRestart,        // pid: the generation signalled; other: signal; detail: its name
  kSettleRestartResult,  // other: the pid that answered afterwards
  kZombie,               // an unreaped child of a generation
  kOrphan,               // a tagged process outside the tree, at settle
  kCpuWait,              // pid (0: the load engine); other: its cumulative wait for a CPU, ns
  // the nemesis
  kSignal,               // pid: target; other: signal; detail: its name
  kSignalFailed,         // other: errno
  kFault,                // other: the fault's index; detail: its line
  kFaultConditionUnmet,  // other: slow requests in flight
  kReplaceBinary,
  kReplaceBinaryFailed,
  kCommandFailed,
  // the load engine
  kIdleClose,  // pid: owner; other: connection id; detail: fin | rst
  // the launcher's process trees (appended: the table is in enum order)
  kProcess,  // a descendant of the server, when first seen (pid; other: its parent then;
             // detail: {"start_ns" (run clock), "resolution_ns", "comm"})
  // the observer's own traffic, so a history shows when the harness knocked (appended)
  kSettleProbe,  // a settle restart's probe (pid: the generation signalled; other: the pid
                 // that answered, 0: no answer, -1: an answer naming none)
  // a daemonizing start (appended): the first process exited 0 once the main-pid source had
  // named its descendant, which is then the first generation (not a restart)
  kDaemonized,  // pid: the daemon; other: the first process; detail: what named it
};

const char* to_string(EventKind k);
std::optional<EventKind> event_kind_from_string(std::string_view name);

}  // namespace zerodrop

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
  spawned,        // the server's first process (pid; detail: argv[0])
  command,        // a fault's command, in its own group
  sidecar,        // a scenario's helper process (sidecars:), never a generation
  exec_failed,    // other: errno
  ready,          // READY=1 (pid: sender)
  mainpid,        // MAINPID= (pid: new main; other: previous)
  reloading,      // RELOADING=1
  stopping,       // STOPPING=1
  status,         // STATUS= (detail: its text)
  listening,      // stdout `listening on` (pid; other: port)
  exited,         // reaped (other: code, or -signal)
  vanished,       // reaped by its own parent: code not observable
  orphan_killed,  // a tagged process outside the tree, SIGKILLed at teardown
  teardown_kill,  // SIGKILL after the teardown's grace
  // the run
  fd_limit,      // the harness's RLIMIT_NOFILE (other)
  not_ready,     // the server never became ready
  load_summary,  // other: planned; detail: {"issued", "saturated"}
  teardown,      // the graceful stop of whatever serves begins
  // the observer
  fd_count,               // other: open fds of pid (detail: at ready | at settle)
  settle,                 // pid: main; other: live generations; detail: the probe's pid
  settle_restart,         // pid: the generation signalled; other: signal; detail: its name
  settle_restart_result,  // other: the pid that answered afterwards
  zombie,                 // an unreaped child of a generation
  orphan,                 // a tagged process outside the tree, at settle
  cpu_wait,               // pid (0: the load engine); other: its cumulative wait for a CPU, ns
  // the nemesis
  signal,                 // pid: target; other: signal; detail: its name
  signal_failed,          // other: errno
  fault,                  // other: the fault's index; detail: its line
  fault_condition_unmet,  // other: slow requests in flight
  replace_binary,
  replace_binary_failed,
  command_failed,
  // the load engine
  idle_close,  // pid: owner; other: connection id; detail: fin | rst
  // the launcher's process trees (appended: the table is in enum order)
  process,  // a descendant of the server, when first seen (pid; other: its parent then;
            // detail: {"start_ns" (run clock), "resolution_ns", "comm"})
};

const char* to_string(EventKind k);
std::optional<EventKind> event_kind_from_string(std::string_view name);

}  // namespace zerodrop

// The walkthrough's names for the harness's process layer (zerodrop/proc/, harness/README.md).
//
// Contract: the walkthrough has no process code of its own: spawning, process groups, reaping,
// the notify socket, the interrupt guard and the server's line parsers are the harness
// library's; this header only brings them into the walkthrough's namespace under the names its
// parts use.
#pragma once

#include <chrono>

#include "zerodrop/proc/interrupt_guard.hpp"
#include "zerodrop/proc/notify_log.hpp"
#include "zerodrop/proc/process_groups.hpp"
#include "zerodrop/proc/procfs.hpp"
#include "zerodrop/proc/reaper.hpp"
#include "zerodrop/proc/server_lines.hpp"

namespace zerodrop::walkthrough {

using Clock = proc::Clock;
using proc::end_all_registered_groups;
using proc::ExitRecord;
using proc::field_int;
using proc::InterruptGuard;
using proc::ListeningLine;
using proc::LogFields;
using proc::NotifyLog;
using proc::NotifyMessage;
using proc::parse_listening_line;
using proc::parse_logfmt;
using proc::process_exists;
using proc::Reaper;
using SpawnSpec = proc::GroupSpec;
using Spawned = proc::Child;

inline Spawned spawn(const SpawnSpec& spec) {
  return proc::spawn_group(spec);
}
inline void end_group(pid_t pgid,
                      std::chrono::milliseconds grace = std::chrono::milliseconds(2000)) {
  proc::end_registered_group(pgid, grace);
}

}  // namespace zerodrop::walkthrough

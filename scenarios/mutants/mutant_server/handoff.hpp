// Everything that crosses a process boundary: the listening socket (bound here or adopted from
// LISTEN_FDS on fd 3), readiness announcements (stdout line, ZERODROP_READY_FD byte, NOTIFY_SOCKET
// datagram, atomic pid file), spawning the next generation by fork + exec of our own binary, and
// exec in place. Also the logfmt lifecycle log on stderr. All fds we create are O_CLOEXEC; only
// fd 3 (listener) and fd 4 (ready pipe) are deliberately inherited by a new generation.
#pragma once

#include <sys/types.h>

#include <string>

#include "shared_state.hpp"

namespace zerodrop::mutant {

// stderr: `ts=... pid=P gen=G event=EVENT extra`.
void log_event(const SharedState& st, const std::string& event, const std::string& extra = {});

// fd 3 when LISTEN_FDS=1 is meant for this pid, else a new socket on --host/--port (with
// SO_REUSEPORT when `reuseport`). O_NONBLOCK + O_CLOEXEC. Exits 1 on failure. Sets `port`.
int open_listener(const SharedState& st, bool reuseport, int& port);

// The contract's "this generation is accepting" signals, all of them.
void announce_ready(SharedState& st, int port);

// Sends one NOTIFY_SOCKET datagram if the variable is set.
void notify(const std::string& message);

// Forks and execs the next generation. With `listener` >= 0 it is handed over as fd 3
// (LISTEN_FDS); otherwise the child binds `port` itself. `ready_write` becomes its fd 4.
// Returns the child's pid, or -1 (logged).
pid_t spawn_next(const SharedState& st, int listener, int port, int ready_write);

// Replaces this process's image with a new generation holding `listener` as fd 3; same pid.
// Returns only on failure (logged).
void exec_in_place(const SharedState& st, int listener);

}  // namespace zerodrop::mutant

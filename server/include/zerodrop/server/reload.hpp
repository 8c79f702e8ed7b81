// reload: `zerodrop-server reload --pid-file F [--timeout 10s]`, a synchronous reload.
//
// Contract: reads the pid P from F, sends it SIGHUP, and waits (inotify on F's directory,
// bounded by --timeout) for the outcome:
//   - F is replaced and names a different, live pid Q; P has closed its copy of the listener
//     (no fd of P is Q's /proc/Q/fd/3 socket any more, so every new connection reaches Q);
//     and Q answers GET /healthz with X-Pid: Q → prints "reloaded: P -> Q", exit 0;
//   - F is replaced and still names P — the server rewrites its pid file after a failed
//     restart precisely so that this is observable → "restart failed", exit 1;
//   - P is gone and F does not name a live successor, or the timeout passes → exit 1.
// Messages go to stderr, the success line to stdout.
// Its GET /healthz reads the response by hand (status line, X-Pid, up to the server's close)
// rather than with the harness's response reader (zerodrop/http_response.hpp): the server is
// a static binary and server_core must not depend on the harness library, and a
// Connection: close answer from our own server needs no framing beyond reading to EOF.
#pragma once

#include "zerodrop/server/config.hpp"

namespace zerodrop::server {

int run_reload(const ReloadConfig& config);

}  // namespace zerodrop::server

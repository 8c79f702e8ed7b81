// One client connection, served on its own thread (blocking I/O: the fixture favours obvious
// code over speed). HTTP/1.1 keep-alive; GET/HEAD /, /slow?ms=N, /healthz; POST /upload.
// Correct drain behaviour: a request answered while draining gets `Connection: close`; an idle
// keep-alive connection is kept for --drain-idle-grace so a request racing the drain is still
// answered, then closed with a FIN. The bugs kTruncate, kKeepaliveReset and kServe503 live here.
// serve_connection() owns `fd`, closes it, and decrements state.connections when done.
#pragma once

#include "shared_state.hpp"

namespace zerodrop::mutant {

void serve_connection(SharedState& state, int fd);

}  // namespace zerodrop::mutant

#!/bin/sh
# rebind.sh CMD ARGS...: run a peer that binds its port itself. The harness bound 127.0.0.1:0
# (listener: listen_fds) only to choose the port ({port}); close that socket and forget
# LISTEN_FDS, or the peer could not bind the port (and facebookgo/grace would take fd 3 for an
# inherited listener and SIGTERM its parent, the harness).
exec 3>&-
unset LISTEN_FDS LISTEN_PID LISTEN_FDNAMES
exec "$@"

#!/bin/bash
# shutdown-supervise.sh ADDR BINARY: restart = stop then start, as a supervisor
# (systemctl restart) does for a server whose only graceful path is Shutdown.
# SIGHUP: SIGTERM the Go server, wait for its Shutdown to finish, start a new one on the same
# address (the port is closed in between: clients are refused). SIGTERM/SIGINT: stop it, exit.
# This script is the harness's main pid (it stays, like an nginx master); the Go processes change.
addr=$1 bin=$2
exec 3>&-
unset LISTEN_FDS LISTEN_PID LISTEN_FDNAMES
gen=1 child=0 want_restart=0 want_stop=0
trap 'want_restart=1' HUP
trap 'want_stop=1' TERM INT
start() { PEER_GENERATION=$gen "$bin" -addr "$addr" & child=$!; }
stop_child() {
  kill -TERM "$child" 2>/dev/null
  while kill -0 "$child" 2>/dev/null; do wait "$child"; done
}
start
while :; do
  wait "$child"
  if [[ $want_stop == 1 ]]; then stop_child; exit 0; fi
  if [[ $want_restart == 1 ]]; then
    want_restart=0
    stop_child
    gen=$((gen + 1))
    start
  elif ! kill -0 "$child" 2>/dev/null; then
    exit 1  # the server died on its own
  fi
done

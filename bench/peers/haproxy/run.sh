#!/bin/bash
# haproxy/run.sh WORKDIR PORT BACKEND_BIN plain|seamless|legacy: HAProxy 2.6, one thread,
# listening on 127.0.0.1:PORT; config and pid file in WORKDIR.
#   plain     master-worker (-W), no stats socket, no -x. SIGUSR2 to the master (it stays: the
#             harness's main pid, via MAINPID) reloads: it re-execs itself, starts a new
#             worker and soft-stops the old one. Measured here: HAProxy 2.6's master hands the
#             listening sockets to the new worker over its own socketpair even so (the socket
#             inode stays the same), so this is already a seamless reload.
#   seamless  the same with "stats socket ... expose-fd listeners" and -x on that socket, the
#             documented way to ask for the transfer.
#   legacy    no master: one daemon process (-D -p pid file: it writes no pid file in the
#             foreground; re-parented to the harness, a subreaper); reload-legacy.sh starts a new process with
#             -sf <old pid> and no -x, so the new one binds the port again (SO_REUSEPORT) and
#             the old one closes its own listening socket: the reload without a listener
#             transfer, for comparison.
#   GET /          "hello gin!" answered by HAProxy itself (http-request return)
#   GET /slow?ms=N through a backend, the reference server in shutdown mode (HAProxy cannot
#                  hold a response for N ms by itself)
# Every response carries X-Pid: the answering worker's pid (log-format %pid).
set -euo pipefail
w=$1 port=$2 backend_bin=$3 mode=${4:-plain}
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/common.sh"
exec 3>&-                       # the harness's socket only chose the port: HAProxy binds it
unset LISTEN_FDS LISTEN_PID LISTEN_FDNAMES
start_backend "$w" "$backend_bin"
stats= xflag=()
if [[ $mode == seamless ]]; then
  stats="stats socket $w/stats.sock mode 600 level admin expose-fd listeners"
  xflag=(-x "$w/stats.sock")
fi
cat >"$w/haproxy.cfg" <<CONF
global
  nbthread 1
  maxconn 8000
  pidfile $w/haproxy.pid
  $stats
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 75s
frontend fe
  bind 127.0.0.1:$port
  http-request return status 200 content-type text/plain string "ok" hdr X-Pid "%pid" if { path /healthz }
  http-request return status 200 content-type text/plain string "hello gin!" hdr X-Pid "%pid" if { path / }
  default_backend slow
backend slow
  http-reuse always
  http-response del-header X-Generation
  http-response set-header X-Pid "%pid"
  server ref 127.0.0.1:$backend_port
CONF
if [[ $mode == legacy ]]; then
  /usr/sbin/haproxy -D -p "$w/haproxy.pid" -f "$w/haproxy.cfg" 2>>"$w/haproxy.log"
  master=$(cat "$w/haproxy.pid")
else
  /usr/sbin/haproxy -W -f "$w/haproxy.cfg" "${xflag[@]}" 2>>"$w/haproxy.log" &
  master=$!
fi
wait_serving "$port" "$master" || exit 1
notify_mainpid "$w" "$master"
echo "listening on 127.0.0.1:$port pid=$master"

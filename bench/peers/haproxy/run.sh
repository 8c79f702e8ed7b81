#!/bin/bash
# haproxy/run.sh WORKDIR PORT BACKEND_BIN plain|seamless: HAProxy 2.6 in master-worker mode
# (-W, foreground), one worker thread, listening on 127.0.0.1:PORT; config and pid file in
# WORKDIR. The master stays (it becomes the harness's main pid, MAINPID); SIGUSR2 to it
# reloads: the master re-execs itself and starts a new worker, the old one finishes its
# connections (-sf).
#   plain     no stats socket, no -x: each new worker binds the port itself (SO_REUSEPORT)
#             and the old worker closes its own listening socket.
#   seamless  "stats socket ... expose-fd listeners" and -x: the new worker takes the old
#             worker's listening sockets over that socket instead of binding new ones.
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
  maxconn 20000
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
/usr/sbin/haproxy -W -f "$w/haproxy.cfg" "${xflag[@]}" 2>>"$w/haproxy.log" &
master=$!
wait_serving "$port" "$master" || exit 1
notify_mainpid "$w" "$master"
echo "listening on 127.0.0.1:$port pid=$master"

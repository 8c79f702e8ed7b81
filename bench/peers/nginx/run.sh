#!/bin/bash
# nginx/run.sh WORKDIR PORT BACKEND_BIN: nginx (Debian's nginx-light) with master_process on and
# one worker, listening on 127.0.0.1:PORT; config, pid file and error log in WORKDIR.
#   GET /          "hello gin!" from nginx itself (return 200)
#   GET /slow?ms=N proxied to the reference server in shutdown mode on another port: nginx has
#                  no way to hold a response for N ms by itself (no echo/lua module in
#                  nginx-light), and a proxied request in flight is what a graceful reload must
#                  keep: the old worker finishes it.
# Every response carries X-Pid: the nginx worker's pid ($pid); the upstream's is hidden.
# The master becomes the harness's main pid (MAINPID on NOTIFY_SOCKET): SIGHUP reloads in
# place (new workers, same master); upgrade.sh does the USR2 + WINCH + QUIT binary upgrade.
# nginx is started in the background and this script exits once it serves: nginx ignores USR2
# while its parent is still the process that started it (that is how a new binary tells that
# its old master is alive), so its parent must change, as when it daemonizes; here it is
# re-parented to the harness (a subreaper).
set -euo pipefail
w=$1 port=$2 backend_bin=$3
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/common.sh"
exec 3>&-                       # the harness's socket only chose the port: nginx binds it
unset LISTEN_FDS LISTEN_PID LISTEN_FDNAMES
start_backend "$w" "$backend_bin"
mkdir -p "$w/nginx-tmp"
cat >"$w/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 1;
pid $w/nginx.pid;
error_log $w/nginx-error.log notice;
events { worker_connections 8192; }
http {
  # No per-request log line: the reference server writes none either, and the throughput
  # comparison should not measure log formatting.
  access_log off;
  default_type text/plain;
  keepalive_requests 1000000;
  client_body_temp_path $w/nginx-tmp/body;
  proxy_temp_path $w/nginx-tmp/proxy;
  fastcgi_temp_path $w/nginx-tmp/fastcgi;
  uwsgi_temp_path $w/nginx-tmp/uwsgi;
  scgi_temp_path $w/nginx-tmp/scgi;
  upstream slow_backend { server 127.0.0.1:$backend_port; keepalive 64; }
  server {
    listen 127.0.0.1:$port backlog=4096;
    add_header X-Pid \$pid always;
    location = / { return 200 "hello gin!"; }
    location = /healthz { return 200 "ok"; }
    location = /slow {
      proxy_pass http://slow_backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_hide_header X-Pid;
      proxy_hide_header X-Generation;
      proxy_read_timeout 30s;
    }
  }
}
CONF
/usr/sbin/nginx -c "$w/nginx.conf" -p "$w" -e "$w/nginx-error.log" &
master=$!
wait_serving "$port" "$master" || exit 1
notify_mainpid "$w" "$master"
echo "listening on 127.0.0.1:$port pid=$master"

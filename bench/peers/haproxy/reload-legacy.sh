#!/bin/bash
# haproxy/reload-legacy.sh WORKDIR: the reload of a HAProxy without master (run.sh ... legacy):
# a new daemon with the same config and -sf <old pid>: once it has bound the port (again,
# SO_REUSEPORT, no -x) it tells the old one to finish its connections and exit. The new
# process is announced to the harness (MAINPID).
set -uo pipefail
w=$1
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/common.sh"
old=$(cat "$w/haproxy.pid")
/usr/sbin/haproxy -D -p "$w/haproxy.pid" -f "$w/haproxy.cfg" -sf "$old" 2>>"$w/haproxy.log"
notify_mainpid "$w" "$(cat "$w/haproxy.pid")"

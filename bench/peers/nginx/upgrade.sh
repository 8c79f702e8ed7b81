#!/bin/bash
# nginx/upgrade.sh WORKDIR: nginx's binary upgrade, the documented way. USR2 to the master (it
# renames its pid file to nginx.pid.oldbin and execs a new master from the binary on disk, which
# inherits the listening sockets), wait until the new master has its worker, then WINCH (the old
# workers stop gracefully) and QUIT (the old master leaves once they are done). The new master
# is announced to the harness (MAINPID) so that the next upgrade starts from it.
set -uo pipefail
w=$1
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/common.sh"
# A master still waiting for its predecessor to leave ignores USR2: wait for the .oldbin pid
# file (removed when the old master exits) to go, at most ~5 s.
for _ in $(seq 1000); do [[ -e $w/nginx.pid.oldbin ]] || break; sleep 0.005; done
old=$(cat "$w/nginx.pid")
kill -USR2 "$old"
new=
for _ in $(seq 1000); do   # at most ~5 s
  if [[ -s $w/nginx.pid.oldbin && -s $w/nginx.pid ]]; then
    new=$(cat "$w/nginx.pid")
    [[ -n $new && $new != "$old" ]] && pgrep -P "$new" >/dev/null && break
    new=
  fi
  sleep 0.002
done
if [[ -z $new ]]; then echo "upgrade.sh: no new master after USR2 to $old" >&2; exit 1; fi
notify_mainpid "$w" "$new"
kill -WINCH "$old"
kill -QUIT "$old"

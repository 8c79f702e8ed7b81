# Sourced by the nginx and HAProxy wrappers.

# wait_serving PORT PID: until GET /healthz on PORT answers (at most ~5 s, while PID lives).
wait_serving() {
  local port=$1 pid=$2
  for _ in $(seq 1000); do
    kill -0 "$pid" 2>/dev/null || { echo "peer $pid exited" >&2; return 1; }
    curl -fs -o /dev/null -m 1 "http://127.0.0.1:$port/healthz" && return 0
    sleep 0.005
  done
  echo "peer on port $port never answered" >&2
  return 1
}

# start_backend WORKDIR SERVER_BIN: the reference server in shutdown mode as the upstream for
# /slow (nginx and HAProxy cannot delay a response themselves). Its port -> $backend_port.
# Its stdout goes to a file: the harness takes the first "listening on" line on ours as the peer.
start_backend() {
  local w=$1 bin=$2
  # not a generation of the peer: keep it off the harness's NOTIFY_SOCKET
  env -u NOTIFY_SOCKET "$bin" --mode shutdown --port 0 --keepalive-timeout 30s >"$w/backend.out" 2>"$w/backend.log" &
  for _ in $(seq 1000); do
    backend_port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$w/backend.out" 2>/dev/null)
    [[ -n $backend_port ]] && return 0
    sleep 0.005
  done
  echo "backend did not start" >&2
  return 1
}

# notify_mainpid WORKDIR PID: tell the harness (NOTIFY_SOCKET, NotifyAccess=all) which pid to
# signal and follow from now on.
notify_mainpid() {
  /usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(("MAINPID=%s\n" % sys.argv[2]).encode(), sys.argv[1])' \
    "$1/notify.sock" "$2" 2>/dev/null || true
}

#!/usr/bin/env bash
# bench/compare.sh [--quick] [--long [N_SLICES]] [--no-micro] [--build-dir DIR] [--results DIR]
#
# The side-by-side benchmark in one command: installs what the peers need (Debian packages),
# builds zerodrop (Release, its own build dir), then
#   1. runs the reference server and every peer through the shared restart scenarios
#      (bench/scenarios/restart-both.yaml, restart-fresh-2k.yaml), each with its usual restart;
#   2. wrk throughput (keep-alive, 1 thread, 50 connections) on the reference server and on
#      nginx with one worker;
#   3. the load generator against wrk on the same server, keep-alive and new connections;
#   4. the Google Benchmark micro suite (bench/micro/run_all.sh), when present;
# and writes bench/results/RESULTS.md and bench/results/chart.svg (raw figures in
# bench/results/raw/). --long runs only the long run: N_SLICES (default 5) x 200 SIGHUPs of the
# reference server under 5,000 req/s (bench/scenarios/long-5k.yaml) -> bench/results/LONG.md.
#
# Time: ~10 minutes by default, ~3 with --quick, ~5 for --long (every run is bounded: each
# scenario by its duration, wrk by -d, each harness run by `timeout`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
quick=0 long=0 slices=5 micro=1 build=$root/build-bench results=$here/results
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) quick=1 ;;
    --long) long=1; if [[ ${2:-} =~ ^[0-9]+$ ]]; then slices=$2; shift; fi ;;
    --no-micro) micro=0 ;;
    --build-dir) build=$2; shift ;;
    --results) results=$(mkdir -p "$2" && cd "$2" && pwd); shift ;;
    -h|--help) sed -n 2,20p "$0"; exit 0 ;;
    *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '[compare %s] %s\n' "$(date -u +%T)" "$*" >&2; }

bash "$root/ci/install-deps.sh" core peers
log "building in $build (Release)"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target zerodrop zerodrop-server bench_peers_go >/dev/null
if [[ $micro == 1 && $long == 0 && -x $here/micro/run_all.sh ]]; then
  cmake --build "$build" -j2 --target zerodrop-bench-parser zerodrop-bench-server zerodrop-bench-restart >/dev/null ||
    log "micro-benchmark targets did not build; run_all.sh will say what is missing"
fi

zd=$build/harness/zerodrop
server=$build/server/zerodrop-server
gobin=$build/bench/peers
peer_scenarios=$root/scenarios/peers
raw=$results/raw
work=$(mktemp -d /tmp/zerodrop-compare-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$raw"
analyze() { python3 "$here/analyze.py" "$@"; }
# figures HISTORY OUT.json [--window-ms N]: the run's comparison figures, computed by zerodrop
# itself (`zerodrop report --figures`; its exit status is the run's verdict, not an error here).
figures() { "$zd" report "$1" --figures "$2" "${@:3}" >/dev/null 2>&1 || true; }

machine_json() {
  python3 - "$@" <<'EOF'
import json, os, platform, subprocess, sys, datetime
def sh(c):
    try:
        return subprocess.run(c, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return "?"
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
print(json.dumps({
    "date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
    "nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
    "nginx": sh("dpkg-query -W -f='${Version}' nginx-light"),
    "haproxy": sh("dpkg-query -W -f='${Version}' haproxy"),
    "go": sh("dpkg-query -W -f='${Version}' golang-go"),
    "tableflip": sh("dpkg-query -W -f='${Version}' golang-github-cloudflare-tableflip-dev"),
    "grace": sh("dpkg-query -W -f='${Version}' golang-github-facebookgo-grace-dev"),
    "wrk": sh("dpkg-query -W -f='${Version}' wrk"),
    "load average at start": sh("cut -d' ' -f1-3 /proc/loadavg"),
}))
EOF
}

# run_one PEER SCENARIO_SRC OUT_JSONL: one harness run. A peer is started as its scenario in
# scenarios/peers/ starts it (its server: and sidecars: sections; its config templates from
# there: --var scenario_dir) and run through the shared load and restart schedule of
# SCENARIO_SRC; only the restart fault differs, as each peer's users restart it. No wrapper.
run_one() {
  local peer=$1 src=$2 out=$3
  local name
  name=$(basename "$src" .yaml)
  local sc=$work/$peer-$name.yaml report=$work/$peer-$name.json
  local args=() run_args=(--var "scenario_dir=$peer_scenarios")
  local g
  for g in shutdown tableflip grace endless; do run_args+=(--var "go_$g=$gobin/go-$g"); done
  [[ $quick == 1 ]] && args+=(--quick)
  case $peer in
    reference)        args+=(--signal HUP) ;;
    nginx-hup)        args+=(--peer --signal HUP --server-from "$peer_scenarios/nginx-hup.yaml") ;;
    nginx-upgrade)    args+=(--peer --signal USR2 --server-from "$peer_scenarios/nginx-upgrade.yaml"
                             --then "{after: ready, to: previous, signal: WINCH}"
                             --then "{after: ready, to: previous, signal: QUIT}") ;;
    haproxy-reload)   args+=(--peer --signal HUP --server-from "$peer_scenarios/haproxy-reload.yaml") ;;
    haproxy-seamless) args+=(--peer --signal HUP --server-from "$peer_scenarios/haproxy-reload-x.yaml") ;;
    # No master (-D: a daemon writing its pid file), reloaded the legacy way: a new process with
    # -sf <old pid> and no -x binds the port again (SO_REUSEPORT). Only in this comparison.
    haproxy-legacy)   args+=(--peer --server-from "$here/scenarios/peer-haproxy-legacy.yaml"
                             --command '["/bin/sh", "-c", "exec /usr/sbin/haproxy -D -p {pid_file} -f {workdir}/haproxy.cfg -sf $(cat {pid_file})"]') ;;
    # Stop, then start again (a supervisor's restart of a server whose only graceful path is
    # Shutdown): the new process, a child of the fault's shell, is re-parented to the harness
    # and announces itself in the pid file. Only in this comparison.
    go-shutdown)      args+=(--peer --server-from "$here/scenarios/peer-go-shutdown.yaml"
                             --command '["/bin/sh", "-c", "old=$(cat {pid_file}); kill -TERM $old; while kill -0 $old 2>/dev/null; do sleep 0.005; done; {go_shutdown} -addr 127.0.0.1:{port} -pid-file {pid_file} >>{workdir}/go-shutdown.log 2>&1 &"]') ;;
    go-tableflip)     args+=(--peer --signal HUP --server-from "$peer_scenarios/go-tableflip.yaml") ;;
    go-grace)         args+=(--peer --signal USR2 --server-from "$here/scenarios/peer-go-grace.yaml") ;;
    go-endless)       args+=(--peer --signal HUP --server-from "$peer_scenarios/go-endless.yaml") ;;
    *) echo "unknown peer $peer" >&2; return 1 ;;
  esac
  analyze scenario "$src" "$sc" "${args[@]}"
  log "$peer: $name"
  timeout 120 "$zd" run "$sc" "${run_args[@]}" --report "$report" --history "$report.history" \
    >"$work/$peer-$name.out" 2>&1 || true
  if [[ -s $report ]]; then
    figures "$report.history" "$report.figures"
    analyze summarize "$report.figures" --peer "$peer" --scenario "$name" >>"$out"
    grep -E "no_dropped_requests|RESULT" "$work/$peer-$name.out" | sed 's/^/    /' >&2 || true
  else
    log "$peer: $name: no report; harness said: $(tail -3 "$work/$peer-$name.out" | tr '\n' ' ')"
  fi
}

# ---------------------------------------------------------------- the long run
if [[ $long == 1 ]]; then
  out=$raw/long.jsonl
  : >"$out"
  machine_json >"$raw/machine-long.json"
  for i in $(seq "$slices"); do
    log "long run: slice $i/$slices (200 SIGHUPs, 5,000 req/s, ~52 s)"
    timeout 150 "$zd" run "$here/scenarios/long-5k.yaml" --server "$server --mode fork-restart --pid-file {pid_file}" \
      --report "$work/long.json" --history "$work/long.history" >"$work/long-$i.out" 2>&1 || true
    grep -E "no_dropped_requests|in_flight_served|RESULT" "$work/long-$i.out" | sed 's/^/    /' >&2 || true
    if [[ -s $work/long.json ]]; then
      figures "$work/long.history" "$work/long.figures" --window-ms 100
      analyze summarize "$work/long.figures" --peer reference --scenario long-5k \
        --extra '{"target_rate": 5000}' >>"$out"
      cp "$work/long-$i.out" "$raw/long-$i.txt"
      rm -f "$work/long.json" "$work/long.history" "$work/long.figures"
    fi
  done
  analyze render --long "$out" --machine "$raw/machine-long.json" --md "$results/LONG.md" \
    --note "bench/compare.sh --long: bench/scenarios/long-5k.yaml run $slices times (200 SIGHUPs 240 ms apart each, 5,000 req/s open loop, both connection modes, 300 ms slow requests in flight). Latency window: ±100 ms around each SIGHUP (restarts are 240 ms apart)."
  log "wrote $results/LONG.md"
  exit 0
fi

machine_json >"$raw/machine.json"

# ---------------------------------------------------------------- 1. restarts, side by side
runs=$raw/runs.jsonl
: >"$runs"
for src in "$here/scenarios/restart-both.yaml" "$here/scenarios/restart-fresh-2k.yaml"; do
  for peer in reference nginx-hup nginx-upgrade haproxy-reload haproxy-seamless haproxy-legacy go-shutdown go-tableflip go-grace go-endless; do
    run_one "$peer" "$src" "$runs"
  done
done

# ---------------------------------------------------------------- 2. wrk throughput
wrk_dur=5s
[[ $quick == 1 ]] && wrk_dur=3s
wrkj=$raw/wrk.jsonl
: >"$wrkj"
# cpu_ticks PID: user + system CPU time of PID so far, in clock ticks (/proc/PID/stat fields 14
# and 15, counted after the ")" that ends the command name).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }
# wrk_run NAME MODE PORT SERVER_PID [extra wrk args]: appends one line, echoes requests/s.
# With one wrk thread on 2 cores, wrk itself can be the bottleneck (both servers then show the
# same requests/s), so the line also has the server's own CPU time per request: what the
# server spends, whoever is the bottleneck.
wrk_run() {
  local name=$1 mode=$2 port=$3 spid=$4
  shift 4
  local args=(-t1 -c50 -d"$wrk_dur" "$@")
  local txt c0 c1
  c0=$(cpu_ticks "$spid")
  txt=$(timeout 60 wrk "${args[@]}" "http://127.0.0.1:$port/" 2>&1 || true)
  c1=$(cpu_ticks "$spid")
  python3 - "$name" "$mode" "${args[*]}" "$txt" "${c0:-}" "${c1:-}" "$(getconf CLK_TCK)" >>"$wrkj" <<'EOF'
import json, re, sys
name, mode, args, txt, c0, c1, hz = sys.argv[1:8]
m = re.search(r"Requests/sec:\s+([\d.]+)", txt)
total = re.search(r"(\d+) requests in", txt)
cpu_us = None
if c0 and c1 and total and int(total.group(1)) > 0:
    cpu_us = (int(c1) - int(c0)) / float(hz) * 1e6 / int(total.group(1))
errs = []
for pat in (r"Non-2xx or 3xx responses: (\d+)", r"Socket errors: ([^\n]+)"):
    e = re.search(pat, txt)
    if e:
        errs.append(e.group(0))
print(json.dumps({"server": name, "mode": mode, "args": "wrk " + args, "rps": float(m.group(1)) if m else None,
                  "server_cpu_us_per_request": cpu_us, "errors": "; ".join(errs) or "0"}))
EOF
  tail -1 "$wrkj" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rps"])'
}
# start_ref: the reference server on an ephemeral port -> $ref_pid $ref_port
start_ref() {
  "$server" --mode shutdown --port 0 >"$work/ref.out" 2>"$work/ref.log" &
  ref_pid=$!
  for _ in $(seq 500); do
    ref_port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$work/ref.out")
    [[ -n $ref_port ]] && return 0
    sleep 0.01
  done
  return 1
}
# Both servers up at once and measured in turns (reference, nginx, reference, nginx, ...), each
# figure the median of its rounds: on a shared VM the machine's speed drifts by tens of percent
# within minutes, and back-to-back blocks would charge that drift to one server.
wrk_rounds=3
[[ $quick == 1 ]] && wrk_rounds=1
start_ref
nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx"
# scenarios/peers/nginx.conf with one worker (the CPU of the one process serving is measured),
# its placeholders filled in as the harness's server.files does.
python3 -c '
import sys
text = open(sys.argv[1]).read().replace("worker_processes 2;", "worker_processes 1;")
for k, v in {"workdir": sys.argv[2], "port": sys.argv[3], "pid_file": sys.argv[2] + "/nginx.pid"}.items():
    text = text.replace("{%s}" % k, v)
sys.stdout.write(text)' "$peer_scenarios/nginx.conf" "$work/nginx" "$nginx_port" >"$work/nginx/nginx.conf"
/usr/sbin/nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -e "$work/nginx/nginx-error.log" -g "daemon on;"
for _ in $(seq 500); do [[ -s $work/nginx/nginx.pid ]] && break; sleep 0.01; done
nginx_worker=$(pgrep -P "$(cat "$work/nginx/nginx.pid")" | head -1)
log "wrk: reference server (port $ref_port) and nginx, 1 worker (port $nginx_port), $wrk_rounds rounds in turn"
for _ in $(seq "$wrk_rounds"); do
  wrk_run reference keep-alive "$ref_port" "$ref_pid" >/dev/null
  wrk_run "nginx (1 worker)" keep-alive "$nginx_port" "$nginx_worker" >/dev/null
  wrk_run reference new-connection "$ref_port" "$ref_pid" -H 'Connection: close' >/dev/null
  wrk_run "nginx (1 worker)" new-connection "$nginx_port" "$nginx_worker" -H 'Connection: close' >/dev/null
done
kill -TERM "$ref_pid"; wait "$ref_pid" 2>/dev/null || true
kill -QUIT "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
# wrk_median MODE: the reference server's median requests/s in that mode
wrk_median() {
  python3 - "$wrkj" "$1" <<'EOF'
import json, statistics, sys
rps = [w["rps"] for w in map(json.loads, open(sys.argv[1])) if w["server"] == "reference" and w["mode"] == sys.argv[2] and w["rps"]]
print(statistics.median(rps) if rps else "")
EOF
}
ref_ka=$(wrk_median keep-alive)
ref_close=$(wrk_median new-connection)

# ---------------------------------------------------------------- 3. load generator vs wrk
# Closed loop, 50 clients (as wrk's 50 connections), GET / on the reference server, one
# engine thread (as wrk -t1); the rate is ok responses / duration. The same server build, the
# same machine, back to back with the wrk runs above.
lgj=$raw/loadgen.jsonl
: >"$lgj"
for mode in keepalive fresh; do
  src=$here/scenarios/closed-$mode.yaml
  sc=$work/closed-$mode.yaml
  if [[ $quick == 1 ]]; then sed 's/duration_ms: 4000/duration_ms: 3000/' "$src" >"$sc"; else cp "$src" "$sc"; fi
  log "load generator: closed-$mode"
  timeout 60 "$zd" run "$sc" --history "$work/closed-$mode.history" >"$work/closed-$mode.out" 2>&1 || true
  figures "$work/closed-$mode.history" "$work/closed-$mode.json"
  zrps=$(analyze summarize "$work/closed-$mode.json" --peer reference --scenario "closed-$mode" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["rate_ok_per_s"] or 0)')
  wrps=$ref_ka
  [[ $mode == fresh ]] && wrps=$ref_close
  python3 -c 'import json,sys; m,w,z=sys.argv[1],float(sys.argv[2] or 0),float(sys.argv[3] or 0); print(json.dumps({"mode": m, "wrk_rps": w, "zerodrop_rps": z, "ratio": (z / w) if w else None, "method": "zerodrop closed loop, 50 clients, GET /, bench/scenarios/closed-%s.yaml; wrk -t1 -c50%s" % (sys.argv[4], " -H \"Connection: close\"" if m == "new-connection" else "")}))' \
    "$([[ $mode == fresh ]] && echo new-connection || echo keep-alive)" "$wrps" "$zrps" "$mode" >>"$lgj"
  rm -f "$work/closed-$mode.json" "$work/closed-$mode.history"
done

# ---------------------------------------------------------------- 4. micro suite
micro_md=""
if [[ $micro == 1 && -x $here/micro/run_all.sh ]]; then
  log "micro suite: bench/micro/run_all.sh"
  if timeout 600 "$here/micro/run_all.sh" "$build" "$raw/micro" >"$work/micro.out" 2>&1 && [[ -s $raw/micro/micro.md ]]; then
    micro_md="See [raw/micro/micro.md](raw/micro/micro.md) (bench/micro/run_all.sh)."
  else
    micro_md="bench/micro/run_all.sh failed: $(tail -2 "$work/micro.out" | tr '\n' ' ')"
  fi
elif [[ $micro == 1 ]]; then
  micro_md="Skipped: bench/micro/run_all.sh is not present."
else
  micro_md="Skipped (--no-micro)."
fi

# ---------------------------------------------------------------- results
qnote=""
if [[ $quick == 1 ]]; then qnote=" --quick"; fi
note="bench/compare.sh$qnote: every peer through the same scenarios (open loop; latency from the scheduled start; fast requests only; restart window = scheduled within ±500 ms of a restart fault). Other processes running on the machine at the same time share its cores: see the load average at start."
analyze render --runs "$runs" --wrk "$wrkj" --loadgen "$lgj" --machine "$raw/machine.json" \
  --micro "$micro_md" --note "$note" --md "$results/RESULTS.md" --svg "$results/chart.svg"
log "wrote $results/RESULTS.md and $results/chart.svg"

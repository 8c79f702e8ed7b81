#!/usr/bin/env bash
# scoreboard.sh [--build-dir DIR] [--out FILE] [PEER...]: `zerodrop conform` against every peer
# available on this machine, one after another, and bench/results/SCOREBOARD.md: each peer's
# level, the invariant (and its evidence) that stopped it, and the one command that reproduces
# it. A peer whose programs are missing is listed as skipped, with what is missing.
#
# Peers are the rows of the table below: name, what it is, what it needs, the conform arguments
# ({build} is the build dir, {peers} bench/peers, {scenarios} scenarios/). Each peer's table and
# JSON report stay in bench/results/raw/conform/<peer>.{txt,json}; each scenario's files (its
# YAML, history, report) in a /tmp/zerodrop-scoreboard-* directory, named on stderr.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$root/build
out=$here/results/SCOREBOARD.md
while [[ $# -gt 0 ]]; do
  case $1 in
    --build-dir) build=$(cd "$2" && pwd); shift ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    -*) echo "scoreboard.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done
zd=$build/harness/zerodrop
[[ -x $zd ]] || { echo "scoreboard.sh: no $zd (cmake --build --preset ci first)" >&2; exit 2; }

# name | what | needs (space-separated files) | conform arguments
peers_table() {
  cat <<'PEERS'
reference|zerodrop-server --mode fork-restart (this repository)|{build}/server/zerodrop-server|--server "{build}/server/zerodrop-server --mode fork-restart --pid-file {pid_file} --shutdown-timeout 1s" --drain-ms 1000
go-endless|Go net/http, fvbock/endless-style fork + exec, SIGHUP (bench/peers/go/endless.go)|{build}/bench/peers/go-endless|--from {scenarios}/peers/go-endless.yaml --var go_endless={build}/bench/peers/go-endless
go-tableflip|Go net/http + cloudflare/tableflip, SIGHUP (bench/peers/go/tableflip.go)|{build}/bench/peers/go-tableflip|--from {scenarios}/peers/go-tableflip.yaml --var go_tableflip={build}/bench/peers/go-tableflip
go-shutdown|Go net/http Shutdown only, no restart (bench/peers/go/shutdown.go)|{build}/bench/peers/go-shutdown|--from {scenarios}/peers/go-shutdown.yaml --var go_shutdown={build}/bench/peers/go-shutdown
go-grace|Go net/http + facebookgo/grace, SIGUSR2 (bench/peers/go/grace.go)|{build}/bench/peers/go-grace|--server "{build}/bench/peers/go-grace -addr 127.0.0.1:{port}" --listener port --ready stdout --reload-signal USR2
gunicorn|gunicorn 20.1, 2 gthread workers, SIGHUP reload in place (scenarios/peers/gunicorn-hup.yaml)|/usr/lib/python3/dist-packages/gunicorn|--from {scenarios}/peers/gunicorn-hup.yaml
nginx|nginx 1.22 (Debian), SIGHUP reload in place, QUIT to stop (scenarios/peers/nginx-hup.yaml)|/usr/sbin/nginx|--from {scenarios}/peers/nginx-hup.yaml --stop-signal QUIT
haproxy|HAProxy 2.6 master-worker, SIGHUP reload in place, USR1 soft stop (scenarios/peers/haproxy-reload.yaml)|/usr/sbin/haproxy|--from {scenarios}/peers/haproxy-reload.yaml --stop-signal USR1
PEERS
}

subst() {
  local s=$1
  s=${s//\{build\}/$build}
  s=${s//\{peers\}/$here/peers}
  s=${s//\{scenarios\}/$root/scenarios}
  printf '%s' "$s"
}

want=("$@")
raw=$here/results/raw/conform
runs=$(mktemp -d /tmp/zerodrop-scoreboard-XXXXXX)
mkdir -p "$raw"
echo "[scoreboard] each scenario's files: $runs/<peer>/" >&2
rows=()
while IFS='|' read -r name what needs args; do
  [[ -z $name ]] && continue
  if [[ ${#want[@]} -gt 0 && ! " ${want[*]} " == *" $name "* ]]; then continue; fi
  missing=""
  for f in $(subst "$needs"); do [[ -e $f ]] || missing+=" $f"; done
  args=$(subst "$args")
  # The command as a reader reruns it, from the repository's root with a `build` dir.
  shown="build/harness/zerodrop conform ${args//$build/build}"
  shown=${shown//$here/bench}
  shown=${shown//$root\//}
  if [[ -n $missing ]]; then
    echo "[scoreboard] $name: skipped, missing$missing" >&2
    rows+=("| $name | $what | skipped | – | missing:${missing//$build/build} | \`$shown\` |")
    continue
  fi
  report=$raw/$name.json text=$raw/$name.txt
  rm -f "$report" "$text"
  echo "[scoreboard] $name: zerodrop conform $args" >&2
  start=$(date +%s)
  eval "timeout 600 \"\$zd\" conform $args --workdir \"\$runs/\$name\" --report \"\$report\"" \
    >"$text" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  row=$(python3 - "$report" "$rc" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception:
    print(f"error | – | no report (exit {sys.argv[2]})")
    sys.exit()
stop = next((l for l in r["levels"] if l["state"] in ("stopped", "unknown")), None)
level = f"L{r['reached']}" if r["reached"] else "none"
if stop is None:
    print(f"**{level}** | – | every level reached")
else:
    ev = stop["evidence"].replace("|", "\\|")
    if len(ev) > 220:
        ev = ev[:217] + "..."
    print(f"**{level}** | L{stop['level']} {stop['state']}: `{stop['invariant']}` | {ev}")
PY
)
  echo "[scoreboard] $name: exit $rc, ${secs} s: $row" >&2
  rows+=("| $name | $what | $row | \`$shown\` |")
done < <(peers_table)

{
  echo "# Conformance scoreboard"
  echo
  echo "\`zerodrop conform\` against each peer, generated by \`bench/scoreboard.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end). The levels"
  echo "([README](../../README.md#point-zerodrop-at-your-own-server)): L1 graceful shutdown,"
  echo "L2 restart without loss on fresh connections, L3 the same over keep-alive, L4 bounded latency,"
  echo "L5 robust (signal storm, failed restart, crash during start, 100 restarts without a leak)."
  echo "A level counts only when every lower one is reached; an invariant that could not be"
  echo "decided (\`unknown\`) stops the climb as well and is never counted as a pass."
  echo
  echo "| peer | what | level reached | stopped by | evidence | reproduce |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Each peer's table and JSON report: \`bench/results/raw/conform/<peer>.{txt,json}\`."
  [[ -f $here/results/SCOREBOARD.notes.md ]] && { echo; cat "$here/results/SCOREBOARD.notes.md"; }
} >"$out"
echo "[scoreboard] wrote $out" >&2

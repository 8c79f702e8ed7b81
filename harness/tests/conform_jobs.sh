#!/usr/bin/env bash
# `zerodrop conform --jobs`: the scenarios of a level in child processes must change nothing but
# the time it takes, and an interrupt must end every child.
#
#   conform_jobs.sh ZERODROP OUTDIR same "SERVER CMD" [conform args...]
#     runs the suite with --jobs 1 and with --jobs 2: the exit code, the levels (state, invariant,
#     the scenarios kept and their verdicts) and the table's lines (without their seconds and
#     evidence numbers) must be the same. With a server that fails L1's first scenario, --jobs 2
#     runs L1's second beside it: it must be left out, as --jobs 1 never runs it.
#   conform_jobs.sh ZERODROP OUTDIR interrupt "SERVER CMD" [conform args...]
#     SIGINT to `conform --jobs 2` once both L1 runs have started their server: exit 130, and
#     every process those runs recorded (each `zerodrop run`, each server generation) is gone.
set -uo pipefail
zerodrop=$1 outdir=$2 mode=$3 server=$4
shift 4
rm -rf "$outdir"
mkdir -p "$outdir"


if [[ $mode == same ]]; then
  "$zerodrop" conform --server "$server" --workdir "$outdir/j1/runs" --report "$outdir/j1.json" \
    --jobs 1 "$@" >"$outdir/j1.txt" 2>&1
  rc1=$?
  "$zerodrop" conform --server "$server" --workdir "$outdir/j2/runs" --report "$outdir/j2.json" \
    --jobs 2 "$@" >"$outdir/j2.txt" 2>&1
  rc2=$?
  cat "$outdir/j1.txt" "$outdir/j2.txt"
  python3 - "$outdir" "$rc1" "$rc2" <<'PY'
import json, re, sys
out, rc1, rc2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def verdicts(name):
    r = json.load(open(f"{out}/{name}.json"))
    return (r["exit"], r["reached"],
            [(l["level"], l["state"], l["invariant"],
              [(s["name"], s["verdict"], s["invariant"], s["exit"]) for s in l["scenarios"]])
             for l in r["levels"]])
def table(name):
    # A scenario line without its seconds; a level row without its evidence (numbers measured).
    lines = []
    for line in open(f"{out}/{name}.txt"):
        if re.match(r"  L\d ", line):
            lines.append(re.sub(r"\d+\.\d s  ", "", line.rstrip()))
        elif re.match(r"L\d ", line):
            lines.append(" ".join(line.split()[:3]))
    return lines
bad = 0
if rc1 != rc2:
    print(f"FAIL: --jobs 1 exited {rc1}, --jobs 2 {rc2}"); bad = 1
for what, f in (("report", verdicts), ("table", table)):
    a, b = f("j1"), f("j2")
    if a != b:
        print(f"FAIL: the {what} differs:\n  --jobs 1: {a}\n  --jobs 2: {b}"); bad = 1
if not bad:
    print(f"ok: --jobs 1 and --jobs 2 agree: exit {rc1}, {verdicts('j1')[2]}")
sys.exit(bad)
PY
  exit $?
fi

# interrupt
runs=$outdir/runs
"$zerodrop" conform --server "$server" --workdir "$runs" --jobs 2 "$@" >"$outdir/conform.txt" 2>&1 &
pid=$!
# Both L1 runs have spawned their server: a bounded wait on their histories (streamed as they go).
for ((i = 0; i < 400; i++)); do
  n=$(grep -l '"event":"spawned"' "$runs"/L1-*.jsonl 2>/dev/null | wc -l)
  [[ $n -ge 2 ]] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.05
done
if [[ ${n:-0} -lt 2 ]]; then
  kill -KILL $pid 2>/dev/null; wait $pid
  cat "$outdir/conform.txt"; echo "FAIL: the two L1 runs did not both start their server"; exit 1
fi
kill -INT $pid
wait $pid
rc=$?
cat "$outdir/conform.txt"
# Every pid the two runs recorded: the run itself (fd_limit), its servers.
pids=$(python3 - "$runs" <<'PY'
import glob, json, sys
pids = set()
for f in glob.glob(sys.argv[1] + "/L1-*.jsonl"):
    for line in open(f):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("type") == "event" and e.get("pid", 0) > 0:
            pids.add(e["pid"])
print(" ".join(map(str, sorted(pids))))
PY
)
status=0
[[ $rc -eq 130 ]] || { echo "FAIL: exit $rc after SIGINT, expected 130"; status=1; }
[[ -n $pids ]] || { echo "FAIL: no pid recorded"; status=1; }
for p in $pids; do
  if kill -0 "$p" 2>/dev/null; then
    echo "FAIL: pid $p ($(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null)) still there"; status=1
    kill -KILL "$p" 2>/dev/null
  fi
done
[[ $status -eq 0 ]] && echo "ok: exit 130, every recorded process gone: $pids"
exit $status

#!/usr/bin/env bash
# The fd-starved harness: `zerodrop run` under a 64-descriptor limit with 40 of them already
# taken by its parent (as a leaky CI runner does). The server is correct and gets a clean
# descriptor table (the harness passes it only fds 0-2 and its listener). Expected: exit 3, a
# report naming harness_error, and no_dropped_requests not failing.
#
#   run_starved.sh ZERODROP SCENARIO OUTDIR
set -uo pipefail
zerodrop=$1 scenario=$2 outdir=$3
mkdir -p "$outdir"
report=$outdir/harness-starved-of-fds.json
rm -f "$report"
(
  ulimit -n 64 || exit 99
  for fd in $(seq 20 59); do eval "exec $fd</dev/null"; done
  exec "$zerodrop" run "$scenario" --report "$report"
) >"$outdir/harness-starved-of-fds.txt" 2>&1
rc=$?
status=0
[[ $rc -eq 3 ]] || { echo "FAIL: exit $rc, expected 3 (inconclusive)"; status=1; }
grep -q '"harness_errors": [1-9]' "$report" 2>/dev/null ||
  { echo "FAIL: the report names no harness_error"; status=1; }
failed=$(tr -d ' \n' <"$report" 2>/dev/null | grep -o '"failed":\[[^]]*\]' | head -1)
[[ $failed == '"failed":[]' ]] || { echo "FAIL: invariants failed: $failed"; status=1; }
[[ $status -ne 0 ]] && cat "$outdir/harness-starved-of-fds.txt"
[[ $status -eq 0 ]] && echo "harness starved of fds: exit 3, harness_error, nothing charged to the server"
exit $status

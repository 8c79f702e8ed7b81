#!/usr/bin/env bash
# One `zerodrop conform` ctest: the exit code, the level reached and the invariant that stopped
# the climb (read from the JSON report) must all be the expected ones, so a level computed wrong
# (a pass counted past a failure, an unknown counted as a pass, the wrong level blamed) fails it.
#
#   conform_expect.sh ZERODROP OUTDIR EXIT REACHED INVARIANTS "SERVER CMD" [conform args...]
#
# INVARIANTS: the invariant named by the first level not reached, `a|b` for either (a bug whose
# two symptoms race), `-` when every level is reached.
set -uo pipefail
zerodrop=$1 outdir=$2 want_exit=$3 want_reached=$4 want_invariant=$5 server=$6
shift 6
rm -rf "$outdir"
mkdir -p "$outdir"
report=$outdir/conform.json

"$zerodrop" conform --server "$server" --workdir "$outdir/runs" --report "$report" "$@" \
  >"$outdir/conform.txt" 2>&1
rc=$?
cat "$outdir/conform.txt"

got=$(python3 - "$report" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
stop = next((l for l in r["levels"] if l["state"] in ("stopped", "unknown")), None)
print(r["reached"], stop["invariant"] if stop else "-", stop["state"] if stop else "-")
PY
) || { echo "FAIL: no readable report at $report (exit $rc)"; exit 1; }
read -r reached invariant state <<<"$got"

status=0
if [[ $rc -ne $want_exit ]]; then
  echo "FAIL: zerodrop conform exited $rc, expected $want_exit"; status=1
fi
if [[ $reached != "$want_reached" ]]; then
  echo "FAIL: level $reached reached, expected $want_reached"; status=1
fi
if ! grep -qxE -e "$want_invariant" <<<"$invariant"; then
  echo "FAIL: stopped by [$invariant] ($state), expected [$want_invariant]"; status=1
fi
[[ $status -eq 0 ]] && echo "ok: exit $rc, level $reached, stopped by [$invariant]"
exit $status

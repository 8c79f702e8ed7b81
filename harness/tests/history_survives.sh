#!/usr/bin/env bash
# The history survives the run: (1) `zerodrop run` killed with SIGKILL midway leaves a history
# that `zerodrop report` reads (header with the harness version, the events and requests so
# far); (2) a server that never becomes ready leaves one too, ending in `not_ready`.
#
#   history_survives.sh ZERODROP SCENARIO
set -uo pipefail
zerodrop=$1 scenario=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
status=0

"$zerodrop" run "$scenario" --history "$dir/killed.jsonl" >"$dir/run.txt" 2>&1 &
pid=$!
# Wait (bounded) until requests are being recorded, then kill the harness outright.
for _ in $(seq 1 200); do
  grep -q '"type":"request"' "$dir/killed.jsonl" 2>/dev/null && break
  sleep 0.05
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null  # (bash reports the kill; expected)
head -1 "$dir/killed.jsonl" | grep -q '"harness_version":"[0-9]' ||
  { echo "FAIL: no header with the harness version"; status=1; }
grep -q '"type":"request"' "$dir/killed.jsonl" || { echo "FAIL: no request recorded"; status=1; }
"$zerodrop" report "$dir/killed.jsonl" >"$dir/report.txt" 2>&1
rc=$?
if [[ $rc -eq 2 ]]; then  # a whole history, or one whose last line the kill cut, must read
  echo "FAIL: zerodrop report could not read the history of a killed run:"; cat "$dir/report.txt"
  status=1
fi

"$zerodrop" run "$scenario" --server /bin/false --history "$dir/never.jsonl" >"$dir/never.txt" 2>&1
rc=$?
[[ $rc -eq 1 ]] || { echo "FAIL: a server that never became ready: exit $rc, expected 1"; status=1; }
grep -q '"event":"not_ready"' "$dir/never.jsonl" 2>/dev/null ||
  { echo "FAIL: the never-ready run left no history ending in not_ready"; status=1; }

[[ $status -eq 0 ]] && echo "history survives a SIGKILL of the harness and a server that never became ready"
exit $status

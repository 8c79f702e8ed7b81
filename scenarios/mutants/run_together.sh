#!/usr/bin/env bash
# One scenario file's row of the mutant matrix as ONE ctest test: the reference run and every
# bug that shares the file, started at once, each judged by run_mutant.sh exactly as when each
# was a test of its own (issue 14: the suite at CI speed without losing a check). A run is mostly
# waiting (an open-loop load of 50-800 req/s for 1-3 s, a drain, a teardown), so the row takes as
# long as its longest member, not the sum, and ctest -j2 is no longer the bound on how many wait.
#
#   run_together.sh NAME CMD... [--- NAME CMD...]...
#
# Each member is NAME and a command (run_mutant.sh ...). Every member runs to its end whatever
# the others do; its output is printed once all have ended, each line prefixed "[NAME] " (what
# zerodrop_rate.sh counts), members in the order given. Exit 0 only if every member exited 0.
# A TERM/INT (ctest's timeout) is passed on to every member, whose `zerodrop run` then tears
# its servers down (and the guardian ends whatever is left if it cannot).
set -uo pipefail
out=$(mktemp -d "${TMPDIR:-/tmp}/zerodrop-matrix-XXXXXX") || exit 2
names=() pids=()
ending() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  wait
  rm -rf "$out"
  exit 1
}
trap ending TERM INT
start() {
  local name=$1
  shift
  [[ -n $name && $# -gt 0 ]] || { echo "run_together.sh: member '$name' has no command" >&2; exit 2; }
  names+=("$name")
  "$@" >"$out/${#names[@]}.txt" 2>&1 &
  pids+=($!)
}
member=()
for arg in "$@"; do
  if [[ $arg == --- ]]; then
    start "${member[@]}"
    member=()
  else
    member+=("$arg")
  fi
done
start "${member[@]}"

status=0 failed=()
for i in "${!pids[@]}"; do
  wait "${pids[$i]}"
  rc=$?
  sed "s/^/[${names[$i]}] /" "$out/$((i + 1)).txt"
  if [[ $rc -ne 0 ]]; then
    status=1
    failed+=("${names[$i]}")
  fi
done
rm -rf "$out"
if [[ $status -ne 0 ]]; then
  echo "FAIL: ${failed[*]} (of ${names[*]})"
else
  echo "all ${#names[@]} passed: ${names[*]}"
fi
exit $status

#!/usr/bin/env bash
# The test of ci/ctest_batch.sh (ctest: ci/ctest_batch): a batch of hand-made members, each
# clause of its contract checked on what it leaves behind. Its own slot directory (TMPDIR), so
# the suite's batches neither slow it nor are slowed by it.
#
#   ci/ctest_batch_test.sh CTEST_BATCH_SH
set -uo pipefail
batch=${1:?usage: ctest_batch_test.sh CTEST_BATCH_SH}
work=$(mktemp -d "${TMPDIR:-/tmp}/zerodrop-batch-test-XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work
failures=0
check() {  # check DESCRIPTION COMMAND...
  if "${@:2}"; then echo "ok: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi
}
gone() {  # gone PID: no such process, or only a zombie (whoever adopted it has not reaped it yet)
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [[ -z $state || $state == Z ]]
}
member() {  # member KEY NAME TIMEOUT SLOTS ARG...  (LOCK=name in the environment: its lock)
  local key=$1
  shift
  mkdir -p "$work/members"
  printf '%s\n' "$1" "$work" "$2" "$3" "${LOCK:--}" "${@:4}" >"$work/members/$key.member"
}

# 1. Verdicts pass through: exit status and output of each member, 77 (skip) included.
member 1-pass pass 30 1 sh -c 'sleep 1; echo passing; exit 0'
member 2-fail fail 30 1 sh -c 'echo failing >&2; exit 3'
member 3-skip skip 30 1 sh -c 'exit 77'
# 2. A member past its timeout is ended whole: its child too (same process group).
member 4-slow slow 1 1 sh -c 'sleep 30 & echo $! >'"$work"'/grandchild; wait'
# 3. One slot: members run one after the other, the costliest (first key) first.
ZERODROP_BATCH_SLOTS=1 "$batch" run "$work/members" "$work/out" >"$work/run.txt" 2>&1
check "run exits 0 whatever its members do" test $? -eq 0
check "a passing member's status and output" grep -qx passing "$work/out/1-pass.out"
"$batch" result "$work/out" 1-pass batch/t >/dev/null
check "result of a passing member exits 0" test $? -eq 0
"$batch" result "$work/out" 2-fail batch/t >"$work/fail.txt"
check "result of a failing member exits with its status" test $? -eq 3
check "result prints the member's stderr" grep -q failing "$work/fail.txt"
"$batch" result "$work/out" 3-skip batch/t >/dev/null
check "result of a skipped member exits 77" test $? -eq 77
check "a member past its timeout exits 124" test "$(cat "$work/out/4-slow.rc")" = 124
check "and says so" grep -q "slow: timed out after 1 s" "$work/out/4-slow.out"
check "its child is ended with it" gone "$(cat "$work/grandchild")"
check "one slot: the second member started after the first" \
  grep -q "started at +[1-9]" "$work/out/4-slow.time"
# 4. No result: the member's test fails and says why, even after an earlier run left files.
"$batch" result "$work/out" 9-never batch/t 2>"$work/none.txt"
check "result without a run exits 1" test $? -eq 1
check "and names the batch" grep -q "runs inside batch/t, which did not run it" "$work/none.txt"
echo 1 >"$work/out/stale.rc"
rm -f "$work/members/"*
member 1-again again 30 1 true
"$batch" run "$work/members" "$work/out" >/dev/null 2>&1
check "a new run empties the results of the last" test ! -e "$work/out/stale.rc"
# 5. Slots: a member taking 2 of 2 slots runs alone; SLOTS above the machine's are clamped.
rm -f "$work/members/"*
member 1-both both 30 2 sh -c 'sleep 1'
member 2-after after 30 1 true
member 3-more more 30 5 true
ZERODROP_BATCH_SLOTS=2 timeout 60 "$batch" run "$work/members" "$work/out" >/dev/null 2>&1
check "a member on every slot delays the next" grep -q "started at +[1-9]" "$work/out/2-after.time"
check "a member asking more slots than exist still runs" test "$(cat "$work/out/3-more.rc")" = 0
# 6. A lock: two members that share one never overlap, though slots are free.
rm -f "$work/members/"*
LOCK=pair member 1-first first 30 1 sh -c 'sleep 1'
LOCK=pair member 2-second second 30 1 true
member 3-free free 30 1 true
ZERODROP_BATCH_SLOTS=4 timeout 60 "$batch" run "$work/members" "$work/out" >/dev/null 2>&1
check "a member waits for its lock" grep -q "started at +[1-9]" "$work/out/2-second.time"
check "a member without it does not" grep -q "started at +0" "$work/out/3-free.time"
# 7. Malformed members and usage: exit 2.
rm -f "$work/members/"*
member 1-bad bad notanumber 1 true
"$batch" run "$work/members" "$work/out" >/dev/null 2>&1
check "a malformed member file is exit 2" test $? -eq 2
"$batch" run "$work/empty" "$work/out" >/dev/null 2>&1
check "no members is exit 2" test $? -eq 2
# 8. A TERM (ctest's timeout) ends the members.
rm -f "$work/members/"*
member 1-long long 60 1 sh -c 'echo $$ >'"$work"'/long.pid; sleep 60'
"$batch" run "$work/members" "$work/out" >/dev/null 2>&1 &
runner=$!
for _ in $(seq 100); do [[ -s $work/long.pid ]] && break; sleep 0.05; done
kill -TERM "$runner"
wait "$runner"
check "TERM: the batch exits non-zero" test $? -ne 0
check "TERM: its member is ended" gone "$(cat "$work/long.pid")"
((failures == 0)) && echo "all checks passed" || echo "$failures check(s) failed"
exit $((failures > 0))

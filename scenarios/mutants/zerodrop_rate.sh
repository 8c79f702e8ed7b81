#!/usr/bin/env bash
# Detection rate: runs the `mutants/zerodrop/*` and `mutants/reference/*` ctests N rounds
# (default 20; ~30 s a round with -j2: they run in batch/verdicts, which also runs the conform
# tests that share it) through ctest itself — the bugs, their scenarios, their expected
# invariants and their argv live in one place, CMakeLists.txt — and prints a markdown table:
# <bug> -> mutant detected (exit 1, exactly the expected invariants: its test passed) n/N;
# reference/<scenario> -> reference server passes (exit 0) n/N; harness-starved-of-fds ->
# inconclusive (exit 3) n/N. No retries; every round's ctest log stays in BUILD_DIR/mutant-rate/
# to read the misses. Extra arguments go to ctest (e.g. -j2). Run a second ctest beside it to
# measure under load, as the project's standard asks.
#
#   scenarios/mutants/zerodrop_rate.sh BUILD_DIR [N] [ctest args...]
set -uo pipefail
build=${1:?usage: zerodrop_rate.sh BUILD_DIR [N] [ctest args...]}
n=${2:-20}
shift $(($# >= 2 ? 2 : 1))
[[ $# -eq 0 ]] && set -- -j2
logs=$build/mutant-rate # kept: a miss is read, never guessed at
rm -rf "$logs" && mkdir -p "$logs"
for i in $(seq 1 "$n"); do
  ctest --test-dir "$build" -R '^mutants/(zerodrop|reference)/' --output-on-failure "$@" \
    >"$logs/round$i.log" 2>&1
done
# ctest's result lines: "k/m Test #N: NAME ....   Passed   1.23 sec" (or ***Failed, Timeout...).
declare -A passed seen
for log in "$logs"/round*.log; do
  while read -r test verdict; do
    seen[$test]=1
    [[ $verdict == Passed ]] && passed[$test]=$((${passed[$test]:-0} + 1))
  done < <(sed -nE 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: (mutants\/(zerodrop|reference)\/[^ ]+) \.+ *\**([A-Za-z]+).*/\1 \3/p' "$log")
done
echo "| run | mutant detected | reference server passes |"
echo "|---|---|---|"
for t in "${!seen[@]}"; do
  k=${passed[$t]:-0}
  case $t in
    */harness-starved-of-fds) echo "| \`${t#mutants/}\` | exit 3 (inconclusive, harness_error) $k/$n | – |" ;;
    mutants/reference/*) echo "| \`${t#mutants/}\` | – | $k/$n |" ;;
    *) echo "| \`${t#mutants/zerodrop/}\` | $k/$n | – |" ;;
  esac
done | sort

#!/usr/bin/env bash
# Detection rate: runs the `mutants/matrix/*` ctests (one per scenario file: the reference run
# and every bug sharing the file, at once) and `mutants/zerodrop/harness-starved-of-fds` N rounds
# (default 20; ~25 s a round with -j2) through ctest itself — the bugs, their scenarios, their
# expected invariants and their argv live in one place, CMakeLists.txt — and prints a markdown
# table: <bug> -> mutant detected (exit 1, exactly the expected invariants) n/N;
# reference/<scenario> -> reference server passes (exit 0) n/N. No retries; every round's
# ctest -V log stays in BUILD_DIR/mutant-rate/ to read the misses. Extra arguments go to ctest
# (e.g. -j2, or -R to pick tests). Run a second ctest beside it to measure under load, as the
# project's standard asks.
#
#   scenarios/mutants/zerodrop_rate.sh BUILD_DIR [N] [ctest args...]
set -uo pipefail
build=${1:?usage: zerodrop_rate.sh BUILD_DIR [N] [ctest args...]}
n=${2:-20}
shift $(( $# >= 2 ? 2 : 1 ))
[[ $# -eq 0 ]] && set -- -j2
logs=$build/mutant-rate  # kept: a miss is read, never guessed at
rm -rf "$logs" && mkdir -p "$logs"
for i in $(seq 1 "$n"); do
  ctest --test-dir "$build" -L mutants -R '^mutants/(matrix/|zerodrop/harness-starved)' -V "$@" \
    >"$logs/round$i.log" 2>&1
done
# In -V output every line of test N is prefixed "N: "; "Test #N: NAME" names it; a matrix row's
# members prefix their lines "[MEMBER] " (run_together.sh). Numbers are mapped to names per
# round (a reconfigure between rounds may renumber the tests).
declare -A det ref starved seen
for log in "$logs"/round*.log; do
  declare -A name=()
  while read -r num test; do name[$num]=$test; done < <(
    sed -nE 's/.*Test +#([0-9]+): (mutants\/(matrix|zerodrop)\/[^ ]+).*/\1 \2/p' "$log" | sort -u)
  while read -r num member what; do
    t=${name[$num]:-}
    [[ -z $t ]] && continue
    case $member in
      reference) key="reference/${t#mutants/matrix/}" ;;
      -) key=$t ;;
      *) key=$member ;;
    esac
    seen[$key]=1
    case $what in
      mutant*) det[$key]=$(( ${det[$key]:-0} + 1 )) ;;
      reference*) ref[$key]=$(( ${ref[$key]:-0} + 1 )) ;;
      harness*) starved[$key]=$(( ${starved[$key]:-0} + 1 )) ;;
      *) ;;  # a member seen, not passing
    esac
  done < <(sed -nE -e 's/^([0-9]+): \[([^]]+)\] (mutant: exit 1|reference: exit 0).*/\1 \2 \3/p' \
                   -e 's/^([0-9]+): \[([^]]+)\] .*/\1 \2 seen/p' \
                   -e 's/^([0-9]+): (harness starved of fds: exit 3).*/\1 - \2/p' "$log")
  unset name
done
echo "| run | mutant detected | reference server passes |"
echo "|---|---|---|"
for t in "${!seen[@]}"; do
  if [[ $t == */harness-starved-of-fds ]]; then
    echo "| \`$t\` | exit 3 (inconclusive, harness_error) ${starved[$t]:-0}/$n | – |"
  elif [[ $t == reference/* ]]; then
    echo "| \`$t\` | – | ${ref[$t]:-0}/$n |"
  else
    echo "| \`$t\` | ${det[$t]:-0}/$n | – |"
  fi
done | sort

#!/usr/bin/env bash
# Runs every `mutants/zerodrop/<bug>` check N times (default 20; about 80 s per round) and
# prints a markdown table: bug -> invariant(s) zerodrop names -> mutant detected (exit 1,
# exactly those invariants) n/N -> reference server passes (exit 0) n/N. No retries.
#
#   scenarios/mutants/zerodrop_rate.sh BUILD_DIR [N]
set -uo pipefail
build=${1:?usage: zerodrop_rate.sh BUILD_DIR [N]}
n=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
z=$build/harness/zerodrop
m=$build/scenarios/mutants/mutant_server/zerodrop-mutant
[[ -x $z && -x $m ]] || { echo "build $build lacks zerodrop or zerodrop-mutant" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rs="--mode fork-restart --pid-file {pid_file}"
# bug | expected failing invariants | mutant argv after --bug (keep in step with CMakeLists.txt)
specs=(
  "exit-at-once|no_dropped_requests|--mode shutdown --pid-file {pid_file}"
  "reuseport-restart|no_dropped_requests|$rs --port {port}"
  "early-close|no_dropped_requests|$rs --port {port}"
  "slow-start|latency_bound|$rs"
  "exec-in-place|pid_transition,settles|$rs"
  "fd-leak|no_leaks|$rs"
  "never-exits|old_generation_exits,settles|$rs --shutdown-timeout 2s"
  "ignore-deadline|old_generation_exits|--mode shutdown --pid-file {pid_file} --shutdown-timeout 300ms"
  "serve-503|no_dropped_requests|$rs"
  "truncate|no_dropped_requests|$rs"
  "keepalive-reset|no_dropped_requests|$rs"
)
echo "| bug (\`--bug\`) | \`zerodrop\` names | mutant detected | reference server passes |"
echo "|---|---|---|---|"
for spec in "${specs[@]}"; do
  IFS='|' read -r bug expected args <<<"$spec"
  detected=0 passed=0
  for _ in $(seq 1 "$n"); do
    # shellcheck disable=SC2086  # args is a word list on purpose
    result=$("$here/run_mutant.sh" "$z" "$here/zerodrop/$bug.mutant.yml" "$out/$bug" "$expected" \
             "$m" --bug "$bug" $args 2>&1)
    grep -q '^mutant: exit 1' <<<"$result" && detected=$((detected + 1))
    grep -q '^reference: exit 0' <<<"$result" && passed=$((passed + 1))
  done
  echo "| \`$bug\` | \`${expected//,/\`, \`}\` | $detected/$n | $passed/$n |"
done

#!/usr/bin/env bash
# Runs every mutant check N times (default 20) and prints a markdown table:
# bug -> what the fixture self-check observes -> the zerodrop invariant meant to catch it ->
# mutant detected n/N -> reference server passes n/N -> zerodrop-mutant --bug none passes n/N.
#
#   scenarios/mutants/detection_rate.sh BUILD_DIR [N]
#
# BUILD_DIR holds zerodrop_mutant_fixture_test (searched below it). No retries: a flaky
# detection shows as n < N and is fixed by sharpening the check, not by running it again.
set -euo pipefail
build=${1:?usage: detection_rate.sh BUILD_DIR [N]}
n=${2:-20}
bin=$(find "$build" -name zerodrop_mutant_fixture_test -type f -perm -u+x | head -1)
[[ -x "$bin" ]] || { echo "zerodrop_mutant_fixture_test not found under $build" >&2; exit 2; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$bin" --gtest_repeat="$n" --gtest_brief=0 >"$log" 2>&1 || true

# bug | observable symptom | invariant
rows=(
  "exit-at-once|slow request in flight at SIGTERM gets no response|no_dropped_requests"
  "reuseport-restart|fresh connections reset across SIGHUP|no_dropped_requests"
  "early-close|fresh connections refused across SIGHUP|no_dropped_requests"
  "slow-start|latency > 500 ms right after SIGHUP, nothing lost|latency_bound"
  "exec-in-place|new generation's listening line shows the old PID|pid_transition"
  "fd-leak|generation 3 holds more fds than generation 1|no_leaks"
  "never-exits|old generation still running 2 s after SIGHUP|old_generation_exits, settles"
  "ignore-deadline|not exited (code 1) 2 s after SIGTERM with a 300 ms deadline|pid_transition / old_generation_exits"
  "serve-503|503 answers across SIGHUP|no_dropped_requests, new_served_by_new"
  "truncate|slow request in flight at SIGHUP cut short|no_dropped_requests"
  "keepalive-reset|request on an idle keep-alive connection after SIGHUP reset|no_dropped_requests (keep-alive)"
)
count() { grep -c "^\[       OK \] Fixture/Fixture.SymptomOnlyInMutant/$1 " "$log" || true; }

echo "| bug (\`--bug\`) | symptom the fixture check observes | invariant meant to catch it | mutant detected | reference server passes | \`--bug none\` passes |"
echo "|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
  IFS='|' read -r bug symptom invariant <<<"$row"
  name=${bug//-/_}
  echo "| \`$bug\` | $symptom | \`$invariant\` | $(count "Mutant_$name")/$n | $(count "Reference_$name")/$n | $(count "Baseline_$name")/$n |"
done

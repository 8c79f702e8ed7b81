#!/usr/bin/env bash
# One mutant ctest: `zerodrop run` must FAIL the scenario against the mutant, naming exactly
# the expected invariant(s) in its JSON report; or (--reference) PASS it against the reference
# server. The two are separate ctests: a scenario shared by several bugs is run against the
# reference server once (scenarios/mutants/CMakeLists.txt).
#
#   run_mutant.sh ZERODROP SCENARIO OUTDIR NAME EXPECTED_INVARIANTS(comma-separated) MUTANT_CMD...
#   run_mutant.sh ZERODROP SCENARIO OUTDIR NAME --reference
#
# NAME names the files in OUTDIR: NAME.mutant.{json,txt} (a bug) or NAME.reference.{json,txt}
# (a scenario).
#
# An invariant written `name?` may fail beside the required ones (a bug whose second symptom
# depends on a race, e.g. a request sent just as a reset arrives) but is not required to.
#
# MUTANT_CMD is the mutant's argv (placeholders such as {pid_file} allowed); the reference run
# uses the scenario's own server.command ({server}).
set -uo pipefail
zerodrop=$1 scenario=$2 outdir=$3 name=$4 expected=$5
shift 5
mkdir -p "$outdir"

if [[ $expected == --reference ]]; then
  reference_report=$outdir/$name.reference.json
  rm -f "$reference_report"  # a stale report must not stand in for this run
  "$zerodrop" run "$scenario" --report "$reference_report" >"$outdir/$name.reference.txt" 2>&1
  rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "FAIL: zerodrop run with the reference server exited $rc, expected 0"
    cat "$outdir/$name.reference.txt"
    exit 1
  fi
  echo "reference: exit 0"
  exit 0
fi

mutant_report=$outdir/$name.mutant.json
rm -f "$mutant_report"  # a stale report must not stand in for this run

"$zerodrop" run "$scenario" --server "$*" --report "$mutant_report" >"$outdir/$name.mutant.txt" 2>&1
rc=$?
failed=$(tr -d ' \n' <"$mutant_report" 2>/dev/null | grep -o '"failed":\[[^]]*\]' | head -1 |
         sed 's/"failed":\[//; s/\]//; s/"//g' | tr ',' '\n' | sort | paste -sd, -)
want=$(tr ',' '\n' <<<"$expected" | grep -v '?$' | sort | paste -sd, -)
optional=$(tr ',' '\n' <<<"$expected" | grep '?$' | tr -d '?' | sort | paste -sd, -)
# What failed, less the optional ones, must be exactly what is required.
required_seen=$(tr ',' '\n' <<<"$failed" | grep -vxF -f <(tr ',' '\n' <<<"$optional" | grep .) 2>/dev/null |
                sort | paste -sd, -)
[[ -z $optional ]] && required_seen=$failed
status=0
if [[ $rc -ne 1 ]]; then
  echo "FAIL: zerodrop run with the mutant exited $rc, expected 1"; status=1
fi
if [[ "$required_seen" != "$want" ]]; then
  echo "FAIL: mutant run failed [$failed], expected exactly [$want]${optional:+ (and possibly [$optional])}"
  status=1
fi
[[ $status -eq 0 ]] && echo "mutant: exit 1, failed [$failed] as expected"
[[ $status -ne 0 ]] && cat "$outdir/$name.mutant.txt"

exit $status

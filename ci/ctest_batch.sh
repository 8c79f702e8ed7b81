#!/usr/bin/env bash
# ctest_batch.sh — run many waiting tests at once, each still judged as its own ctest test
# (ci/ctest_batch.cmake declares them; issue 14: the suite at CI speed without losing a check).
#
#   ctest_batch.sh run MEMBERS_DIR OUT_DIR
#   ctest_batch.sh result OUT_DIR KEY BATCH_TEST
#
# `run` is a batch's fixture-setup test. Each member is one file MEMBERS_DIR/KEY.member: its
# ctest name, its working directory, its timeout in seconds, how many run slots it takes (the
# runs it makes at once), a lock name ("-": none; members of a batch that share one never run at
# once), then one argument per line. Members start in the order of their keys (the costliest
# first), each once it holds its run slots (and its lock).
#
# Run slots are machine-wide: ZERODROP_BATCH_SLOTS of them (default: three per CPU), lock files
# under ${TMPDIR:-/tmp}/zerodrop-batch-slots-$UID, shared by every batch of every build tree of
# this user. Two suites side by side (or two batches of one ctest -j2) then share the slots
# rather than each loading the machine with its own: a run that waits for a CPU is late, and a
# late server or load engine makes a verdict unknown — the suite must not be what overloads the
# machine it judges timing on. Three per CPU: a run uses a fifth to a third of a CPU (the whole
# ctest -j2 uses ~50 s of CPU in ~85 s on 2 CPUs); four per CPU was no faster. A slot is held by
# the member's subshell, never by the member's processes (a leaked daemon cannot keep one).
#
# Each member runs under `timeout` (its own process group: a member that outlives its timeout is
# ended whole, TERM and 10 s later KILL). OUT_DIR/KEY.out gets its output, KEY.rc its exit
# status (124: timed out), KEY.time when it started and how long it ran. OUT_DIR is emptied
# first, so no result of an earlier run is ever read as this one's. `run` exits 0 whatever its
# members do: a member's verdict is its own test's, and a failed setup would mark every member
# "not run" and hide which one failed. It exits 2 only on its own trouble (no members, a
# malformed member file). A TERM or INT (ctest's timeout, Ctrl-C) is passed on to every member.
#
# `result` is a member's test: it prints the member's output and exits with its status, so the
# test passes, fails or skips (77) exactly as the command would have on its own. No result (the
# batch did not run, or ended before this member did) is a failure that says so.
set -uo pipefail
usage="usage: ctest_batch.sh run MEMBERS_DIR OUT_DIR | result OUT_DIR KEY BATCH_TEST"

slots=${ZERODROP_BATCH_SLOTS:-$((3 * $(nproc)))}

now_us() { echo "${EPOCHREALTIME//[!0-9]/}"; }
tenths() { echo "$(($1 / 1000000)).$(($1 % 1000000 / 100000))"; } # microseconds as seconds
seconds_since() { tenths $(($(now_us) - $1)); }
slot_dir=${TMPDIR:-/tmp}/zerodrop-batch-slots-$(id -u)

# The one reader of the member format: sets the caller's name dir limit want lock args.
read_member() {
  { read -r name && read -r dir && read -r limit && read -r want && read -r lock &&
    mapfile -t args; } <"$1"
}

# Takes $1 slots (at most all of them): locks slot files until it holds that many, their
# descriptors left in slot_fds. One taker at a time (the gate): two that each held part of what
# they need could otherwise wait for each other forever. Polls: a slot may be freed by another
# ctest, which cannot wake this one.
take_slots() {
  local want=$(($1 < slots ? $1 : slots)) gate fd
  exec {gate}>>"$slot_dir/gate"
  flock "$gate"
  slot_fds=()
  while true; do
    for ((k = 1; k <= slots && ${#slot_fds[@]} < want; ++k)); do
      exec {fd}>>"$slot_dir/slot$k"
      if flock -n "$fd"; then
        slot_fds+=("$fd")
      else
        exec {fd}>&-
      fi
    done
    ((${#slot_fds[@]} < want)) || break
    sleep 0.1
  done
  exec {gate}>&-
}

close_slots() {
  local fd
  for fd in "${slot_fds[@]}"; do exec {fd}>&-; done
}

run_member() {
  local file=$1 out=$2 key name dir limit want lock lock_fd args=()
  key=$(basename "$file" .member)
  read_member "$file"
  if [[ $lock != - ]]; then
    exec {lock_fd}>>"$out/lock-$lock"
    flock "$lock_fd"
    slot_fds+=("$lock_fd") # closed for the member with the slots: only this subshell holds it
  fi
  local begin
  begin=$(now_us)
  # --kill-after: a member that ignores TERM is still ended. timeout puts the member in a
  # process group of its own and signals that group, so nothing it started outlives it; a TERM
  # to timeout itself is passed on the same way (the batch's own TERM comes here). The slots'
  # descriptors are closed for the member: only this subshell holds the slots.
  (close_slots && cd "$dir" && exec timeout --kill-after=10 "$limit" "${args[@]}") >"$out/$key.out" 2>&1 &
  local tpid=$!
  trap 'kill -TERM $tpid 2>/dev/null' TERM INT
  wait $tpid
  local rc=$?
  while kill -0 $tpid 2>/dev/null; do # a wait cut short by the trap: the real status
    wait $tpid
    rc=$?
  done
  ((rc == 124)) && echo "ctest_batch.sh: $name: timed out after $limit s" >>"$out/$key.out"
  echo "started at +$(tenths $((begin - started))) s of the batch, ran $(seconds_since "$begin") s" \
    >"$out/$key.time"
  echo "$rc" >"$out/$key.rc"
}

run_batch() {
  local members=$1 out=$2
  [[ $slots =~ ^[1-9][0-9]*$ ]] || { echo "ctest_batch.sh: ZERODROP_BATCH_SLOTS must be a positive integer: $slots" >&2; exit 2; }
  local files=("$members"/*.member)
  [[ -e ${files[0]} ]] || { echo "ctest_batch.sh: no member in $members" >&2; exit 2; }
  local name dir limit want lock args
  for file in "${files[@]}"; do
    read_member "$file"
    [[ -n $name && -d $dir && $limit =~ ^[0-9]+$ && $want =~ ^[1-9][0-9]*$ &&
       $lock =~ ^[A-Za-z0-9_-]+$ && ${#args[@]} -gt 0 && -n ${args[0]} ]] ||
      { echo "ctest_batch.sh: malformed member file $file" >&2; exit 2; }
  done
  rm -rf "$out" && mkdir -p "$out" "$slot_dir" || exit 2
  local pids=()
  started=$(now_us)
  ending() {
    echo "ctest_batch.sh: interrupted: ending the members started" >&2
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    wait
    exit 1
  }
  trap ending TERM INT
  for file in "${files[@]}"; do
    read_member "$file"
    take_slots "$want"
    run_member "$file" "$out" &
    pids+=($!)
    close_slots # the member's subshell holds them now
  done
  wait
  echo "ctest_batch.sh: ${#files[@]} member(s) in $(seconds_since "$started") s, $slots slot(s) machine-wide:"
  for file in "${files[@]}"; do
    local key rc
    key=$(basename "$file" .member)
    rc=$(cat "$out/$key.rc" 2>/dev/null || echo "none")
    echo "  $(head -n 1 "$file"): exit $rc ($(cat "$out/$key.time" 2>/dev/null))"
  done
  exit 0
}

result() {
  local out=$1 key=$2 batch=$3
  if [[ ! -f $out/$key.rc ]]; then
    echo "ctest_batch.sh: no result: this test runs inside $batch, which did not run it" \
      "(or ended before it did)" >&2
    exit 1
  fi
  cat "$out/$key.out"
  echo "(ctest_batch.sh: in $batch, $(cat "$out/$key.time"))"
  exit "$(cat "$out/$key.rc")"
}

case ${1:-} in
  run) (($# == 3)) || { echo "$usage" >&2; exit 2; }; run_batch "$2" "$3" ;;
  result) (($# == 4)) || { echo "$usage" >&2; exit 2; }; result "$2" "$3" "$4" ;;
  *) echo "$usage" >&2; exit 2 ;;
esac

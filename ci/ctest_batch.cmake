# ctest batches: tests that mostly wait (a scenario run is an open-loop load at a few hundred
# requests a second, a drain and a teardown: 2-5 s of wall time for 0.2-1 s of CPU) run many at
# once inside one fixture-setup test, and each keeps its own ctest test, name, labels and verdict.
# ctest -j2 bounds how many *tests* run, not how many of them wait; without batches the suite's
# wall time was its waiting (issue 14: 147 s of ctest -j2 for ~75 s of CPU).
#
#   zerodrop_batch(NAME [TIMEOUT seconds])
#     declares test batch/NAME (once: a second call, from another directory, is a no-op), which
#     runs the batch's members, costliest first, each once it holds one of the machine's run
#     slots (ci/ctest_batch.sh run: ZERODROP_BATCH_SLOTS, three per CPU by default, shared by
#     every batch and build tree). It passes whatever its members do: each member's test says so.
#   zerodrop_batch_test(BATCH NAME COMMAND command... [COST seconds] [TIMEOUT seconds] [SLOTS n]
#                       [LOCK name])
#     declares test NAME, which prints the member's output and exits with its status
#     (ci/ctest_batch.sh result): PASS/FAIL_REGULAR_EXPRESSION, WILL_FAIL, SKIP_RETURN_CODE and
#     LABELS set on NAME afterwards work as on any test. TIMEOUT (default 60) bounds the member's
#     run inside the batch. SLOTS (default 1): how many runs the command makes at once. LOCK:
#     members of the batch with the same lock never run at once (ctest's RESOURCE_LOCK, inside a
#     batch). COMMAND's first word may be a target name, as with add_test.
#
# Selecting a member (ctest -R, -L) runs its whole batch first: ctest adds a required fixture's
# setup test. Keep a batch to one label's tests, so that -L runs no more than it must.
set(ZERODROP_CTEST_BATCH ${CMAKE_CURRENT_LIST_DIR}/ctest_batch.sh)

function(zerodrop_batch name)
  cmake_parse_arguments(B "" "TIMEOUT" "" ${ARGN})
  if(NOT B_TIMEOUT)
    set(B_TIMEOUT 300)
  endif()
  get_property(declared GLOBAL PROPERTY zerodrop_batch_${name}_root)
  if(declared)
    return()  # declared by another directory that shares the batch
  endif()
  set(root ${PROJECT_BINARY_DIR}/ctest-batches/${name})
  # The member files are written anew at each generation: a test removed from the build leaves
  # none behind to be run.
  file(REMOVE_RECURSE ${root}/members)
  set_property(GLOBAL PROPERTY zerodrop_batch_${name}_root ${root})
  add_test(NAME batch/${name} COMMAND ${ZERODROP_CTEST_BATCH} run ${root}/members ${root}/out)
  # One batch at a time (RESOURCE_LOCK): two at once would only share the run slots, and would
  # hold both of ctest -j2's places, leaving none for the tests that compute; one batch beside
  # them keeps the machine's slots busy and its other place working. COST: the batches start
  # first, so the members' waiting overlaps the rest.
  set_tests_properties(batch/${name} PROPERTIES FIXTURES_SETUP zerodrop_batch_${name}
                       RESOURCE_LOCK zerodrop_batches TIMEOUT ${B_TIMEOUT} LABELS batch COST 1000)
endfunction()

function(zerodrop_batch_test batch name)
  cmake_parse_arguments(T "" "COST;TIMEOUT;SLOTS;LOCK" "COMMAND" ${ARGN})
  get_property(root GLOBAL PROPERTY zerodrop_batch_${batch}_root)
  if(NOT root)
    message(FATAL_ERROR "zerodrop_batch_test(${batch} ${name}): no zerodrop_batch(${batch}) before it")
  endif()
  if(NOT T_COMMAND)
    message(FATAL_ERROR "zerodrop_batch_test(${batch} ${name}): COMMAND is required")
  endif()
  if(NOT T_COST)
    set(T_COST 1)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
  endif()
  if(NOT T_SLOTS)
    set(T_SLOTS 1)
  endif()
  if(NOT T_LOCK)
    set(T_LOCK -)
  endif()
  list(GET T_COMMAND 0 first)
  if(TARGET ${first})
    list(REMOVE_AT T_COMMAND 0)
    list(PREPEND T_COMMAND $<TARGET_FILE:${first}>)
  endif()
  # Key: the costliest first (ctest_batch.sh starts members in the order of their keys), then
  # the name, which makes it unique.
  math(EXPR rank "9999 - ${T_COST}")
  string(MAKE_C_IDENTIFIER "${name}" id)
  set(key ${rank}-${id})
  string(JOIN "\n" args ${T_COMMAND})
  file(GENERATE OUTPUT ${root}/members/${key}.member
       CONTENT "${name}\n${CMAKE_CURRENT_BINARY_DIR}\n${T_TIMEOUT}\n${T_SLOTS}\n${T_LOCK}\n${args}\n")
  add_test(NAME ${name} COMMAND ${ZERODROP_CTEST_BATCH} result ${root}/out ${key} batch/${batch})
  set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED zerodrop_batch_${batch} TIMEOUT 30)
endfunction()

# Runs one libFuzzer target for SECONDS on a scratch copy of its committed corpus (the
# committed one is never written to). Fails on any finding (non-zero exit).
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(COPY ${CORPUS}/ DESTINATION ${WORK})
execute_process(COMMAND ${FUZZER} -max_total_time=${SECONDS} -print_final_stats=1 ${WORK}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER}: exit ${rc} (a finding: see the output above)")
endif()

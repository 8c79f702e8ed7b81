# `zerodrop report HISTORY` must exit 1 and name no_dropped_requests as failed.
execute_process(COMMAND ${CMD} report ${HISTORY} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc STREQUAL "1" OR NOT out MATCHES "RESULT: FAIL \\(no_dropped_requests\\)")
  message(FATAL_ERROR "expected exit 1 naming no_dropped_requests, got ${rc}\n${out}\n${err}")
endif()

# With OUT: the same replay writes every report file, and JUnit names the failed invariant.
if(DEFINED OUT)
  file(REMOVE_RECURSE "${OUT}")
  file(MAKE_DIRECTORY "${OUT}")
  execute_process(COMMAND ${CMD} report ${HISTORY} --html ${OUT}/r.html --junit ${OUT}/r.xml
                          --summary-md ${OUT}/r.md --report ${OUT}/r.json
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  file(READ ${OUT}/r.xml junit)
  file(READ ${OUT}/r.md md)
  file(READ ${OUT}/r.html html)
  if(NOT rc STREQUAL "1" OR NOT junit MATCHES "name=\"no_dropped_requests\"[^>]*>[ \n]*<failure "
     OR NOT md MATCHES "\\| `no_dropped_requests` \\| ❌" OR NOT html MATCHES "id=\"zd-data\"")
    message(FATAL_ERROR "report files of a replay: exit ${rc}\n${err}\n${junit}\n${md}")
  endif()
endif()

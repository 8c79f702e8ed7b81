# `zerodrop report HISTORY` must exit 1 and name no_dropped_requests as failed.
execute_process(COMMAND ${CMD} report ${HISTORY} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc STREQUAL "1" OR NOT out MATCHES "RESULT: FAIL \\(no_dropped_requests\\)")
  message(FATAL_ERROR "expected exit 1 naming no_dropped_requests, got ${rc}\n${out}\n${err}")
endif()

# CMD --version must print exactly EXPECT (one line) and exit 0.
execute_process(COMMAND ${CMD} --version RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc STREQUAL "0" OR NOT out STREQUAL "${EXPECT}\n")
  message(FATAL_ERROR "${CMD} --version: expected exit 0 and \"${EXPECT}\", got ${rc}: \"${out}\" ${err}")
endif()

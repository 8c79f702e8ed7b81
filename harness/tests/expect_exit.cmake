# cmake -DCMD=... -DFILE=... -DCODE=2 -DREGEX=... [-DARGS="--var a=b ..."] [-DSUB=conform] -P expect_exit.cmake
# Runs `CMD SUB FILE [ARGS...]` (SUB default run, FILE may be empty) and fails unless it exits
# with CODE and stderr matches REGEX.
separate_arguments(args UNIX_COMMAND "${ARGS}")
if(NOT DEFINED SUB)
  set(SUB run)
endif()
execute_process(COMMAND ${CMD} ${SUB} ${FILE} ${args} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
if(NOT rc STREQUAL CODE)
  message(FATAL_ERROR "expected exit ${CODE}, got ${rc}\nstderr: ${err}\nstdout: ${out}")
endif()
if(NOT err MATCHES "${REGEX}")
  message(FATAL_ERROR "stderr does not match '${REGEX}':\n${err}")
endif()
message(STATUS "ok: exit ${rc}: ${err}")

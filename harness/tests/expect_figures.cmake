# `zerodrop report HISTORY --figures F` and bench/analyze.py on F: the figures the peer
# comparison tabulates come from zerodrop, and analyze.py passes them through unchanged. The
# history has 100 steady fast requests with latencies 1..100 ms: their nearest-rank p99 is the
# 99th value, 99 ms — not the maximum, which analyze.py reported as "p99" before (100 ms).
file(REMOVE "${OUT}.figures.json")
execute_process(COMMAND ${CMD} report ${HISTORY} --figures ${OUT}.figures.json
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT EXISTS "${OUT}.figures.json")
  message(FATAL_ERROR "no figures written (exit ${rc})\n${out}\n${err}")
endif()
execute_process(COMMAND ${PYTHON} ${ANALYZE} summarize ${OUT}.figures.json --peer p --scenario s
                RESULT_VARIABLE rc OUTPUT_VARIABLE line ERROR_VARIABLE err)
if(NOT rc STREQUAL "0")
  message(FATAL_ERROR "analyze.py summarize: exit ${rc}\n${err}")
endif()
foreach(expect IN ITEMS "\"steady_p99_ms\": 99.0" "\"steady_max_ms\": 100.0" "\"steady_p50_ms\": 50.0"
                        "\"steady_n\": 100" "\"restarts\": 1" "\"dropped\": 1" "\"reset\": 1"
                        "\"peer\": \"p\"" "\"window_n\": 10")
  string(FIND "${line}" "${expect}" at)
  if(at LESS 0)
    message(FATAL_ERROR "analyze.py summarize: no ${expect} in\n${line}")
  endif()
endforeach()
file(WRITE "${OUT}.runs.jsonl" "${line}")
execute_process(COMMAND ${PYTHON} ${ANALYZE} render --runs ${OUT}.runs.jsonl --md ${OUT}.md
                RESULT_VARIABLE rc ERROR_VARIABLE err)
file(READ "${OUT}.md" md)
if(NOT rc STREQUAL "0" OR NOT md MATCHES "\\| p \\| 1 \\| 111 \\| 1 \\|.*\\| 50.00/99.00/100.00 \\|")
  message(FATAL_ERROR "analyze.py render: exit ${rc}\n${err}\n${md}")
endif()

# A settle restart of a server that announces its successors (ready: notify, MAINPID=) probes only
# once the successor has said it is ready: the harness's own traffic must not land in the hand-over
# window, where it can change a server's fate (cloudflare/tableflip on Go 1.19: a connection the
# parent accepts there leaves its next accept(2) blocked and its Shutdown waiting, idle, forever).
# Reads HISTORY (a run's .jsonl): after `settle_restart`, every `settle_probe` comes at or after
# the first `ready` of a process other than the one signalled, and there is at least one.
cmake_minimum_required(VERSION 3.25)
file(STRINGS "${HISTORY}" lines)
set(t_signal "")
set(signalled "")
set(t_ready "")
set(probes 0)
foreach(line IN LISTS lines)
  string(JSON type ERROR_VARIABLE jerr GET "${line}" type)
  if(NOT type STREQUAL "event")
    continue()
  endif()
  string(JSON event GET "${line}" event)
  string(JSON t GET "${line}" t_ns)
  string(JSON pid GET "${line}" pid)
  if(event STREQUAL "settle_restart")
    set(t_signal ${t})
    set(signalled ${pid})
  elseif(event STREQUAL "ready" AND NOT t_signal STREQUAL "" AND t_ready STREQUAL ""
         AND NOT pid STREQUAL signalled)
    set(t_ready ${t})
  elseif(event STREQUAL "settle_probe")
    math(EXPR probes "${probes} + 1")
    if(t_ready STREQUAL "")
      message(FATAL_ERROR "${HISTORY}: a settle probe at ${t} ns, after the restart signal at "
                          "${t_signal} ns and before any successor said it was ready")
    endif()
  endif()
endforeach()
if(t_signal STREQUAL "" OR probes EQUAL 0)
  message(FATAL_ERROR "${HISTORY}: no settle restart with probes to judge "
                      "(settle_restart at '${t_signal}', ${probes} probe(s))")
endif()
message(STATUS "${probes} settle probe(s), the first successor ready ${t_ready} ns, signal ${t_signal} ns")

# The HTML report as a person sees it: run a real scenario with --html (and the JSON report),
# load the page in headless Chromium after its script has run (--dump-dom), and count what the
# script drew against the JSON report: one point per request, one band per generation, one line
# per fault fired. Then a screenshot, which must exist and hold more than a blank page.
#
#   cmake -DZERODROP=path -DSCENARIO=file.yaml -DOUT=dir [-DCHROMIUM=path] -P html_report_browser.cmake
#
# Chromium is required: a missing browser FAILS this test (never a silent skip), as the
# walkthrough's browser test does. The flags are the walkthrough's (page_load.cpp): headless, no
# sandbox (CI runs as root), no GPU, no first run, no background networking, no component
# update, no sync, and a fresh profile that holds everything it writes (HOME, XDG dirs). Each
# browser run is under `timeout`, which ends the browser's whole process group if it hangs.
if(NOT CHROMIUM)
  find_program(CHROMIUM chromium)
endif()
if(NOT CHROMIUM)
  message(FATAL_ERROR "chromium not found in PATH: install it (bash ci/install-deps.sh browser)")
endif()
find_program(TIMEOUT timeout REQUIRED)

file(REMOVE_RECURSE "${OUT}")
file(MAKE_DIRECTORY "${OUT}")
set(html "${OUT}/report.html")
execute_process(
  COMMAND "${ZERODROP}" run "${SCENARIO}" --html "${html}" --report "${OUT}/report.json"
          --junit "${OUT}/junit.xml" --summary-md "${OUT}/summary.md" --history "${OUT}/history.jsonl"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 90)
message("${out}")
# The page is the subject here, not the scenario's verdict (the scenario tests judge that): any
# finished run renders one; only a usage error or a crash leaves none.
if(NOT rc MATCHES "^[013]$" OR NOT EXISTS "${html}")
  message(FATAL_ERROR "zerodrop run exited ${rc}, no report to look at\n${err}")
endif()

file(READ "${OUT}/report.json" report)
string(JSON requests LENGTH "${report}" requests)
string(JSON generations LENGTH "${report}" pids)
string(REGEX MATCHALL "\"event\": \"fault\"" fault_events "${report}")
list(LENGTH fault_events faults)
if(requests LESS 1)
  message(FATAL_ERROR "the run has no request to draw")
endif()
# A run made invalid by a busy machine (its fault's condition never met) has one generation and
# no fault: the counts must still agree, they just prove less. Not a failure of the page.
if(generations LESS 2 OR faults LESS 1)
  message(WARNING "only ${generations} generation(s) and ${faults} fault(s) in this run")
endif()

function(chromium result_var)
  set(profile "${OUT}/chromium-profile")
  file(REMOVE_RECURSE "${profile}")
  file(MAKE_DIRECTORY "${profile}")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -E env "HOME=${profile}" "XDG_CONFIG_HOME=${profile}/.config"
            "XDG_CACHE_HOME=${profile}/.cache"
            "${TIMEOUT}" -k 5 60 "${CHROMIUM}" --headless --no-sandbox --disable-gpu
            --no-first-run --disable-background-networking --disable-component-update
            --disable-sync "--user-data-dir=${profile}" --virtual-time-budget=2000 ${ARGN}
            "file://${html}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE dom ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "chromium exited ${rc}\n${err}")
  endif()
  file(REMOVE_RECURSE "${profile}")
  set(${result_var} "${dom}" PARENT_SCOPE)
endfunction()

chromium(dom --dump-dom)
file(WRITE "${OUT}/dom.html" "${dom}")
# Only what the script drew: the timeline's <svg> (the script's own source names the classes).
string(FIND "${dom}" "<svg id=\"timeline\"" begin)
if(begin EQUAL -1)
  message(FATAL_ERROR "no timeline in the DOM: did the script run? (${OUT}/dom.html)")
endif()
string(SUBSTRING "${dom}" ${begin} -1 svg)
string(FIND "${svg}" "</svg>" end)
string(SUBSTRING "${svg}" 0 ${end} svg)
string(REGEX MATCHALL "class=\"req-pt[ \"]" points "${svg}")
string(REGEX MATCHALL "class=\"gen-band[ \"]" bands "${svg}")
string(REGEX MATCHALL "class=\"fault-line\"" lines "${svg}")
list(LENGTH points n_points)
list(LENGTH bands n_bands)
list(LENGTH lines n_lines)
message("DOM: ${n_points} points (report: ${requests} requests), ${n_bands} bands "
        "(${generations} generations), ${n_lines} fault lines (${faults} faults fired)")
if(NOT n_points EQUAL requests OR NOT n_bands EQUAL generations OR NOT n_lines EQUAL faults)
  message(FATAL_ERROR "the page does not show the run (DOM: ${OUT}/dom.html)")
endif()

chromium(ignored --hide-scrollbars --window-size=1180,1200 "--screenshot=${OUT}/report.png")
file(SIZE "${OUT}/report.png" png_size)
message("screenshot: ${OUT}/report.png, ${png_size} bytes")
# A blank 1180x1200 page compresses to a few kB; the timeline, its points and table do not.
if(png_size LESS 30000)
  message(FATAL_ERROR "the screenshot is ${png_size} bytes: a blank or broken page")
endif()

# zerodrop_add_scenarios — one ctest test per zerodrop scenario file of a directory, as
# gtest_discover_tests registers one test per gtest case.
#
#   zerodrop_add_scenarios(DIRECTORY dir               # *.yaml and *.yml in it (not below)
#                          [SERVER target-or-program]  # what the scenarios' {server} stands for
#                          [PREFIX name]               # tests <name>/<file stem>; default: dir's name
#                          [LABELS label...]
#                          [VARS NAME=VALUE...]        # more placeholders (zerodrop run --var)
#                          [REPORT_DIR dir]            # keep <dir>/<stem>.json and .jsonl
#                          [TIMEOUT seconds]           # default 120
#                          [ARGS arg...])              # more `zerodrop run` arguments
#
# Each test runs `zerodrop run FILE --var server=<SERVER> ...` with the zerodrop::zerodrop
# executable. SERVER names a target of the calling project ($<TARGET_FILE:...> is used) or a
# program; a scenario's server.command then reads ["{server}", "--flag", ...]. A test passes on
# exit 0 only: a failed invariant (1), a scenario error (2) or any other code fails it.
# The files are globbed with CONFIGURE_DEPENDS: a new scenario is a new test at the next build.
include_guard(GLOBAL)

function(zerodrop_add_scenarios)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "DIRECTORY;SERVER;PREFIX;REPORT_DIR;TIMEOUT"
                        "LABELS;VARS;ARGS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "zerodrop_add_scenarios: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_DIRECTORY)
    message(FATAL_ERROR "zerodrop_add_scenarios: DIRECTORY is required")
  endif()
  if(NOT TARGET zerodrop::zerodrop)
    message(FATAL_ERROR "zerodrop_add_scenarios: no target zerodrop::zerodrop "
                        "(find_package(zerodrop CONFIG) first)")
  endif()
  get_filename_component(dir "${arg_DIRECTORY}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT IS_DIRECTORY "${dir}")
    message(FATAL_ERROR "zerodrop_add_scenarios: ${dir} is not a directory")
  endif()
  if(NOT DEFINED arg_PREFIX)
    get_filename_component(arg_PREFIX "${dir}" NAME)
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 120)
  endif()

  set(run_args "")
  if(DEFINED arg_SERVER)
    if(TARGET "${arg_SERVER}")
      list(APPEND run_args --var "server=$<TARGET_FILE:${arg_SERVER}>")
    else()
      list(APPEND run_args --var "server=${arg_SERVER}")
    endif()
  endif()
  foreach(v IN LISTS arg_VARS)
    list(APPEND run_args --var "${v}")
  endforeach()

  file(GLOB files CONFIGURE_DEPENDS "${dir}/*.yaml" "${dir}/*.yml")
  list(SORT files)
  if(NOT files)
    message(WARNING "zerodrop_add_scenarios: no *.yaml or *.yml file in ${dir}")
  endif()
  foreach(file IN LISTS files)
    get_filename_component(stem "${file}" NAME_WLE)
    set(name "${arg_PREFIX}/${stem}")
    set(report_args "")
    if(arg_REPORT_DIR)
      file(MAKE_DIRECTORY "${arg_REPORT_DIR}")
      set(report_args --report "${arg_REPORT_DIR}/${stem}.json"
                      --history "${arg_REPORT_DIR}/${stem}.jsonl")
    endif()
    add_test(NAME "${name}"
             COMMAND $<TARGET_FILE:zerodrop::zerodrop> run "${file}" ${run_args} ${report_args}
                     ${arg_ARGS})
    set_tests_properties("${name}" PROPERTIES TIMEOUT ${arg_TIMEOUT})
    if(arg_LABELS)
      set_tests_properties("${name}" PROPERTIES LABELS "${arg_LABELS}")
    endif()
  endforeach()
endfunction()

# package/consumer: install this build into an empty prefix, configure the example consumer
# (harness/examples/consumer) against that prefix alone, build it and run its ctest. Proves that
# find_package(zerodrop CONFIG), zerodrop_add_scenarios() and zerodrop::testing work from
# outside this tree.
#
#   cmake -DBUILD_DIR=.. -DSOURCE=.. -DWORK=dir -DGENERATOR=.. -DCXX=.. [-DLAUNCHER=ccache]
#         -DCTEST=.. -P consumer.cmake
function(run what)
  string(TIMESTAMP t0 "%s")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  string(TIMESTAMP t1 "%s")
  math(EXPR dt "${t1} - ${t0}")
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "${what} failed (exit ${rc}): ${ARGN}\n${out}")
  endif()
  message(STATUS "${what}: ${dt} s")
  set(out "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)
run("install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

set(launcher "")
if(LAUNCHER)
  set(launcher -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
endif()
# Only the prefix: no package registry, and nothing of this build tree on the search path. And
# no pkg-config search path: the package must not need what only its executables link (it
# looked for cpp-httplib's .pc, which a consumer of the library has no reason to install).
file(MAKE_DIRECTORY ${WORK}/no-pkg-config)
run("configure" ${CMAKE_COMMAND} -E env PKG_CONFIG_LIBDIR=${WORK}/no-pkg-config
    ${CMAKE_COMMAND} -S ${SOURCE} -B ${WORK}/build -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=${CXX} ${launcher}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
file(STRINGS ${WORK}/build/CMakeCache.txt found REGEX "^zerodrop_DIR:")
if(NOT found STREQUAL "zerodrop_DIR:PATH=${prefix}/lib/cmake/zerodrop")
  message(FATAL_ERROR "the consumer found zerodrop elsewhere than ${prefix}: ${found}")
endif()
# One compiler at a time: this test is one of ctest's -j2 slots, beside timing-sensitive ones.
run("build" ${CMAKE_COMMAND} --build ${WORK}/build --parallel 1)
# One test at a time: each scenario's timing is its own, as in the consumer's CI.
run("ctest" ${CTEST} --test-dir ${WORK}/build --output-on-failure --no-tests=error --timeout 120)
message(STATUS "${out}")
# zerodrop_add_scenarios registered one test per scenario file, named <prefix>/<stem>.
foreach(t toy/restart toy/shutdown)
  if(NOT out MATCHES "Test +#[0-9]+: ${t} [.]+ +Passed")
    message(FATAL_ERROR "the consumer's ctest has no passing ${t}")
  endif()
endforeach()

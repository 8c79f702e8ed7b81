# package/deb: cpack makes one zerodrop_<VERSION>-1_<arch>.deb whose control file depends on the
# Debian runtime libraries zerodrop links, which holds the binaries, the library, its headers and
# the CMake package, and whose zerodrop and zerodrop-server run from where dpkg -x put them.
#
#   cmake -DCPACK=.. -DDPKG_DEB=.. -DBUILD_DIR=.. -DWORK=dir -DVERSION=x.y.z -P deb.cmake
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "${ARGN}: exit ${rc}\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
string(TIMESTAMP t0 "%s")
run(${CPACK} --config ${BUILD_DIR}/CPackConfig.cmake -B ${WORK})
string(TIMESTAMP t1 "%s")
math(EXPR dt "${t1} - ${t0}")
file(GLOB debs ${WORK}/zerodrop_${VERSION}-*.deb)
list(LENGTH debs n)
if(NOT n EQUAL 1)
  file(GLOB all ${WORK}/*)
  message(FATAL_ERROR "expected one zerodrop_${VERSION}-*.deb in ${WORK}, found: ${all}")
endif()
file(SIZE ${debs} size)
message(STATUS "${debs}: ${size} bytes, cpack took ${dt} s")

run(${DPKG_DEB} --field ${debs} Package Version Depends)
message(STATUS "control:\n${out}")
foreach(want "Package: zerodrop" "Version: ${VERSION}-1" "Depends:.*libyaml-cpp0\\.7"
             "Depends:.*libcpp-httplib0\\.11" "Depends:.*libstdc\\+\\+6")
  if(NOT out MATCHES "${want}")
    message(FATAL_ERROR "control file lacks /${want}/:\n${out}")
  endif()
endforeach()

run(${DPKG_DEB} --contents ${debs})
foreach(want ./usr/bin/zerodrop ./usr/bin/zerodrop-server ./usr/bin/zerodrop-server-q1mi
             ./usr/lib/libzerodrop_harness.a ./usr/include/zerodrop/run.hpp
             ./usr/include/zerodrop/version.hpp ./usr/include/zerodrop/testing.hpp
             ./usr/lib/cmake/zerodrop/zerodropConfig.cmake
             ./usr/lib/cmake/zerodrop/zerodropConfigVersion.cmake
             ./usr/lib/cmake/zerodrop/zerodropTargets.cmake
             ./usr/lib/cmake/zerodrop/zerodropScenarios.cmake)
  string(REPLACE "+" "\\+" re "${want}")
  string(REPLACE "." "\\." re "${re}")
  if(NOT out MATCHES " ${re}\n")
    message(FATAL_ERROR "${debs} lacks ${want}:\n${out}")
  endif()
endforeach()

run(${DPKG_DEB} -x ${debs} ${WORK}/root)
foreach(exe zerodrop zerodrop-server)
  run(${WORK}/root/usr/bin/${exe} --version)
  if(NOT out STREQUAL "${exe} ${VERSION}\n")
    message(FATAL_ERROR "extracted ${exe} --version: \"${out}\"")
  endif()
endforeach()

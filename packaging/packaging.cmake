# CPack: `cpack` in the build directory makes zerodrop_<version>-1_<arch>.deb, installable on
# Debian 12 with `apt-get install ./zerodrop_*.deb` (files under /usr).
#
# Depends: the shared libraries the binaries link, computed by dpkg-shlibdeps (libyaml-cpp0.7,
# libcpp-httplib0.11, libstdc++6, ...; zerodrop-server is static). Recommends: the -dev packages
# that find_package(zerodrop) needs to link the static library into a user's tests.
set(CPACK_PACKAGE_NAME zerodrop)
set(CPACK_PACKAGE_VENDOR zerodrop)
set(CPACK_PACKAGE_CONTACT "zerodrop maintainers <zerodrop@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
    "zerodrop launches a server, drives open-loop HTTP load at it, applies faults (signals, a \
binary replaced on disk) mid-flight and checks named invariants: no request dropped, PIDs \
changing as they should, bounded latency. Includes the reference server zerodrop-server, the \
static library, its headers and a CMake package with zerodrop_add_scenarios().")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
    "cmake, libyaml-cpp-dev, nlohmann-json3-dev, libboost-filesystem-dev")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libgtest-dev, chromium")
# gzip: xz takes many seconds on the static library for a few MB saved.
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
find_program(ZERODROP_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(ZERODROP_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  # Debian 12's names, for a machine without dpkg-dev.
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libc6 (>= 2.34), libstdc++6 (>= 12), libgcc-s1, libyaml-cpp0.7, libcpp-httplib0.11")
endif()
include(CPack)

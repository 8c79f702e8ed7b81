#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: install, configure, build, ctest.
#
#   ci/test.sh [extra ctest args...]
#
# Writes JUnit reports to build/junit.xml, build-asan/junit-asan.xml and
# build-fuzz/server/fuzz/junit-fuzz.xml. Warnings are errors here (preset "ci").
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step's wall time, on stderr at its end (the suite-time figures of README.md come from these).
step_start=$SECONDS
step() {
  echo "ci/test.sh: $1: $((SECONDS - step_start)) s (total $SECONDS s)" >&2
  step_start=$SECONDS
}

# peers: the real servers scenarios/peers runs (ctest label peers; each skips, exit 77, without
# its server, so a machine without them still passes the rest).
bash ci/install-deps.sh core browser fuzz peers
step "install-deps"
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake --preset ci "${launcher[@]}"
cmake --build --preset ci
step "configure + build (preset ci)"
# Two cores: two tests at a time keeps the timing-sensitive scenarios honest.
ctest --preset ci -j2 --output-junit junit.xml "$@"
step "ctest -j2"

# The server's and the harness's unit and process tests again under ASan+UBSan (preset asan,
# build-asan/junit-asan.xml). Only the targets they need are built; the process guard fails a
# test whose server logged a sanitizer report.
cmake --preset asan "${launcher[@]}"
cmake --build --preset asan --target zerodrop_server_unit_tests zerodrop_server_process_tests zerodrop_server_hostile_tests \
  zerodrop_harness_tests zerodrop
step "configure + build (preset asan)"
ctest --preset asan -j2 -L '^(server|harness)$' -LE example --output-junit junit-asan.xml
step "ctest (asan)"

# Fuzz smoke: each libFuzzer target for 20 s on its committed corpus (Clang: install-deps fuzz).
# Both at once (-j2): each fuzzer is one process on one core, so each still gets its 20 s of a
# core, and the step takes 20 s instead of 40.
if command -v clang++ >/dev/null; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DZERODROP_BUILD_TESTS=OFF -DZERODROP_BUILD_BENCH=OFF "${launcher[@]}"
  cmake --build build-fuzz --target zerodrop_http_parser_fuzz zerodrop_connection_fuzz
  step "configure + build (fuzz)"
  ctest --test-dir build-fuzz/server/fuzz -j2 --output-on-failure --output-junit junit-fuzz.xml
  step "fuzz smoke"
fi

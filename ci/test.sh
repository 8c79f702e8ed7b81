#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: install, configure, build, ctest.
#
#   ci/test.sh [extra ctest args...]
#
# Writes a JUnit report to build/junit.xml. Warnings are errors here (preset "ci").
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/install-deps.sh core browser
cmake --preset ci
cmake --build --preset ci
# Two cores: two tests at a time keeps the timing-sensitive scenarios honest.
ctest --preset ci -j2 --output-junit junit.xml "$@"

#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: install, build, run the walkthrough.
#
#   ci/walkthrough.sh [zerodrop walkthrough args...]     (e.g. --no-browser, --part restart)
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/install-deps.sh core browser
cmake --preset default >/dev/null
cmake --build --preset default --target zerodrop zerodrop-server zerodrop-server-q1mi
exec build/harness/zerodrop walkthrough "$@"

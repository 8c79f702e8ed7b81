#!/usr/bin/env bash
# Installs what zerodrop needs from Debian 12 packages, and nothing else.
#
#   ci/install-deps.sh [core] [browser] [peers] [fuzz]
#
# core     compilers, CMake/Ninja and the C++ libraries the build links (the default)
# browser  Debian's headless Chromium, for the walkthrough's real-browser test
# peers    the real servers of scenarios/peers (ctest label peers) and bench/compare.sh
# fuzz     Clang and its runtime libraries (libFuzzer, sanitizers) for the fuzz targets
#
# Idempotent: packages already installed are skipped, and apt-get runs only when something is
# missing, so calling it from every script costs a dpkg query when all is there.
set -euo pipefail

core=(build-essential cmake ninja-build pkg-config git ca-certificates
      libcpp-httplib-dev libgtest-dev libgmock-dev libbenchmark-dev
      libboost-dev libboost-filesystem-dev
      nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libfmt-dev ccache)
browser=(chromium)
fuzz=(clang libclang-rt-14-dev)
peers=(nginx-light libnginx-mod-http-echo haproxy caddy python3-gunicorn wrk golang-go
       golang-github-cloudflare-tableflip-dev golang-github-facebookgo-grace-dev)

groups=("$@")
[[ ${#groups[@]} -eq 0 ]] && groups=(core)

wanted=()
for g in "${groups[@]}"; do
  case "$g" in
    core) wanted+=("${core[@]}") ;;
    browser) wanted+=("${browser[@]}") ;;
    peers) wanted+=("${peers[@]}") ;;
    fuzz) wanted+=("${fuzz[@]}") ;;
    *) echo "install-deps: unknown group '$g' (core, browser, peers, fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=()
[[ $(id -u) -ne 0 ]] && sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
# Packaged daemons (nginx, haproxy, caddy) must not start on install: the benchmark starts its own
# instances on ephemeral loopback ports. policy-rc.d 101 = "action forbidden".
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod +x "$policy"
  created_policy=1
fi
trap '[[ $created_policy -eq 1 ]] && "${sudo[@]}" rm -f "$policy"' EXIT
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/bin/bash
# smoke.sh HARNESS SERVER SCENARIO: one real peer (nginx, HUP reload) through a short scenario,
# so that the peer wrappers keep working with the harness. Exit 77 (ctest SKIP) when nginx,
# curl or python3 are missing; otherwise the harness's exit status (0: its invariants hold).
harness=$1 server=$2 scenario=$3
here=$(cd "$(dirname "$0")" && pwd)
for tool in /usr/sbin/nginx curl /usr/bin/python3 pgrep; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not installed (bash ci/install-deps.sh peers)"; exit 77; }
done
exec "$harness" run "$scenario" --server "$here/nginx/run.sh {workdir} {port} $server"

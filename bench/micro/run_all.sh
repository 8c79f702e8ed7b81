#!/usr/bin/env bash
# Runs every micro-benchmark in full and writes OUT_DIR/<binary>.json (Google Benchmark JSON)
# and OUT_DIR/micro.md (a markdown table of the figures that matter, naming the machine).
#   bench/micro/run_all.sh BUILD_DIR OUT_DIR
# Best on an otherwise idle machine, from a Release or RelWithDebInfo build.
set -euo pipefail
build=${1:?usage: run_all.sh BUILD_DIR OUT_DIR} out=${2:?usage: run_all.sh BUILD_DIR OUT_DIR}
mkdir -p "$out"
for b in parser server restart; do
  bin=$build/bench/micro/zerodrop-bench-$b
  [[ -x $bin ]] || { echo "missing $bin (build the zerodrop-bench-* targets)" >&2; exit 2; }
  "$bin" --benchmark_out="$out/zerodrop-bench-$b.json" --benchmark_out_format=json >&2
done
python3 - "$out" > "$out/micro.md" <<'PY'
import json, sys, os
out = sys.argv[1]
rows = []
ctx = None
for b in ("parser", "server", "restart"):
    d = json.load(open(os.path.join(out, f"zerodrop-bench-{b}.json")))
    ctx = ctx or d["context"]
    for r in d["benchmarks"]:
        if r.get("run_type") == "aggregate": continue
        name = r["name"]
        if "error_occurred" in r and r["error_occurred"]:
            rows.append((name, "skipped: " + r.get("error_message", ""))); continue
        unit = r.get("time_unit", "ns")
        fig = f'{r["real_time"]:.3g} {unit}'
        extra = []
        if "bytes_per_second" in r: extra.append(f'{r["bytes_per_second"]/1e6:.0f} MB/s')
        if "items_per_second" in r: extra.append(f'{r["items_per_second"]/1e3:.1f} k items/s')
        for k in sorted(r):
            if k.endswith("_ms") or k in ("cpu_us_per_request",): extra.append(f"{k} {r[k]:.3g}")
        rows.append((name, fig + ("; " + ", ".join(extra) if extra else "")))
print(f'Micro-benchmarks on {ctx.get("host_name","?")}: {ctx.get("num_cpus","?")} CPUs at {ctx.get("mhz_per_cpu","?")} MHz, {ctx.get("date","")}')
print()
print("| benchmark | figure |")
print("|---|---|")
for n, f in rows: print(f"| `{n}` | {f} |")
PY
echo "wrote $out/micro.md" >&2

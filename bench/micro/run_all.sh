#!/usr/bin/env bash
# Runs every micro-benchmark binary of a build in full and writes, under OUT_DIR:
#   <binary>.json  Google Benchmark's JSON, one per binary;
#   micro.json     all of them merged (the first binary's context, every benchmark);
#   micro.md       a markdown table of the figures that matter, naming the machine and its load.
#   bench/micro/run_all.sh BUILD_DIR OUT_DIR [GOOGLE_BENCHMARK_FLAG...]
# Extra flags go to every binary (e.g. --benchmark_repetitions=3); the bench/run_all ctest runs
# it with ZERODROP_BENCH_SMOKE=1 --benchmark_min_time=0.01 to check the script, not the figures.
# Best on an otherwise idle machine, from a Release or RelWithDebInfo build; takes 2-4 minutes.
# Exit status: 0 when every binary ran (a benchmark that reported an error is listed as such in
# micro.md and makes the exit status 1), 2 on a usage error or a missing binary.
set -euo pipefail
usage="usage: run_all.sh BUILD_DIR OUT_DIR [GOOGLE_BENCHMARK_FLAG...]"
build=${1:?$usage} out=${2:?$usage}
shift 2
bins=(zerodrop-bench-parser zerodrop-bench-server zerodrop-bench-restart)
for b in "${bins[@]}"; do
  [[ -x $build/bench/micro/$b ]] || { echo "run_all.sh: missing $build/bench/micro/$b (cmake --build $build --target $b)" >&2; exit 2; }
done
mkdir -p "$out"
machine="$(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(uname -sr)"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for b in "${bins[@]}"; do
  echo "run_all.sh: $b" >&2
  "$build/bench/micro/$b" --benchmark_out="$out/$b.json" --benchmark_out_format=json "$@" >&2
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$out" "$machine" "$load_before" "$load_after" "${bins[@]}" <<'PY'
import json, os, sys
out, machine, load_before, load_after, bins = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
merged, rows, errors = None, [], 0
def t(v, unit):  # a time with a readable unit
    ns = v * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]
    for u, f in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= f: return f"{ns / f:.3g} {u}"
    return f"{ns:.3g} ns"
def rate(v, what):
    for u, f in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= f: return f"{v / f:.3g} {u}{what}"
    return f"{v:.3g} {what}"
for b in bins:
    d = json.load(open(os.path.join(out, b + ".json")))
    if merged is None:
        merged = {"context": d["context"], "benchmarks": []}
    merged["benchmarks"] += d["benchmarks"]
    for r in d["benchmarks"]:
        if r.get("run_type") == "aggregate":
            continue
        name = r["name"].replace("/manual_time", "").replace("/real_time", "")
        if r.get("error_occurred"):
            errors += 1
            rows.append((b, name, "error: " + r.get("error_message", ""), ""))
            continue
        fig = t(r["real_time"], r.get("time_unit", "ns"))
        extra = []
        if "bytes_per_second" in r:
            extra.append(rate(r["bytes_per_second"], "B/s"))
        if "items_per_second" in r:
            extra.append(rate(r["items_per_second"], "items/s"))
        for k in sorted(r):
            if k.endswith("_ms") or k == "cpu_us_per_request":
                extra.append(f"{k} {r[k]:.3g}")
        rows.append((b, name, fig, ", ".join(extra)))
json.dump(merged, open(os.path.join(out, "micro.json"), "w"), indent=1)
with open(os.path.join(out, "micro.md"), "w") as f:
    c = merged["context"]
    f.write(f"Micro-benchmarks (bench/micro/run_all.sh), {c.get('date', '')}: {machine}; "
            f"{c.get('library_build_type', '?')} libbenchmark; load average {load_before} before, {load_after} after.\n\n")
    f.write("| binary | benchmark | time per iteration | counters |\n|---|---|---|---|\n")
    for b, n, fig, extra in rows:
        f.write(f"| {b.replace('zerodrop-bench-', '')} | `{n}` | {fig} | {extra} |\n")
print(f"run_all.sh: wrote {out}/micro.md, micro.json and one JSON per binary ({errors} benchmark error(s))", file=sys.stderr)
sys.exit(1 if errors else 0)
PY

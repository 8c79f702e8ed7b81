#!/usr/bin/env python3
"""Figures for the side-by-side comparison, from zerodrop JSON reports (standard library only).

  analyze.py summarize FIGURES.json --peer NAME --scenario NAME
      one JSON line for one run (appended to a .jsonl by compare.sh): the figures
      `zerodrop report HISTORY --figures FIGURES.json [--window-ms 500]` computed, with the names
  analyze.py scenario SRC.yaml OUT.yaml [--signal SIG | --command ARGV_JSON] [--server-from PEER.yaml]
                      [--then FAULT ...] [--peer] [--quick]
      the shared scenario for one peer: its restart fault (signal or command) in place of
      "signal: HUP"; --server-from takes the peer's `server:` and `sidecars:` sections (and its
      expect.reload) from its scenario file in scenarios/peers/ (run it with
      --var scenario_dir=scenarios/peers, where its templates are); --then adds faults fired after
      each restart fault (e.g. "{after: ready, to: previous, signal: QUIT}"), the repeat written
      out; --peer replaces the expectations by the ones every peer can meet (see PEER_EXPECT);
      --quick shortens it (duration / 2, restarts 5 -> 2)
  analyze.py render --runs runs.jsonl [--wrk wrk.jsonl] [--loadgen loadgen.jsonl]
                    [--long long.jsonl] [--machine machine.json] --md RESULTS.md --svg chart.svg

Every figure is computed by zerodrop itself (`zerodrop report --figures`, harness/README.md),
the same way for every peer and with the checks' own definitions, from the harness's
per-request records, so that no peer's own notion of "ready" is trusted and no figure is
derived twice; this script only renders tables and charts:

- drops: every request whose outcome is not "ok", by outcome class and connection mode
  (no exemption: a refused connection during a stop-then-start restart is a drop for a client).
- restarts: the nemesis's restart faults (signal or command events).
- latency: ok fast requests only, from the *scheduled* start (open loop, as wrk2: a stall
  delays every request scheduled behind it); "window" = scheduled within +-window of a restart
  fault, "steady" = scheduled before the first window, "after" = after the last window (until a
  shutdown). p50/p99/max are nearest-rank percentiles (p99 of 100 samples is the 99th value).
- signal -> new generation serving: per restart fault, the first byte of the first response from
  a pid that had not answered before that fault, minus the fault's time (resolution: the
  request rate); its median is the nearest-rank p50. The harness's own signal -> ready figure
  (reference server) is kept too.
"""
import argparse
import html
import json
import statistics
import sys


def summarize(figures, peer, scenario):
    """The figures of one run, as `zerodrop report HISTORY --figures` computed them, with the
    peer and scenario names: one line of runs.jsonl."""
    out = {"peer": peer, "scenario": scenario}
    out.update(figures)
    return out


def f(x, nd=2):
    if x is None:
        return "–"
    if isinstance(x, float):
        return ("%." + str(nd) + "f") % x
    return str(x)


def load_jsonl(path):
    out = []
    if not path:
        return out
    try:
        with open(path) as fh:
            for line in fh:
                line = line.strip()
                if line:
                    out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out


def svg_charts(runs, scenarios):
    """One svg_chart per scenario, stacked."""
    parts, y, w = [], 0, 900
    for sc in scenarios:
        one = svg_chart(runs, sc)
        if not one:
            continue
        h = int(one.split('height="', 1)[1].split('"', 1)[0])
        inner = one.split(">", 1)[1].rsplit("</svg>", 1)[0]
        parts.append('<g transform="translate(0,%d)">%s</g>' % (y, inner))
        y += h + 10
    return '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">\n%s\n</svg>' % (
        w, y, "\n".join(parts))


def svg_chart(runs, scenario):
    """Two horizontal bar groups: restart-window p99 vs steady p99 (ms) and drops per restart."""
    rows = [r for r in runs if r["scenario"] == scenario]
    if not rows:
        return ""
    w, left, bar, gap = 900, 210, 14, 10
    h1 = 60 + len(rows) * (2 * bar + gap)
    h2 = 50 + len(rows) * (bar + gap)
    height = h1 + h2 + 30
    maxlat = max([r["window_p99_ms"] or 0 for r in rows] + [r["steady_p99_ms"] or 0 for r in rows] + [1])
    maxdrop = max([r["drops_per_restart"] or 0 for r in rows] + [1])
    scale1 = (w - left - 90) / maxlat
    # drops span 0 to ~1,000 per restart (a stop-then-start peer): log scale, or the rest vanish
    import math
    span2 = (w - left - 90) / math.log10(1 + maxdrop)
    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (w, height),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="10" y="20" font-size="15" font-weight="bold">%s: p99 latency, steady vs restart window (ms, from scheduled start)</text>'
         % html.escape(scenario),
         '<rect x="%d" y="30" width="12" height="10" fill="#9bb"/><text x="%d" y="39">steady p99</text>' % (left, left + 16),
         '<rect x="%d" y="30" width="12" height="10" fill="#c53"/><text x="%d" y="39">restart-window p99</text>' % (left + 110, left + 126)]
    y = 55
    for r in rows:
        s, wv = r["steady_p99_ms"] or 0, r["window_p99_ms"] or 0
        o.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (left - 8, y + bar + 3, html.escape(r["peer"])))
        o.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="#9bb"/>' % (left, y, max(1, s * scale1), bar))
        o.append('<text x="%.1f" y="%d">%s</text>' % (left + s * scale1 + 4, y + 11, f(s)))
        o.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="#c53"/>' % (left, y + bar, max(1, wv * scale1), bar))
        o.append('<text x="%.1f" y="%d">%s</text>' % (left + wv * scale1 + 4, y + bar + 11, f(wv)))
        y += 2 * bar + gap
    y += 20
    o.append('<text x="10" y="%d" font-size="15" font-weight="bold">%s: dropped requests per restart (log scale)</text>' % (y, html.escape(scenario)))
    y += 15
    for r in rows:
        d = r["drops_per_restart"] or 0
        o.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (left - 8, y + 11, html.escape(r["peer"])))
        dw = math.log10(1 + d) * span2
        o.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>' % (left, y, max(1, dw), bar, "#c53" if d else "#6a6"))
        o.append('<text x="%.1f" y="%d">%s</text>' % (left + dw + 4, y + 11, f(d)))
        y += bar + gap
    o.append("</svg>")
    return "\n".join(o)


def render(a):
    runs = load_jsonl(a.runs)
    wrk = load_jsonl(a.wrk)
    lg = load_jsonl(a.loadgen)
    longr = load_jsonl(a.long)
    machine = json.load(open(a.machine)) if a.machine else {}
    md = ["# Side-by-side results" if runs else "# Long run", ""]
    if machine:
        md += ["Machine: " + ", ".join("%s %s" % (k, v) for k, v in machine.items()), ""]
    if a.note:
        md += [a.note, ""]
    for sc in sorted({r["scenario"] for r in runs}):
        md += ["## Scenario `%s`" % sc, "",
               "| peer | restarts | requests | dropped | drops/restart | drops by class | drops by connection | steady p50/p99/max ms | "
               "window p50/p99/max ms | window p99 ÷ steady p99 | signal → new pid serving, median (n) ms | harness signal → ready ms | harness verdict |",
               "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in [x for x in runs if x["scenario"] == sc]:
            ratio = (r["window_p99_ms"] / r["steady_p99_ms"]) if r["window_p99_ms"] and r["steady_p99_ms"] else None
            hr = r["harness_ready_median_ms"]
            md.append("| %s | %d | %d | %d | %s | %s | %s | %s/%s/%s | %s/%s/%s | %s | %s (%d) | %s | %s |" % (
                r["peer"], r["restarts"], r["requests"], r["dropped"], f(r["drops_per_restart"]),
                ", ".join("%s %d" % kv for kv in sorted(r["drops_by_class"].items())) or "–",
                ", ".join("%s %d" % kv for kv in sorted(r["drops_by_conn"].items())) or "–",
                f(r["steady_p50_ms"]), f(r["steady_p99_ms"]), f(r["steady_max_ms"]),
                f(r["window_p50_ms"]), f(r["window_p99_ms"]), f(r["window_max_ms"]), f(ratio),
                f(r["new_gen_serving_median_ms"]), r["new_gens_seen"],
                ("median %s" % f(hr)) if hr is not None else "–",
                r["result"] + ((" (" + ", ".join(r["failed_invariants"]) + ")") if r["failed_invariants"] else "")))
        md.append("")
    if wrk:
        # Several rounds per server and mode, taken in turns: the median, and every round.
        groups = {}
        for w in wrk:
            groups.setdefault((w["server"], w["mode"]), []).append(w)
        med = {}
        md += ["## Throughput (wrk)", "",
               "| server | connections | wrk args | requests/s, median | server CPU µs/request, median | rounds: requests/s | errors (non-2xx, socket) |",
               "|---|---|---|---|---|---|---|"]
        for (server, mode), ws in groups.items():
            rps = [w["rps"] for w in ws if w.get("rps")]
            cpu = [w["server_cpu_us_per_request"] for w in ws if w.get("server_cpu_us_per_request")]
            m_rps = statistics.median(rps) if rps else None
            m_cpu = statistics.median(cpu) if cpu else None
            med[(server.split(" ")[0], mode)] = (m_rps, m_cpu)
            errs = sorted({w.get("errors", "–") for w in ws})
            md.append("| %s | %s | `%s` | %s | %s | %s | %s |" % (server, mode, ws[0]["args"], f(m_rps, 0), f(m_cpu),
                                                              ", ".join(f(x, 0) for x in rps), "; ".join(errs)))
        md.append("")
        # The ratio the target names: reference over nginx, per connection mode, in requests/s
        # and in CPU per request (nginx's over the reference's: > 1 means the reference is cheaper).
        rows = []
        for mode in ("keep-alive", "new-connection"):
            r, n = med.get(("reference", mode)), med.get(("nginx", mode))
            if not r or not n:
                continue
            rps = r[0] / n[0] if r[0] and n[0] else None
            cpu = n[1] / r[1] if r[1] and n[1] else None
            rows.append("| %s | %s | %s |" % (mode, f(rps), f(cpu)))
        if rows:
            md += ["| connections | reference ÷ nginx, requests/s | nginx ÷ reference, CPU per request |", "|---|---|---|"] + rows + [""]
    if lg:
        md += ["## Load generator vs wrk (same server, max request rate)", "",
               "| mode | wrk req/s | zerodrop req/s | ratio | zerodrop method |", "|---|---|---|---|---|"]
        for x in lg:
            md.append("| %s | %s | %s | %s | %s |" % (x["mode"], f(x.get("wrk_rps"), 0), f(x.get("zerodrop_rps"), 0),
                                                    f(x.get("ratio")), x.get("method", "")))
        md.append("")
    if longr:
        md += ["## Long run: the reference server, many restarts under open-loop load", "",
               "| run | target rate | achieved ok/s | restarts | requests | dropped | drops by class | steady p99 ms | window p99/max ms | harness signal → ready median ms | verdict |",
               "|---|---|---|---|---|---|---|---|---|---|---|"]
        tot_r = tot_d = tot_q = 0
        for i, r in enumerate(longr):
            hr = r["harness_ready_median_ms"]
            md.append("| %d | %s | %s | %d | %d | %d | %s | %s | %s/%s | %s | %s |" % (
                i + 1, r.get("target_rate", "–"), f(r["rate_ok_per_s"], 0), r["restarts"], r["requests"], r["dropped"],
                ", ".join("%s %d" % kv for kv in sorted(r["drops_by_class"].items())) or "–",
                f(r["steady_p99_ms"]), f(r["window_p99_ms"]), f(r["window_max_ms"]),
                f(hr) if hr is not None else "–",
                r["result"] + ((" (" + ", ".join(r["failed_invariants"]) + ")") if r["failed_invariants"] else "")))
            tot_r += r["restarts"]
            tot_d += r["dropped"]
            tot_q += r["requests"]
        md += ["", "Total: %d restarts, %d requests, %d dropped." % (tot_r, tot_q, tot_d), ""]
    if a.micro:
        md += ["## Micro-benchmarks", "", a.micro, ""]
    with open(a.md, "w") as fh:
        fh.write("\n".join(md) + "\n")
    if a.svg and runs:
        order = []
        for r in runs:
            if r["scenario"] not in order:
                order.append(r["scenario"])
        with open(a.svg, "w") as fh:
            fh.write(svg_charts(runs, order) + "\n")


# A peer's PID model differs from the reference server's (nginx/HAProxy masters stay and their
# workers change; the Go Shutdown peer's supervisor stays; tableflip/grace successors announce
# themselves), so the harness checks for peers only what means the same for every one of them:
# drops and in-flight requests finished by the process that took them. The figures of the
# comparison do not depend on these verdicts (see summarize).
PEER_EXPECT = """expect:
  restarts: 0
  max_restarts: 100
  settle_restart: false
  drain_ms: 1000
  slack_ms: 1000
  invariants: [no_dropped_requests, in_flight_served_by_old]
  eof_on_reused_keepalive: drop
  messages: ["hello gin!"]
"""


def top_level_sections(text):
    """{key: text of the section} for each top-level key of a scenario file (a line `key:` at
    column 0 opens a section, which runs to the next one); comments before a key stay with it."""
    import re
    sections, order, key, buf = {}, [], None, []
    for line in text.splitlines(keepends=True):
        m = re.match(r"([a-z_]+):", line)
        if m:
            if key is not None:
                sections[key] = "".join(buf)
            key, buf = m.group(1), []
            order.append(key)
        buf.append(line)
    if key is not None:
        sections[key] = "".join(buf)
    return sections, order


def make_scenario(a):
    import re
    text = open(a.src).read()
    if a.command:
        argv = json.loads(a.command)
        fault = "command: [" + ", ".join(json.dumps(x) for x in argv) + "]"
    else:
        fault = "signal: " + a.signal
    if "signal: HUP" not in text:
        raise SystemExit("%s: no 'signal: HUP' fault to replace" % a.src)
    text = text.replace("signal: HUP", fault)
    if a.quick:
        text = re.sub(r"duration_ms: (\d+)", lambda m: "duration_ms: %d" % (int(m.group(1)) // 2), text)
        text = re.sub(r"repeat: 5\b", "repeat: 2", text)
        text = re.sub(r"^  restarts: 5$", "  restarts: 2", text, flags=re.M)
    if a.then:
        # A sequence per restart: the repeat written out, each restart followed by its --then faults.
        m = re.search(r"^  - \{at_ms: (\d+)(, when_slow_in_flight: \d+)?, (.*?), repeat: (\d+), interval_ms: (\d+)\}$",
                      text, flags=re.M)
        if not m:
            raise SystemExit("%s: --then needs one fault with at_ms, repeat and interval_ms" % a.src)
        at, cond, action, n, step = int(m.group(1)), m.group(2) or "", m.group(3), int(m.group(4)), int(m.group(5))
        lines = []
        for i in range(n):
            lines.append("  - {at_ms: %d%s, %s}" % (at + i * step, cond if i == 0 else "", action))
            lines += ["  - " + t for t in a.then]
        text = text[:m.start()] + "\n".join(lines) + text[m.end():]
    sections, order = top_level_sections(text)
    if a.server_from:
        peer, _ = top_level_sections(open(a.server_from).read())
        sections["server"] = peer["server"]
        if "sidecars" in peer:
            sections["sidecars"] = peer["sidecars"]
            order.insert(order.index("server"), "sidecars")
        reload = re.search(r"^  reload: .*$", peer.get("expect", ""), flags=re.M)
    if a.peer:
        sections["expect"] = PEER_EXPECT
        if a.server_from and reload:
            sections["expect"] += reload.group(0) + "\n"
    with open(a.out, "w") as fh:
        fh.write("".join(sections[k] for k in order))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("summarize")
    s.add_argument("figures")
    s.add_argument("--peer", required=True)
    s.add_argument("--scenario", required=True)
    s.add_argument("--extra", default="{}", help="JSON object merged into the line")
    m = sub.add_parser("scenario")
    m.add_argument("src")
    m.add_argument("out")
    m.add_argument("--signal", default="HUP")
    m.add_argument("--command")
    m.add_argument("--server-from")
    m.add_argument("--then", action="append", default=[])
    m.add_argument("--peer", action="store_true")
    m.add_argument("--quick", action="store_true")
    r = sub.add_parser("render")
    r.add_argument("--runs")
    r.add_argument("--wrk")
    r.add_argument("--loadgen")
    r.add_argument("--long")
    r.add_argument("--machine")
    r.add_argument("--micro", default="")
    r.add_argument("--note", default="")
    r.add_argument("--md", required=True)
    r.add_argument("--svg")
    a = ap.parse_args()
    if a.cmd == "summarize":
        with open(a.figures) as fh:
            out = summarize(json.load(fh), a.peer, a.scenario)
        out.update(json.loads(a.extra))
        print(json.dumps(out))
    elif a.cmd == "scenario":
        make_scenario(a)
    else:
        render(a)


if __name__ == "__main__":
    sys.exit(main())

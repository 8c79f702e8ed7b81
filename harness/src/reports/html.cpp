// render_html (report_files.hpp): the run as one self-contained page a person looks at.
//
// The requests travel as one inline JSON array and a small script draws the SVG from it: a
// point per request costs ~60 bytes of data instead of a few hundred of markup, so a run of
// 20,000 requests stays a page of a few MB. Everything that is not the timeline (header,
// invariant table, validity) is plain HTML, readable without the script.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "markup.hpp"
#include "zerodrop/report.hpp"
#include "zerodrop/report_files.hpp"

namespace zerodrop {

namespace {

using reports::markup_escape;

// ms on the run's clock, rounded to 10 µs: enough for a point on a screen, short in the data.
double ms(std::int64_t ns) {
  return std::round(static_cast<double>(ns) / 1e4) / 100;
}

// Index of `s` in `table`, appending it when new (the data names kinds, outcomes and errors by
// index: a run repeats the same few strings thousands of times).
std::size_t intern(std::vector<std::string>& table, std::map<std::string, std::size_t>& index,
                   const std::string& s) {
  auto [it, added] = index.emplace(s, table.size());
  if (added) table.push_back(s);
  return it->second;
}

nlohmann::json timeline_data(const History& h, const Timeline& t) {
  const std::int64_t end = reports::run_end_ns(h);
  nlohmann::json gens = nlohmann::json::array();
  for (auto& g : t.gens) {
    std::string exit = !g.gone()           ? "alive at the end of the record"
                       : g.vanished        ? "exited (code not observable)"
                       : *g.exit_code >= 0 ? "exit code " + std::to_string(*g.exit_code)
                                           : "killed by signal " + std::to_string(-*g.exit_code);
    gens.push_back({g.pid, ms(g.takeover_ns), g.ready_ns >= 0 ? ms(g.ready_ns) : -1,
                    g.exit_ns >= 0 ? ms(g.exit_ns) : ms(end), exit});
  }
  nlohmann::json faults = nlohmann::json::array();
  for (auto& f : reports::fault_marks(h))
    faults.push_back({ms(f.t_ns), f.label, f.detail});
  std::vector<std::string> kinds, outcomes, errors{""};
  std::map<std::string, std::size_t> kind_ix, outcome_ix, error_ix{{"", 0}};
  intern(outcomes, outcome_ix, to_string(Outcome::kOk));  // index 0: drawn as a dot
  nlohmann::json reqs = nlohmann::json::array();
  for (auto& r : h.requests) {
    const double latency = r.end_ns >= 0 ? ms(r.end_ns - r.start_ns) : -1;
    const int flags = (r.keepalive ? 1 : 0) | (r.reused ? 2 : 0);
    reqs.push_back({r.id, ms(r.scheduled_ns), latency, t.gen_index_of(r.pid),
                    intern(outcomes, outcome_ix, to_string(r.outcome)), r.pid, r.conn,
                    intern(kinds, kind_ix, r.kind + (r.method == "GET" ? "" : " " + r.method)),
                    intern(errors, error_ix, r.error.empty() ? r.body_error : r.error), flags,
                    r.status});
  }
  return {{"end", ms(end)},       {"gens", gens},     {"faults", faults}, {"kinds", kinds},
          {"outcomes", outcomes}, {"errors", errors}, {"reqs", reqs}};
}

// JSON inside <script>: no "</script>" or "<!--" can appear once '<' '>' '&' are \u escapes.
std::string script_safe(const nlohmann::json& j) {
  const std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '<')
      out += "\\u003c";
    else if (c == '>')
      out += "\\u003e";
    else if (c == '&')
      out += "\\u0026";
    else
      out += c;
  }
  return out;
}

const char* kStyle = R"CSS(
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:16px 24px;color:#222;max-width:1160px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 6px}
.meta{color:#555;margin:2px 0}.badge{display:inline-block;padding:1px 10px;border-radius:10px;color:#fff;font-weight:600}
.r-pass{background:#2a8a3a}.r-fail{background:#c62828}.r-inconclusive{background:#b7791f}.r-invalid{background:#6b4fa0}
#chart{position:relative}#chart svg{display:block;background:#fff;border:1px solid #ddd}
.axis text,.lane-label,.fault-label{font-size:11px;fill:#444}.grid{stroke:#eee}
.fault-line{stroke:#c62828;stroke-width:1.5;stroke-dasharray:5 3}.fault-label{fill:#c62828;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:4px}
.req-fail{stroke:#d00;stroke-width:1.6;fill:none}.gen-band{fill-opacity:.35;stroke-width:1}.gen-band.hl{fill-opacity:.8}
.gen-ready{stroke:#000;stroke-width:2}.hl-ring{fill:none;stroke:#000;stroke-width:2}
#tip{position:absolute;display:none;pointer-events:none;background:#fffbe6;border:1px solid #caa;padding:4px 8px;font:12px monospace;white-space:pre;box-shadow:0 1px 4px #0003}
#legend{margin:6px 0;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px}#legend span{display:inline-flex;align-items:center;gap:5px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
.v-pass{color:#2a8a3a;font-weight:600}.v-fail{color:#c62828;font-weight:700}.v-unknown{color:#b7791f;font-weight:600}.v-na{color:#777}
a.ex{font-family:monospace;margin-right:4px}code{font-size:12px}
)CSS";

const char* kScript = R"JS(
(function () {
  const D = JSON.parse(document.getElementById('zd-data').textContent);
  const PAL = ['#1f77b4', '#2ca02c', '#9467bd', '#e6a100', '#17becf', '#8c564b', '#e377c2', '#bcbd22'];
  const gc = g => g < 0 ? '#888' : PAL[g % PAL.length];
  const esc = s => String(s).replace(/[&<>"']/g, c => '&#' + c.charCodeAt(0) + ';');
  const W = 1100, L = 64, R = 16, T = 22, PH = 300, LANE = 20;
  const nG = D.gens.length, lanesTop = T + PH + 36, H = lanesTop + Math.max(nG, 1) * LANE + 6;
  const x1 = Math.max(D.end, 1);
  const X = t => L + Math.max(0, t) / x1 * (W - L - R);
  let lmin = Infinity, lmax = 0;
  for (const q of D.reqs) if (q[2] >= 0) { lmin = Math.min(lmin, Math.max(q[2], 0.01)); lmax = Math.max(lmax, q[2]); }
  if (!isFinite(lmin)) { lmin = 1; lmax = 10; }
  const d0 = Math.floor(Math.log10(lmin)), d1 = Math.max(d0 + 1, Math.ceil(Math.log10(lmax)));
  // No end (the harness cut it off, or never got one): drawn on the top edge.
  const Y = v => v < 0 ? T - 8 : T + PH - (Math.log10(Math.max(v, 10 ** d0)) - d0) / (d1 - d0) * PH;
  const f1 = v => v.toFixed(1);
  const m = [];
  m.push('<svg id="timeline" width="' + W + '" height="' + H + '" viewBox="0 0 ' + W + ' ' + H + '" data-requests="' + D.reqs.length + '">');
  m.push('<g class="axis">');
  for (let d = d0; d <= d1; d++) {
    const y = f1(Y(10 ** d)), v = 10 ** d;
    m.push('<line class="grid" x1="' + L + '" x2="' + (W - R) + '" y1="' + y + '" y2="' + y + '"/>');
    m.push('<text x="' + (L - 6) + '" y="' + y + '" dy="4" text-anchor="end">' + (v < 1 ? v.toFixed(-d) : v) + ' ms</text>');
  }
  const steps = [100, 200, 500, 1000, 2000, 5000, 10000, 20000, 30000, 60000, 120000, 300000];
  const step = steps.find(s => x1 / s <= 12) || 600000;
  for (let t = 0; t <= x1; t += step) {
    const x = f1(X(t));
    m.push('<line class="grid" x1="' + x + '" x2="' + x + '" y1="' + T + '" y2="' + (T + PH) + '"/>');
    m.push('<text x="' + x + '" y="' + (T + PH + 14) + '" text-anchor="middle">' + (t / 1000) + ' s</text>');
  }
  m.push('<text x="' + (W - R) + '" y="' + (T + PH + 28) + '" text-anchor="end">scheduled start (s since the run began)</text>');
  m.push('<text x="' + L + '" y="' + (T - 12) + '">latency (log), a cross on the top edge: no response at all</text>');
  m.push('<rect x="' + L + '" y="' + T + '" width="' + (W - L - R) + '" height="' + PH + '" fill="none" stroke="#bbb"/></g>');
  D.gens.forEach((g, i) => {
    const [pid, from, ready, to, exit] = g, y = lanesTop + i * LANE;
    const x = X(from), w = Math.max(2, X(to) - x);
    m.push('<rect class="gen-band" id="pid-' + pid + '" x="' + f1(x) + '" y="' + y + '" width="' + f1(w) + '" height="' + (LANE - 6) +
           '" fill="' + gc(i) + '" stroke="' + gc(i) + '"><title>generation ' + i + ', pid ' + pid + ': from ' + from + ' ms' +
           (ready >= 0 ? ', ready ' + ready + ' ms' : ', never ready') + ', until ' + to + ' ms (' + esc(exit) + ')</title></rect>');
    if (ready >= 0) m.push('<line class="gen-ready" x1="' + f1(X(ready)) + '" x2="' + f1(X(ready)) + '" y1="' + y + '" y2="' + (y + LANE - 6) + '"/>');
    m.push('<text class="lane-label" x="' + f1(Math.min(x + 4, W - R - 110)) + '" y="' + (y + 11) + '">gen ' + i + ' · pid ' + pid + '</text>');
  });
  const labels = [];
  D.faults.forEach((f, i) => {
    const x = f1(X(f[0]));
    m.push('<line class="fault-line" x1="' + x + '" x2="' + x + '" y1="' + (T - 4) + '" y2="' + (H - 4) + '"><title>' + esc(f[1]) + ' at ' + f[0] + ' ms: ' + esc(f[2]) + '</title></line>');
    labels.push('<text class="fault-label" x="' + (+x + 4) + '" y="' + (T + 12 + (i % 3) * 13) + '">' + esc(f[1]) + '</text>');
  });
  // Failures last, over the dots.
  const pts = [], fails = [];
  D.reqs.forEach((q, k) => {
    const x = X(q[1]), y = Y(q[2]), a = ' id="req-' + q[0] + '" data-i="' + k + '"';
    if (q[4] === 0) pts.push('<circle class="req-pt"' + a + ' cx="' + f1(x) + '" cy="' + f1(y) + '" r="2.2" fill="' + gc(q[3]) + '"/>');
    else fails.push('<path class="req-pt req-fail"' + a + ' d="M' + f1(x - 3) + ',' + f1(y - 3) + 'l6,6m0,-6l-6,6"/>');
  });
  // Labels over the points, readable on their white halo.
  m.push('<g id="points">' + pts.join('') + fails.join('') + '</g>' + labels.join('') + '</svg>');
  const chart = document.getElementById('chart');
  chart.insertAdjacentHTML('afterbegin', m.join(''));
  const lg = [];
  D.gens.forEach((g, i) => lg.push('<span><svg width="12" height="12"><circle cx="6" cy="6" r="4" fill="' + gc(i) + '"/></svg>gen ' + i + ' · pid ' + g[0] + '</span>'));
  lg.push('<span><svg width="12" height="12"><circle cx="6" cy="6" r="4" fill="#888"/></svg>answered by an unknown pid</span>');
  lg.push('<span><svg width="12" height="12"><path d="M2,2l8,8m0,-8l-8,8" stroke="#d00" stroke-width="1.8"/></svg>outcome other than ok</span>');
  lg.push('<span><svg width="20" height="12"><rect x="1" y="2" width="18" height="8" fill="#1f77b4" fill-opacity=".35" stroke="#1f77b4"/></svg>generation lifetime (takeover → exit; black tick: ready)</span>');
  lg.push('<span><svg width="12" height="14"><line x1="6" x2="6" y1="0" y2="14" stroke="#c62828" stroke-width="1.5" stroke-dasharray="5 3"/></svg>fault fired</span>');
  document.getElementById('legend').innerHTML = lg.join('');
  const tip = document.getElementById('tip');
  const flagText = f => (f & 1 ? 'keep-alive' : 'fresh connection') + (f & 2 ? ', reused' : '');
  const record = k => {
    const q = D.reqs[k], err = D.errors[q[8]];
    return 'request ' + q[0] + ' · ' + D.kinds[q[7]] + ' · ' + D.outcomes[q[4]] + (q[10] ? ' (status ' + q[10] + ')' : '') +
      '\nlatency ' + (q[2] < 0 ? 'none (no end)' : q[2] + ' ms') + ' · scheduled ' + q[1] + ' ms' +
      '\npid ' + (q[5] || '-') + (q[3] >= 0 ? ' (gen ' + q[3] + ')' : '') + ' · conn ' + q[6] + ' (' + flagText(q[9]) + ')' +
      (err ? '\nerror: ' + err : '');
  };
  const show = (k, cx, cy) => {
    tip.textContent = record(k);
    tip.style.display = 'block';
    tip.style.left = Math.min(cx + 12, W - 320) + 'px';
    tip.style.top = (cy + 12) + 'px';
  };
  const svg = document.getElementById('timeline');
  svg.addEventListener('mousemove', e => {
    const i = e.target.getAttribute('data-i');
    if (i === null) { tip.style.display = 'none'; return; }
    const r = chart.getBoundingClientRect();
    show(+i, e.clientX - r.left, e.clientY - r.top);
  });
  svg.addEventListener('mouseleave', () => { tip.style.display = 'none'; });
  // Example ids in the table link to #req-ID / #pid-PID: ring the point, show its record.
  const highlight = () => {
    document.querySelectorAll('.hl-ring').forEach(n => n.remove());
    document.querySelectorAll('.gen-band.hl').forEach(n => n.classList.remove('hl'));
    const id = decodeURIComponent(location.hash.slice(1)), el = id && document.getElementById(id);
    if (!el) return;
    if (el.classList.contains('gen-band')) { el.classList.add('hl'); return; }
    const k = el.getAttribute('data-i');
    if (k === null) return;
    const q = D.reqs[+k], x = X(q[1]), y = Y(q[2]);
    document.getElementById('points').insertAdjacentHTML('beforeend', '<circle class="hl-ring" cx="' + f1(x) + '" cy="' + f1(y) + '" r="8"/>');
    show(+k, x, y);
    chart.scrollIntoView({block: 'nearest'});
  };
  window.addEventListener('hashchange', highlight);
  highlight();
})();
)JS";

void invariant_table(std::ostream& out, const std::vector<CheckResult>& results) {
  out << "<h2>Invariants</h2>\n<table id=\"invariants\">\n<tr><th>invariant</th><th>verdict</th>"
         "<th>evidence</th><th>examples</th></tr>\n";
  for (auto& r : results) {
    const char* v = r.verdict == Verdict::kPass            ? "pass"
                    : r.verdict == Verdict::kFail          ? "fail"
                    : r.verdict == Verdict::kNotApplicable ? "na"
                                                           : "unknown";
    out << "<tr class=\"inv\"><td><code>" << markup_escape(r.name) << "</code></td><td class=\"v-"
        << v << "\">" << (r.verdict == Verdict::kNotApplicable ? "n/a" : v) << "</td><td>"
        << markup_escape(r.summary) << "</td><td>";
    const bool pids = examples_are_pids(r);
    if (!r.examples.empty()) out << (pids ? "pids " : "requests ");
    for (auto id : r.examples)
      out << "<a class=\"ex\" href=\"#" << (pids ? "pid-" : "req-") << id << "\">" << id << "</a>";
    out << "</td></tr>\n";
  }
  out << "</table>\n";
}

void validity_section(std::ostream& out, const Validity& validity) {
  out << "<h2>Run validity</h2>\n<section id=\"validity\">\n<p>"
      << (validity.valid() ? "<span class=\"v-pass\">valid</span>: faults ran as written, load "
                             "on schedule, no harness errors"
                           : "<span class=\"v-fail\">NOT VALID</span>: the verdicts above prove "
                             "nothing either way")
      << "</p>\n";
  if (!validity.reasons.empty()) {
    out << "<ul>\n";
    for (auto& why : validity.reasons)
      out << "<li>" << markup_escape(why) << "</li>\n";
    out << "</ul>\n";
  }
  if (validity.figures.is_object() && !validity.figures.empty()) {
    out << "<table>\n";
    for (auto& [k, v] : validity.figures.items())
      out << "<tr><td>" << markup_escape(k) << "</td><td><code>"
          << markup_escape(v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
          << "</code></td></tr>\n";
    out << "</table>\n";
  }
  out << "</section>\n";
}

}  // namespace

void render_html(std::ostream& out, const std::string& name, const History& h,
                 const std::vector<CheckResult>& results, const Validity& validity) {
  const Timeline t = build_timeline(h);
  const std::string word = result_word(results, validity);
  const std::string n = markup_escape(name);
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>zerodrop: " << n
      << " — " << word << "</title>\n<style>" << kStyle << "</style></head><body>\n";
  out << "<h1>zerodrop: " << n << " <span id=\"result\" class=\"badge r-" << word << "\">" << word
      << "</span></h1>\n";
  out << "<p class=\"meta\"><code>" << markup_escape(h.scenario_file) << "</code> · zerodrop "
      << markup_escape(harness_version());
  if (!h.harness_version.empty() && h.harness_version != harness_version())
    out << " (recorded by " << markup_escape(h.harness_version) << ")";
  out << " · " << h.requests.size() << " requests</p>\n<p class=\"meta\">generations: "
      << markup_escape(generations_text(t, " → ", " · "));
  out << "</p>\n<div id=\"chart\"><div id=\"tip\"></div></div>\n<div id=\"legend\"></div>\n";
  invariant_table(out, results);
  validity_section(out, validity);
  out << "<script type=\"application/json\" id=\"zd-data\">" << script_safe(timeline_data(h, t))
      << "</script>\n<script>" << kScript << "</script>\n</body></html>\n";
}

}  // namespace zerodrop

// The report files (report_files.hpp) rendered from a hand-written History and CheckResults:
// JUnit counts, markdown rows, the HTML page's inline data and its self-containment, escaping.
#include "zerodrop/report_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <sstream>

namespace zerodrop {
namespace {

std::int64_t at_ms(double v) {
  return static_cast<std::int64_t>(v * 1e6);
}

// gen 100 → fault 0 (SIGHUP) at 500 ms → gen 200; six requests, one reset with a hostile error.
History two_generations() {
  History h;
  h.scenario_file = "scenarios/x.yaml";
  h.events = {{0, "spawned", 100, 0, ""},
              {at_ms(1), "ready", 100, 0, "notify"},
              {at_ms(500), "fault", 0, 0, "line 9"},
              {at_ms(500), "signal", 100, 1, "HUP"},
              {at_ms(510), "mainpid", 200, 100, ""},
              {at_ms(510), "ready", 200, 0, "notify"},
              {at_ms(900), "exited", 100, 0, "code 0"}};
  for (std::uint64_t id = 0; id < 6; ++id) {
    RequestRecord r;
    r.id = id;
    r.kind = "fast";
    r.scheduled_ns = r.start_ns = at_ms(100.0 * static_cast<double>(id) + 50);
    r.end_ns = r.start_ns + at_ms(2);
    r.outcome = Outcome::kOk;
    r.pid = id < 5 ? 100 : 200;
    h.requests.push_back(r);
  }
  h.requests[3].outcome = Outcome::kReset;
  h.requests[3].pid = 0;
  h.requests[3].error = "read: ECONNRESET </script><script>alert(1)</script> & \"quotes\"";
  return h;
}

CheckResult result(const char* name, Verdict v, const char* summary,
                   std::vector<std::uint64_t> examples = {}) {
  CheckResult r;
  r.name = name;
  r.verdict = v;
  r.summary = summary;
  r.examples = std::move(examples);
  return r;
}

// One pass, one fail (request 3), one unknown, one pass: the counts below are exact.
std::vector<CheckResult> one_fail_one_unknown() {
  return {
      result("pid_transition", Verdict::kPass, "100 -> 200"),
      result("no_dropped_requests", Verdict::kFail, "6 requests, 1 dropped (reset=1) <&> | x", {3}),
      result("graceful_close", Verdict::kUnknown, "no idle keep-alive connection to judge"),
      result("old_generation_exits", Verdict::kPass, "100 exited 0", {100})};
}

template <typename Fn>
std::string render(Fn fn, const History& h, const std::vector<CheckResult>& r, const Validity& v) {
  std::ostringstream out;
  fn(out, "restart <&> \"x\"", h, r, v);
  return out.str();
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size()))
    ++n;
  return n;
}

// Whether `doc` holds `part`; the whole document is the failure message.
::testing::AssertionResult has(const std::string& doc, const std::string& part) {
  if (doc.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no \"" << part << "\" in:\n" << doc;
}

std::string attr(const std::string& s, const std::string& element, const std::string& name) {
  std::smatch m;
  const std::regex re("<" + element + "\\b[^>]*\\b" + name + "=\"([^\"]*)\"");
  return std::regex_search(s, m, re) ? m[1].str() : "<missing>";
}

// The counts in <testsuite> and <testsuites>, and the elements they count.
void expect_counts(const std::string& x, int tests, int failures, int skipped) {
  for (const char* suite : {"testsuite", "testsuites"}) {
    EXPECT_EQ(attr(x, suite, "tests"), std::to_string(tests)) << suite;
    EXPECT_EQ(attr(x, suite, "failures"), std::to_string(failures)) << suite;
    EXPECT_EQ(attr(x, suite, "skipped"), std::to_string(skipped)) << suite;
    EXPECT_EQ(attr(x, suite, "errors"), "0") << suite;
  }
  EXPECT_EQ(count(x, "<testcase "), static_cast<std::size_t>(tests));
  EXPECT_EQ(count(x, "<failure "), static_cast<std::size_t>(failures));
  EXPECT_EQ(count(x, "<skipped "), static_cast<std::size_t>(skipped));
}

TEST(ReportJunit, CountsOneFailureOneSkippedPlusValidity) {
  const auto x = render(render_junit, two_generations(), one_fail_one_unknown(), Validity{});
  // Four invariants + run_validity; the failure is no_dropped_requests, the skip graceful_close.
  expect_counts(x, 5, 1, 1);
  EXPECT_TRUE(has(x, "name=\"run_validity\""));
  // classname = the scenario, escaped; the failure message is the evidence line, escaped.
  EXPECT_TRUE(
      has(x, "classname=\"restart &lt;&amp;&gt; &quot;x&quot;\" name=\"no_dropped_requests\""));
  EXPECT_TRUE(has(x,
                  "<failure type=\"invariant\" message=\"no_dropped_requests: 6 requests, 1 "
                  "dropped (reset=1) &lt;&amp;&gt; | x [e.g. 3 (request ids)]\""));
  EXPECT_EQ(x.find("<&>"), std::string::npos);
}

TEST(ReportJunit, AnInvalidRunFailsRunValidity) {
  Validity v;
  v.reasons = {"fault 0 (line 9): 4 slow requests never in flight at once", "late <start>"};
  auto results = one_fail_one_unknown();
  results.erase(results.begin() + 1);  // no invariant fails: only the validity does
  const auto x = render(render_junit, two_generations(), results, v);
  expect_counts(x, 4, 1, 1);
  EXPECT_TRUE(has(x,
                  "<failure type=\"validity\" message=\"run not valid: fault 0 (line 9): 4 slow "
                  "requests never in flight at once; late &lt;start&gt;\""));
  EXPECT_TRUE(has(x, "<property name=\"result\" value=\"invalid\"/>"));
}

TEST(ReportJunit, ControlCharactersNeverReachTheXml) {
  auto results = one_fail_one_unknown();
  results[1].summary = std::string("bad \x01\x1b byte");
  const auto x = render(render_junit, two_generations(), results, Validity{});
  EXPECT_EQ(x.find('\x01'), std::string::npos);
  EXPECT_EQ(x.find('\x1b'), std::string::npos);
}

TEST(ReportMarkdown, OneRowPerInvariantAndTheValidityReasons) {
  Validity v;
  v.reasons = {"the load engine fell behind", "a harness socket error"};
  const auto md = render(render_markdown, two_generations(), one_fail_one_unknown(), v);
  std::istringstream in(md);
  std::size_t rows = 0, reasons = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `", 0) == 0) {
      ++rows;
      // Three cells: four unescaped pipes, whatever the evidence held.
      std::size_t pipes = 0;
      for (std::size_t i = 0; i < line.size(); ++i)
        if (line[i] == '|' && (i == 0 || line[i - 1] != '\\')) ++pipes;
      EXPECT_EQ(pipes, 4u) << line;
    }
    if (line.rfind("- ", 0) == 0) ++reasons;
  }
  EXPECT_EQ(rows, 4u) << md;
  EXPECT_EQ(reasons, 2u) << md;
  EXPECT_TRUE(has(md, "INVALID"));
  EXPECT_TRUE(has(md, "| `no_dropped_requests` | ❌ **fail** |"));
  EXPECT_TRUE(has(md, "| `graceful_close` | ❔ unknown |"));
}

TEST(ReportMarkdown, ResultWordOfAValidRun) {
  const auto md = render(render_markdown, two_generations(), one_fail_one_unknown(), Validity{});
  EXPECT_TRUE(has(md, "— ❌ FAIL"));
}

std::string inline_data(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"zd-data\">";
  auto b = html.find(open);
  if (b == std::string::npos) return "";
  b += open.size();
  return html.substr(b, html.find("</script>", b) - b);
}

TEST(ReportHtml, SelfContainedWithEveryRequestInItsInlineData) {
  const auto h = two_generations();
  const auto html = render(render_html, h, one_fail_one_unknown(), Validity{});
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  const auto data = nlohmann::json::parse(inline_data(html));
  ASSERT_EQ(data["reqs"].size(), h.requests.size());
  EXPECT_EQ(data["gens"].size(), 2u);
  ASSERT_EQ(data["faults"].size(), 1u);
  EXPECT_EQ(data["faults"][0][1], "fault 0: SIGHUP");
  // Request 3: the reset, no generation, its error text intact once parsed.
  const auto& r3 = data["reqs"][3];
  EXPECT_EQ(r3[0], 3);
  EXPECT_EQ(r3[3], -1);
  EXPECT_EQ(data["outcomes"][r3[4].get<std::size_t>()], "reset");
  EXPECT_EQ(data["errors"][r3[8].get<std::size_t>()], h.requests[3].error);
  // The hostile error cannot close the data's <script>: exactly the page's two scripts end.
  EXPECT_EQ(count(html, "</script>"), 2u);
  // The table links the examples to their points and bands; the result word is in the header.
  EXPECT_TRUE(has(html, "href=\"#req-3\""));
  EXPECT_TRUE(has(html, "href=\"#pid-100\""));
  EXPECT_TRUE(has(html, "class=\"badge r-fail\""));
  EXPECT_TRUE(has(html, "restart &lt;&amp;&gt; &quot;x&quot;"));
  EXPECT_EQ(count(html, "<tr class=\"inv\">"), 4u);
}

TEST(ReportHtml, ASignalWithoutAFaultEventIsStillMarked) {
  auto h = two_generations();
  h.events.push_back({at_ms(800), "signal", 200, 15, "TERM"});
  const auto data =
      nlohmann::json::parse(inline_data(render(render_html, h, one_fail_one_unknown(), {})));
  ASSERT_EQ(data["faults"].size(), 2u);
  EXPECT_EQ(data["faults"][1][1], "SIGTERM");
}

TEST(ReportFiles, WritesEveryRequestedFileAndNamesOneItCannotWrite) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("zerodrop-report-files-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ReportFiles f{(dir / "r.json").string(), (dir / "r.html").string(), (dir / "r.xml").string(),
                (dir / "r.md").string()};
  std::ostringstream err;
  EXPECT_TRUE(write_reports(f, "x", two_generations(), one_fail_one_unknown(), {}, err))
      << err.str();
  for (auto* p : {&f.json, &f.html, &f.junit, &f.summary_md})
    EXPECT_GT(std::filesystem::file_size(*p), 100u) << *p;
  f.junit = (dir / "no-such-dir" / "r.xml").string();
  EXPECT_FALSE(write_reports(f, "x", two_generations(), one_fail_one_unknown(), {}, err));
  EXPECT_TRUE(has(err.str(), f.junit));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace zerodrop

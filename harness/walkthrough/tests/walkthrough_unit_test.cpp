// Unit tests of the walkthrough's parsing and check logic (no process is started).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dom_text.hpp"
#include "options.hpp"
#include "page_load.hpp"
#include "process.hpp"
#include "supervisor_model.hpp"
#include "transcript.hpp"

namespace zw = zerodrop::walkthrough;

namespace {

zw::ParseOutcome parse(const std::vector<const char*>& args) {
  const char* argv[32] = {"walkthrough"};
  size_t n = 1;
  for (const char* a : args)
    if (n < 32) argv[n++] = a;
  return zw::parse_options(static_cast<int>(n), argv);
}

}  // namespace

TEST(WalkthroughOptions, DefaultsRunEveryPartWithTheServersOwnDeadline) {
  auto r = parse({});
  ASSERT_TRUE(r.options);
  EXPECT_EQ(r.options->parts.size(), 3u);
  EXPECT_FALSE(r.options->no_browser);
  EXPECT_TRUE(r.options->browser.empty());
  EXPECT_FALSE(r.options->shutdown_timeout_ms.has_value());
  EXPECT_FALSE(r.options->keep_going);
}

TEST(WalkthroughOptions, ParsesEachFlag) {
  auto r = parse({"--no-browser", "--part", "shutdown", "--keep-going", "--shutdown-timeout", "1s",
                  "--slow", "2500ms", "--gin-binary", "/a", "--q1mi-binary", "/b"});
  ASSERT_TRUE(r.options) << r.text;
  EXPECT_TRUE(r.options->no_browser);
  ASSERT_EQ(r.options->parts.size(), 1u);
  EXPECT_EQ(r.options->parts[0], zw::Part::kShutdown);
  EXPECT_TRUE(r.options->keep_going);
  EXPECT_EQ(r.options->shutdown_timeout_ms, 1000);
  EXPECT_EQ(r.options->slow_ms, 2500);
  EXPECT_EQ(r.options->gin_binary, "/a");
  EXPECT_EQ(r.options->q1mi_binary, "/b");
}

TEST(WalkthroughOptions, HelpExitsZeroAndDocumentsTheFlags) {
  auto r = parse({"--help"});
  EXPECT_FALSE(r.options);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag :
       {"--browser", "--no-browser", "--part", "--keep-going", "--shutdown-timeout"})
    EXPECT_NE(r.text.find(flag), std::string::npos) << flag;
}

TEST(WalkthroughOptions, UsageErrorsExitTwo) {
  for (auto args : std::vector<std::vector<const char*>>{{"--browser", "x", "--no-browser"},
                                                         {"--part", "everything"},
                                                         {"--shutdown-timeout", "soon"},
                                                         {"--shutdown-timeout", "10ms"},
                                                         {"--slow", "100h"},
                                                         {"--slow", "21s"},
                                                         {"--slow", "100ms"},
                                                         {"--bogus"}}) {
    auto r = parse(args);
    EXPECT_FALSE(r.options) << args[0];
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_FALSE(r.text.empty());
  }
}

TEST(WalkthroughOptions, Durations) {
  EXPECT_EQ(zw::parse_duration_ms("5s"), 5000);
  EXPECT_EQ(zw::parse_duration_ms("500ms"), 500);
  EXPECT_EQ(zw::parse_duration_ms("1.5s"), 1500);
  EXPECT_EQ(zw::parse_duration_ms("3"), 3000);
  EXPECT_FALSE(zw::parse_duration_ms(""));
  EXPECT_FALSE(zw::parse_duration_ms("ms"));
  EXPECT_FALSE(zw::parse_duration_ms("-1s"));
  EXPECT_FALSE(zw::parse_duration_ms("2x"));
}

class BrowserChoiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("zw-unit-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "chromium") << "#!/bin/sh\n";
    ::chmod((dir_ / "chromium").c_str(), 0755);
    std::ofstream(dir_ / "not-executable") << "x";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(BrowserChoiceTest, FindsChromiumInPath) {
  zw::Options o;
  auto c = zw::resolve_browser(o, "/nonexistent:" + dir_.string());
  EXPECT_FALSE(c.error);
  EXPECT_EQ(c.path, (dir_ / "chromium").string());
}

TEST_F(BrowserChoiceTest, NoChromiumMeansTheHttpClientAndSaysSo) {
  zw::Options o;
  auto c = zw::resolve_browser(o, "/nonexistent");
  EXPECT_FALSE(c.error);
  EXPECT_TRUE(c.path.empty());
  EXPECT_NE(c.note.find("NO BROWSER"), std::string::npos);
}

TEST_F(BrowserChoiceTest, AnExplicitBrowserThatIsMissingIsAnErrorNotAFallback) {
  zw::Options o;
  o.browser = "chromium";
  auto c = zw::resolve_browser(o, "/nonexistent");
  EXPECT_TRUE(c.error);
  EXPECT_TRUE(c.path.empty());
  o.browser = (dir_ / "not-executable").string();
  EXPECT_TRUE(zw::resolve_browser(o, dir_.string()).error);
  o.browser = "chromium";
  EXPECT_EQ(zw::resolve_browser(o, dir_.string()).path, (dir_ / "chromium").string());
}

TEST_F(BrowserChoiceTest, NoBrowserWinsOverPath) {
  zw::Options o;
  o.no_browser = true;
  auto c = zw::resolve_browser(o, dir_.string());
  EXPECT_TRUE(c.path.empty());
  EXPECT_FALSE(c.error);
}

TEST(WalkthroughChromium, RunsHeadlessOnAClosedNetworkWithAFreshProfile) {
  auto argv = zw::chromium_argv("/usr/bin/chromium", "/tmp/p", "http://127.0.0.1:1/");
  for (const char* flag : {"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", "--user-data-dir=/tmp/p", "--dump-dom"})
    EXPECT_NE(std::find(argv.begin(), argv.end(), flag), argv.end()) << flag;
  EXPECT_EQ(argv.front(), "/usr/bin/chromium");
  EXPECT_EQ(argv.back(), "http://127.0.0.1:1/");
}

TEST(WalkthroughServerLines, ListeningLine) {
  auto l = zw::parse_listening_line("listening on 127.0.0.1:41234 pid=4242 generation=2");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->host, "127.0.0.1");
  EXPECT_EQ(l->port, 41234);
  EXPECT_EQ(l->pid, 4242);
  EXPECT_EQ(l->generation, 2);
  EXPECT_TRUE(l->complete());
  auto incomplete = [](std::string_view line) {
    auto p = zw::parse_listening_line(line);
    return !p || !p->complete();
  };
  EXPECT_TRUE(incomplete("listening on 127.0.0.1:0 pid=1 generation=1"));
  EXPECT_TRUE(incomplete("listening on 127.0.0.1:80 pid=x generation=1"));
  EXPECT_FALSE(zw::parse_listening_line("ts=... event=ready"));
  // Only the port: enough for the launcher's stdout readiness, not a complete announcement.
  auto bare = zw::parse_listening_line("listening on 127.0.0.1:80");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->port, 80);
  EXPECT_TRUE(incomplete("listening on 127.0.0.1:80"));
}

TEST(WalkthroughServerLines, Logfmt) {
  auto f = zw::parse_logfmt(
      R"(ts=2026-11-25T01:20:00.1Z pid=42 gen=1 event=stats inflight=3 message="hello \"gin\"!" flag)");
  EXPECT_EQ(f["event"], "stats");
  EXPECT_EQ(zw::field_int(f, "inflight"), 3);
  EXPECT_EQ(zw::field_int(f, "pid"), 42);
  EXPECT_EQ(f["message"], "hello \"gin\"!");
  EXPECT_TRUE(f.count("flag"));
  EXPECT_FALSE(zw::field_int(f, "event"));
  EXPECT_FALSE(zw::field_int(f, "absent"));
}

TEST(WalkthroughDom, PlainTextPageAsChromiumShowsIt) {
  EXPECT_EQ(
      zw::page_text("<html><head><meta name=\"color-scheme\" content=\"light dark\"></head><body>"
                    "<pre style=\"word-wrap: break-word; white-space: pre-wrap;\">hello gin!</pre>"
                    "</body></html>\n"),
      "hello gin!");
  EXPECT_EQ(zw::page_text("<html><body><pre>a &lt;b&gt; &amp; &quot;c&quot;</pre></body></html>"),
            "a <b> & \"c\"");
  EXPECT_EQ(zw::page_text("<html><body><h1>Not found</h1>\n</body></html>"), "Not found");
  EXPECT_EQ(zw::page_text(""), "");
}

TEST(WalkthroughSupervisor, FollowsMainPidThroughAReload) {
  zw::SupervisorModel s(100);
  EXPECT_EQ(s.state(), "starting");
  s.apply("READY=1\nMAINPID=100");
  EXPECT_EQ(s.state(), "running");
  s.apply("RELOADING=1");
  EXPECT_EQ(s.state(), "reloading");
  s.apply("MAINPID=200");
  s.apply("READY=1");
  EXPECT_EQ(s.main_pid(), 200);
  EXPECT_EQ(s.state(), "running");
  EXPECT_EQ(s.reloads(), 1);
  s.apply("STATUS=serving\nSTOPPING=1");
  EXPECT_EQ(s.state(), "stopping");
  EXPECT_EQ(s.status_text(), "serving");
  EXPECT_EQ(s.pid_history(), (std::vector<pid_t>{100, 200}));
}

TEST(WalkthroughSupervisor, IgnoresAMalformedMainPid) {
  zw::SupervisorModel s(100);
  s.apply("MAINPID=abc");
  s.apply("MAINPID=-3");
  s.apply("MAINPID=");
  EXPECT_EQ(s.main_pid(), 100);
  EXPECT_EQ(s.bad_messages(), 3);
}

TEST(WalkthroughTranscript, AllChecksHeldExitsZero) {
  std::ostringstream out;
  zw::Transcript t(out);
  t.part("restart", "Part 1");
  t.command("kill -1 42");
  EXPECT_TRUE(t.check("the PID changed", true, "42 -> 43"));
  EXPECT_EQ(t.summary(), 0);
  EXPECT_NE(out.str().find("$ kill -1 42"), std::string::npos);
  EXPECT_NE(out.str().find("[PASS] the PID changed -- 42 -> 43"), std::string::npos);
  EXPECT_NE(out.str().find("1 of 1 checks held -- OK"), std::string::npos);
}

TEST(WalkthroughTranscript, OneFailedCheckFailsTheWalkthrough) {
  std::ostringstream out;
  zw::Transcript t(out);
  t.part("restart", "Part 1");
  t.check("the waiting page got \"hello gin!\"", true, "");
  EXPECT_FALSE(t.check("a new load gets \"hello q1mi!\"", false, "shown: \"hello gin!\""));
  t.part("shutdown", "Part 2");
  t.check("the process exits 0", true, "");
  EXPECT_EQ(t.failed(), 1);
  EXPECT_EQ(t.failed_in("restart"), 1);
  EXPECT_EQ(t.failed_in("shutdown"), 0);
  EXPECT_EQ(t.summary(), 1);
  EXPECT_NE(out.str().find("FAIL  restart: a new load gets \"hello q1mi!\""), std::string::npos);
  EXPECT_NE(out.str().find("2 of 3 checks held -- FAILED"), std::string::npos);
}

TEST(WalkthroughTranscript, NoCheckAtAllIsAFailure) {
  std::ostringstream out;
  zw::Transcript t(out);
  EXPECT_EQ(t.summary(), 1);
}

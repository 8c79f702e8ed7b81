// The walkthrough run in-process against the real servers: its checks must catch a server that
// does not change (the "new" binary is the gin build again), and a missing browser that was
// asked for must fail the run. Every process must be gone afterwards.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "walkthrough.hpp"

namespace zw = zerodrop::walkthrough;

namespace {

const zw::CheckResult* find_check(const std::vector<zw::CheckResult>& checks,
                                  const std::string& name) {
  for (const auto& c : checks)
    if (c.name == name) return &c;
  return nullptr;
}

// Our children, from /proc (the walkthrough made us a subreaper: orphans would be here too).
std::vector<pid_t> children_of_this_process() {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    FILE* f = std::fopen(("/proc/" + std::string(e->d_name) + "/stat").c_str(), "r");
    if (f == nullptr) continue;
    char buf[512] = {};
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    const char* p = std::strrchr(buf, ')');
    char state;
    int ppid = 0;
    if (p != nullptr && std::sscanf(p + 1, " %c %d", &state, &ppid) == 2 && ppid == getpid())
      out.push_back(pid);
  }
  closedir(d);
  return out;
}

// A stand-in "server" for mutation tests: a shell script running the real gin build with a
// defect added through its command line or environment.
class StandIn {
 public:
  explicit StandIn(const std::string& body) {
    dir_ = std::filesystem::temp_directory_path() / ("zw-standin-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "server.sh").string();
    std::ofstream(path_) << "#!/bin/sh\n" << body << "\n";
    chmod(path_.c_str(), 0755);
  }
  ~StandIn() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }

 private:
  std::filesystem::path dir_;
  std::string path_;
};

void expect_failed(const std::vector<zw::CheckResult>& checks, const std::string& name) {
  const auto* c = find_check(checks, name);
  ASSERT_NE(c, nullptr) << name;
  EXPECT_FALSE(c->passed) << name << ": " << c->evidence;
}

}  // namespace

TEST(WalkthroughRun, UnchangedBinaryMakesTheNewLoadCheckFail) {
  zw::Options o;
  o.parts = {zw::Part::kRestart};
  o.no_browser = true;
  o.slow_ms = 1000;
  o.q1mi_binary = zw::default_server_binary("zerodrop-server");  // the gin build, again
  std::ostringstream out;
  auto r = zw::run_walkthrough(o, out);
  SCOPED_TRACE(out.str());
  EXPECT_EQ(r.exit_code, 1);
  const auto* fresh = find_check(r.checks, "a new load gets \"hello q1mi!\"");
  ASSERT_NE(fresh, nullptr);
  EXPECT_FALSE(fresh->passed);
  EXPECT_NE(fresh->evidence.find("hello gin!"), std::string::npos);
  // The rest of the restart still happened and still held: the check failed for its reason.
  const auto* waited = find_check(r.checks, "the waiting page got \"hello gin!\"");
  ASSERT_NE(waited, nullptr);
  EXPECT_TRUE(waited->passed);
  const auto* pid = find_check(r.checks, "the PID changed");
  ASSERT_NE(pid, nullptr);
  EXPECT_TRUE(pid->passed);
  EXPECT_NE(out.str().find("FAILED"), std::string::npos);
  EXPECT_TRUE(children_of_this_process().empty());
}

TEST(WalkthroughRun, MissingRequestedBrowserFailsLoudly) {
  zw::Options o;
  o.browser = "/nonexistent/chromium";
  std::ostringstream out;
  auto r = zw::run_walkthrough(o, out);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(out.str().find("not found or not executable"), std::string::npos) << out.str();
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_FALSE(r.checks[0].passed);
}

TEST(WalkthroughRun, SupervisorPartFollowsMainPid) {
  zw::Options o;
  o.parts = {zw::Part::kSupervisor};
  o.no_browser = true;
  std::ostringstream out;
  auto r = zw::run_walkthrough(o, out);
  EXPECT_EQ(r.exit_code, 0) << out.str();
  EXPECT_TRUE(children_of_this_process().empty());
}

TEST(WalkthroughRun, ATooShortDrainDeadlineFailsTheShutdownChecks) {
  // The server cuts requests after 100 ms instead of the 5 s the article promises.
  StandIn bad("exec '" + zw::default_server_binary("zerodrop-server") +
              "' \"$@\" --shutdown-timeout 100ms");
  zw::Options o;
  o.parts = {zw::Part::kShutdown};
  o.no_browser = true;
  o.gin_binary = bad.path();
  o.q1mi_binary = zw::default_server_binary("zerodrop-server-q1mi");
  std::ostringstream out;
  auto r = zw::run_walkthrough(o, out);
  SCOPED_TRACE(out.str());
  EXPECT_EQ(r.exit_code, 1);
  expect_failed(r.checks, "the request in flight completed");
  expect_failed(r.checks, "the process exits 0");
  expect_failed(r.checks, "past the deadline it exits 1");  // it gave up long before 5 s
  EXPECT_TRUE(children_of_this_process().empty());
}

TEST(WalkthroughRun, AServerWithoutNotifySupportFailsTheSupervisorPart) {
  StandIn deaf("unset NOTIFY_SOCKET; exec '" + zw::default_server_binary("zerodrop-server") +
               "' \"$@\"");
  zw::Options o;
  o.parts = {zw::Part::kSupervisor};
  o.no_browser = true;
  o.gin_binary = deaf.path();
  o.q1mi_binary = zw::default_server_binary("zerodrop-server-q1mi");
  std::ostringstream out;
  auto r = zw::run_walkthrough(o, out);
  SCOPED_TRACE(out.str());
  EXPECT_EQ(r.exit_code, 1);
  expect_failed(r.checks, "the supervisor sees READY=1 from the PID it launched");
  EXPECT_TRUE(children_of_this_process().empty());
}

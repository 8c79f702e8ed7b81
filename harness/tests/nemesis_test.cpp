// replace_binary's file swap: a copy renamed into place, never a half-copied binary. Signal
// targets (main, previous, workers, group) and `after: ready`, on real processes: the fixture
// (nemesis_fixture.cpp) is a main with a worker that starts a successor on SIGUSR2.
#include "zerodrop/nemesis.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>

#include "zerodrop/proc/procfs.hpp"

namespace zerodrop {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const char* name) {
  fs::path d = fs::temp_directory_path() / (std::string(name) + "-" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(ReplaceFile, CopiesContentAndMode) {
  const fs::path d = fresh_dir("zerodrop-replace-ok");
  std::ofstream(d / "new") << "new binary";
  std::ofstream(d / "bin") << "old binary";
  ASSERT_EQ(::chmod((d / "new").c_str(), 0750), 0);
  replace_file(d / "new", d / "bin");
  EXPECT_EQ(slurp(d / "bin"), "new binary");
  struct stat st {};
  ASSERT_EQ(::stat((d / "bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_FALSE(fs::exists(d / "bin.zerodrop-new"));
  fs::remove_all(d);
}

// read() fails (the source is a directory: EISDIR): the error names read(), the target is
// untouched and no partial copy is left beside it.
TEST(ReplaceFile, AReadErrorNamesReadAndLeavesNoPartialCopy) {
  const fs::path d = fresh_dir("zerodrop-replace-bad");
  fs::create_directories(d / "not-a-file");
  std::ofstream(d / "bin") << "old binary";
  try {
    replace_file(d / "not-a-file", d / "bin");
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("read(", 0), 0u) << e.what();
  }
  EXPECT_EQ(slurp(d / "bin"), "old binary");
  EXPECT_FALSE(fs::exists(d / "bin.zerodrop-new"));
  fs::remove_all(d);
}

// --- signal targets and `after: ready` ----------------------------------------------------------

Fault signal_fault(const char* sig, FaultTarget to = FaultTarget::kMain, bool after_ready = false) {
  Fault f;
  f.signal = sig;
  f.to = to;
  f.after_ready = after_ready;
  return f;
}

struct Rig {
  fs::path dir;
  Launcher L;
  pid_t main = 0;
  explicit Rig(const char* name, std::vector<std::string> argv = {ZERODROP_NEMESIS_FIXTURE})
      : dir(fresh_dir(name)), L(RunClock{}, dir.string()) {
    SpawnOptions o;
    o.argv = std::move(argv);
    o.notify = true;
    o.capture_stdout = false;
    main = L.spawn(o);
  }
  ~Rig() {
    L.end_all(2000);
    fs::remove_all(dir);
  }
  // Awaits a condition on the launcher's state: every datagram and exit wakes the wait.
  bool await(const std::function<bool()>& cond, int ms = 5000) {
    const std::int64_t end = L.now_ns() + ms_to_ns(ms);
    while (!cond() && L.now_ns() < end)
      L.wait_until(std::min(end, L.now_ns() + ms_to_ns(20)));
    return cond();
  }
  // Runs the nemesis as the run loop does (drive.cpp): tick, then sleep until its next due time
  // or the launcher's next news; bounded.
  // `between` runs after the first tick (the faults due at once have fired).
  void run(std::vector<Fault> faults, int ready_timeout_ms = 5000,
           const std::function<void()>& between = {}) {
    Nemesis n(std::move(faults), {{"workdir", dir.string()}}, L, L.now_ns(), "",
              (dir / "commands.log").string(), ready_timeout_ms);
    const std::int64_t end = L.now_ns() + ms_to_ns(10000);
    for (bool first = true;; first = false) {
      n.tick(L.now_ns(), 0, false);
      if (first && between) between();
      if (n.done() || L.now_ns() >= end) break;
      L.wait_until(std::min(n.next_due_ns(), end));
    }
    ASSERT_TRUE(n.done()) << "faults still pending after 10 s";
  }
  // The fixture, ready: its one worker's pid.
  pid_t ready_worker() {
    EXPECT_TRUE(await([&] { return L.ready(); }));
    const std::vector<pid_t> workers = proc::descendants(main);
    EXPECT_EQ(workers.size(), 1u);
    return workers.empty() ? 0 : workers[0];
  }
  // The fixture, ready, gets one SIGTERM to `to`: its worker's pid, and the one pid signalled.
  std::pair<pid_t, long> term_once(FaultTarget to) {
    const pid_t worker = ready_worker();
    run({signal_fault("TERM", to)});
    const auto sigs = events("signal");
    EXPECT_EQ(sigs.size(), 1u);
    return {worker, sigs.empty() ? 0 : sigs[0].pid};
  }
  std::vector<LifecycleEvent> events(const std::string& kind) const {
    std::vector<LifecycleEvent> out;
    for (auto& e : L.events())
      if (e.event == kind) out.push_back(e);
    return out;
  }
};

// nginx's binary upgrade: USR2 starts a new main; once it is ready, QUIT goes to the old one (TERM
// here: the fixture's QUIT would dump a core).
TEST(NemesisTargets, AfterReadySignalsThePreviousMain) {
  Rig rig("zerodrop-nemesis-previous");
  ASSERT_TRUE(rig.await([&] { return rig.L.ready(); }));
  const pid_t old_main = rig.main;
  rig.run({signal_fault("USR2"), signal_fault("TERM", FaultTarget::kPrevious, true)});
  const pid_t successor = rig.L.main_pid();
  ASSERT_NE(successor, old_main);
  const auto sigs = rig.events("signal");
  ASSERT_EQ(sigs.size(), 2u);
  EXPECT_EQ(sigs[0].pid, old_main);
  EXPECT_EQ(sigs[0].detail, "USR2");
  EXPECT_EQ(sigs[1].pid, old_main) << "to: previous is the main pid before the takeover";
  EXPECT_EQ(sigs[1].detail, "TERM");
  // Never before the new generation said it was ready.
  std::int64_t successor_ready = -1;
  for (auto& e : rig.events("ready"))
    if (e.pid == successor) successor_ready = e.t_ns;
  ASSERT_GE(successor_ready, 0);
  EXPECT_GE(sigs[1].t_ns, successor_ready);
  EXPECT_TRUE(rig.events("signal_failed").empty());
  EXPECT_TRUE(rig.events("fault_condition_unmet").empty());
  ASSERT_TRUE(rig.await([&] { return rig.L.exited(old_main); }));
  EXPECT_EQ(rig.L.exit_of(old_main), -SIGTERM);
  EXPECT_TRUE(proc::process_exists(successor));
}

// No generation becomes ready (WINCH starts none): the fault is given up once the timeout is
// over, never fired late.
TEST(NemesisTargets, AfterReadyIsGivenUpWhenNothingBecomesReady) {
  Rig rig("zerodrop-nemesis-unready");
  ASSERT_TRUE(rig.await([&] { return rig.L.ready(); }));
  const std::int64_t t0 = rig.L.now_ns();
  rig.run({signal_fault("WINCH"), signal_fault("TERM", FaultTarget::kMain, true)}, 300);
  const auto unmet = rig.events("fault_condition_unmet");
  ASSERT_EQ(unmet.size(), 1u);
  EXPECT_NE(unmet[0].detail.find("fault 1 (line 0): not ready within startup_timeout_ms (300 ms)"),
            std::string::npos)
      << unmet[0].detail;
  EXPECT_GE(unmet[0].t_ns - t0, ms_to_ns(300));
  ASSERT_EQ(rig.events("signal").size(), 1u);  // the WINCH alone
  EXPECT_FALSE(rig.L.exited(rig.main));
}

// A `listening on` line is stamped when the harness reads it: the line of a generation already
// announced by READY=1 may be read after the next fault fired. It is not that fault's readiness
// (sighup-after-ready once fired its third HUP at once so).
TEST(NemesisTargets, AfterReadyIgnoresALateLineFromANotifyServer) {
  Rig rig("zerodrop-nemesis-late-line");
  ASSERT_TRUE(rig.await([&] { return rig.L.ready(); }));
  rig.run({signal_fault("WINCH"), signal_fault("TERM", FaultTarget::kMain, true)}, 300, [&] {
    rig.L.recorder().record(EventKind::kListening, rig.main, 1,
                            "listening on 127.0.0.1:1 pid=" + std::to_string(rig.main));
  });
  EXPECT_EQ(rig.events("fault_condition_unmet").size(), 1u);
  EXPECT_EQ(rig.events("signal").size(), 1u);  // the WINCH alone
}

TEST(NemesisTargets, WorkersAreTheMainsDescendantsButNotItself) {
  Rig rig("zerodrop-nemesis-workers");
  const auto [worker, signalled] = rig.term_once(FaultTarget::kWorkers);
  ASSERT_GT(worker, 0);
  EXPECT_EQ(signalled, worker);
  const pid_t w = worker;  // (a lambda captures a variable, not a structured binding)
  const auto faults = rig.events("fault");
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].detail, "line 0, to workers: " + std::to_string(worker));
  // The worker ends (a zombie: the fixture reaps nothing); the main goes on.
  ASSERT_TRUE(rig.await([&] {
    std::ifstream f("/proc/" + std::to_string(w) + "/stat");
    std::string st;
    return !std::getline(f, st) || st.find(") Z ") != std::string::npos;
  }));
  EXPECT_FALSE(rig.L.exited(rig.main));
}

TEST(NemesisTargets, GroupIsTheMainsProcessGroup) {
  Rig rig("zerodrop-nemesis-group");
  const auto [worker, signalled] = rig.term_once(FaultTarget::kGroup);
  ASSERT_GT(worker, 0);
  const pid_t w = worker;  // (a lambda captures a variable, not a structured binding)
  EXPECT_EQ(signalled, -rig.main) << "the launcher starts the server in a group of its own";
  ASSERT_TRUE(rig.await([&] { return rig.L.exited(rig.main); }));
  EXPECT_EQ(rig.L.exit_of(rig.main), -SIGTERM);
  ASSERT_TRUE(rig.await([&] { return !proc::process_exists(w); }));
}

// No takeover yet, no descendant: the fault cannot run as written, and says why.
TEST(NemesisTargets, AMissingTargetIsASignalFailure) {
  Rig rig("zerodrop-nemesis-missing", {"/bin/sleep", "30"});
  rig.run({signal_fault("TERM", FaultTarget::kWorkers),
           signal_fault("TERM", FaultTarget::kPrevious), [] {
             Fault f;
             f.command = {"/bin/true", "{previous_pid}"};
             return f;
           }()});
  EXPECT_TRUE(rig.events("signal").empty());
  const auto failed = rig.events("signal_failed");
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_NE(failed[0].detail.find("SIGTERM to workers: main pid " + std::to_string(rig.main) +
                                  " has no descendants"),
            std::string::npos)
      << failed[0].detail;
  EXPECT_NE(failed[1].detail.find("SIGTERM to previous: no previous main pid"), std::string::npos)
      << failed[1].detail;
  const auto cmd = rig.events("command_failed");
  ASSERT_EQ(cmd.size(), 1u);
  EXPECT_NE(cmd[0].detail.find("{previous_pid}"), std::string::npos) << cmd[0].detail;
  EXPECT_FALSE(rig.L.exited(rig.main));
}

// `caddy reload --config X --address Y`, `haproxy ... -sf {previous_pid}`: a command sees the
// pids as they are when it fires.
TEST(NemesisTargets, CommandsExpandMainAndPreviousPids) {
  Rig rig("zerodrop-nemesis-command");
  ASSERT_TRUE(rig.await([&] { return rig.L.ready(); }));
  Fault cmd;
  cmd.command = {"/bin/sh", "-c", "echo {main_pid} {previous_pid} > {workdir}/pids"};
  cmd.after_ready = true;
  rig.run({signal_fault("USR2"), cmd});
  const auto spawned = rig.events("command");
  ASSERT_EQ(spawned.size(), 1u);
  const auto cmd_pid = static_cast<pid_t>(spawned[0].pid);
  ASSERT_TRUE(rig.await([&] { return rig.L.exited(cmd_pid); }));
  EXPECT_EQ(rig.L.exit_of(cmd_pid), 0);
  EXPECT_EQ(slurp(rig.dir / "pids"),
            std::to_string(rig.L.main_pid()) + " " + std::to_string(rig.main) + "\n");
}

}  // namespace
}  // namespace zerodrop

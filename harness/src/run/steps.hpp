// run/steps — the steps of one scenario run, each a function of its own file (run.cpp's
// run_scenario() is their script): prepare → start → drive → settle → teardown → finish →
// check → report.
//
// Contract: a Run holds what the steps share (the parsed scenario, the workdir, the command, the
// history's writer and the Recorder every part writes its events to, the exit code so far). A
// step returning an int returns the exit code to end the run with, or kGoOn. Every wait in a step
// is Launcher::wait_until() — one epoll over the notify socket, the server's stdout, pidfds, the
// interrupt pipe, an eventfd and a timerfd — never a sleep. Which generations are alive comes
// from the launcher (live_generations()), never from a checks Timeline built mid-run.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "zerodrop/checks.hpp"
#include "zerodrop/clock.hpp"
#include "zerodrop/history.hpp"
#include "zerodrop/launcher.hpp"
#include "zerodrop/recorder.hpp"
#include "zerodrop/run.hpp"
#include "zerodrop/scenario.hpp"

namespace zerodrop::run {

constexpr int kGoOn = -1;

struct Run {
  Run(const RunOptions& options, std::ostream& o, std::ostream& e) : opt(options), out(o), err(e) {}
  const RunOptions& opt;
  std::ostream& out;
  std::ostream& err;
  Scenario sc;
  std::string workdir, history_path, binary;
  std::map<std::string, std::string> vars;
  std::vector<std::string> argv;
  std::vector<std::string> env;  // server.env, expanded: "NAME=value"
  std::string cwd, pid_file;     // expanded; pid_file absolute
  std::uint16_t port = 0;
  int listen_fd = -1;  // ours until the server holds it
  RunClock clock;
  History h;
  std::unique_ptr<HistoryWriter> writer;
  std::unique_ptr<Recorder> recorder;
  int code = 0;
  bool started = false;
  int first_fds = -1;  // the first generation's descriptors at ready
  std::vector<CheckResult> results;
  Validity validity;
  // run/peers.cpp: the sidecars' listeners (ours until each sidecar holds its own) and argv.
  std::vector<int> sidecar_fds;
  std::vector<std::vector<std::string>> sidecar_argv;
};

int prepare(Run& r);                 // scenario, workdir, placeholders, listener, history
int start(Run& r, Launcher& L);      // spawn, await ready (kGoOn, or 1 when it never was)
void drive(Run& r, Launcher& L);     // load + faults until both are over
void settle(Run& r, Launcher& L);    // drain time, then the observer, then settles' restart
void teardown(Run& r, Launcher& L);  // a graceful stop of whatever serves
void finish(Run& r, Launcher& L);    // end everything, the history's events
void check(Run& r);                  // the invariants and the run's validity
int report(Run& r);                  // text, the report files, the workdir; the exit code

// Real servers' needs (peers.cpp): server.requires (77 when missing: the run is skipped),
// {scenario_dir} and the sidecars' {sidecar_port}s, server.files written (2 on an error); the
// sidecars started before the server, each with its listener as fd 3, never a generation.
constexpr int kExitSkip = 77;
int prepare_peer_needs(Run& r);
void start_sidecars(Run& r, Launcher& L);

// The observer (observe.cpp): what the run sees of the server besides its own events.
// The pid header (server.pid_header) of the answer to GET `path` (server.probe_path); 0 none,
// -1 answered without it.
long probe_pid(std::uint16_t port, const std::string& path, const std::string& pid_header);
void observe_settled(Run& r, Launcher& L, const std::set<pid_t>& live, long probed);

}  // namespace zerodrop::run

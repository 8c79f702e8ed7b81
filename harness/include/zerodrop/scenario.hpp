// scenario — a scenario file (YAML) parsed and validated.
//
// Contract: parse_scenario() returns a fully validated Scenario or throws ScenarioError whose
// what() reads `FILE:LINE: FIELD: message` (unknown keys are errors too). Names are checked
// against vocabulary.hpp's tables: a fault's signal (stored without "SIG"), `expect.allowed`
// outcome classes, `expect.invariants`. Placeholders ({server}, {server_q1mi}, {port},
// {pid_file}, {workdir}, and any --var k=v) are kept verbatim here; expand() substitutes them
// when they are used: the run (run/prepare.cpp) in the server argv, server.env values,
// server.cwd and server.pid_file once it knows the port and workdir, the nemesis (nemesis.cpp)
// in a fault's command argv and replace_binary path when it fires (there also {main_pid} and
// {previous_pid}).
// Times are milliseconds.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace zerodrop {

struct ScenarioError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class ConnMode { kFresh, kKeepalive, kBoth };
// kListenFds: the harness binds and hands fd 3 over; kPort: the server binds {port} itself.
enum class Listener { kListenFds, kPort };
// Where readiness (and, by default, each later generation) is learnt from: READY=1 on
// NOTIFY_SOCKET; a `listening on HOST:PORT` stdout line; the pid file appearing or rewritten
// (naming a live pid); GET server.probe_path answering; a stdout/stderr line matching a regex.
enum class Ready { kNotify, kStdout, kPidFile, kHttp, kLog };
// Where the main pid (the generation faults go to, and whose change is a restart) is learnt
// from; kFirst: the process the harness spawned, for the whole run.
enum class MainPid { kNotify, kPidFile, kLog, kFirst };

// expect.reload: how a restart shows in the process tree (issue 12, helper "trees").
enum class Reload {
  kNewMainPid,  // a new main process takes over (fork-restart, nginx/gunicorn USR2)
  kInPlace      // the main pid stays, its worker set is replaced (nginx/gunicorn HUP, HAProxy -W)
};

struct RequestKind {
  std::string kind = "fast";  // fast | slow | upload | download | stream | request
  double weight = 1;
  int ms = 0;           // slow: server delay
  int bytes = 0;        // upload: body size
  int over_ms = 0;      // upload: body trickled over this time; download: read pacing total
  int chunks = 0;       // stream/download: chunks asked for
  int interval_ms = 0;  // stream: interval between chunks
  // Your own endpoint (issue 12): each unset key keeps the kind's built-in request byte for byte.
  std::string path;                                          // "": the kind's own target
  std::string method;                                        // "": GET, or POST for upload
  std::vector<std::pair<std::string, std::string>> headers;  // in the file's order
  std::optional<std::string> body;                           // sent with Content-Length
  int status = 0;                                            // expected status; 0: any 2xx
  std::optional<std::string> expect_body;                    // the exact body expected
};

struct LoadSpec {
  bool open_loop = true;
  double rate = 100;  // open loop: requests per second
  int clients = 8;    // closed loop: concurrent clients
  int duration_ms = 2000;
  ConnMode conn = ConnMode::kFresh;
  int pool = 16;            // keep-alive pool size
  int pool_idle_ms = 1000;  // a pooled connection idle longer is closed, not reused (0: no limit)
  int timeout_ms = 8000;    // per request
  int max_outstanding = 4096;
  std::vector<RequestKind> kinds;
};

// Where a signal fault goes (issue 12): the current main pid; the main pid before the latest
// takeover; every descendant of the main pid but itself; the main pid's process group.
enum class FaultTarget { kMain, kPrevious, kWorkers, kGroup };

struct Fault {
  int at_ms = 0;
  int when_slow_in_flight = 0;  // >0: fire when at least this many slow requests are in flight
  std::string signal;           // HUP TERM INT USR2 KILL ...
  int repeat = 1;
  int interval_ms = 0;
  std::string replace_binary;  // path copied over the server binary
  std::vector<std::string> command;
  FaultTarget to = FaultTarget::kMain;  // a signal's target
  bool after_ready = false;  // fire once the generation started before it is ready (nemesis.hpp)
  int line = 0;
};

// An outcome class the scenario expects, from the first firing of fault `after_fault` on (a
// request that ended before that fault is judged like any other).
struct Allowed {
  std::string cls;
  int after_fault = 0;
};

struct Expect {
  std::vector<std::string> invariants;  // empty: all
  int restarts = 0;                     // expected main-PID changes
  int max_restarts = -1;  // >= 0: restarts may be anywhere in [restarts, max_restarts]
  int final_exit = 0;     // exit code of the last generation
  int old_exit = 0;       // exit code of each replaced generation
  int drain_ms = 5000;    // shutdown timeout of the server
  int slack_ms = 2000;
  std::vector<Allowed> allowed;  // outcome classes not counted as drops, from a fault on
  bool reused_eof_is_drop = true;
  std::vector<std::string> messages;  // expected body for fast requests, per generation
  double p99_ms = 0;                  // 0: no absolute bound
  double max_ms = 0;
  double p99_relative = 0;  // window p99 <= steady p99 * this (+ p99_floor_ms)
  double p99_floor_ms = 50;
  int window_ms = 500;
  int fd_slack = 2;
  bool shutdown_ends_run = false;  // a TERM/INT fault ends the server: no teardown signal
  bool settle_restart = true;      // with restarts >= 1: once settled, one more restart must work
  // issue 12, helper "trees": the reload model (restarts then counts worker-set replacements
  // for in_place), and whether responses name their pid (false: server.pid_header: none, the
  // pid-based invariants are not applicable; set by the parser from the server's key).
  Reload reload = Reload::kNewMainPid;
  bool pids_answered = true;
};

// server.files: a config template next to the scenario (`from`, relative to the scenario file's
// directory) written to `to` with every {name} of a known placeholder replaced (other braces, as
// in an nginx or Caddy config, are kept).
struct FileTemplate {
  std::string from, to;
  int line = 0;
};

struct Scenario {
  std::string file;
  std::string yaml;  // the text, kept for the history
  std::string name, description;
  std::vector<std::string> server;  // argv with placeholders
  Listener listener = Listener::kListenFds;
  Ready ready = Ready::kNotify;
  // Readiness and main pid sources, and how the server is started. Placeholders in env values,
  // cwd and pid_file are expanded by the run (run/prepare.cpp).
  std::string ready_log_regex;             // ready: {log: REGEX} (ECMAScript; group 1 = pid)
  MainPid main_pid = MainPid::kNotify;     // default: what `ready` uses (see scenario.cpp)
  std::map<std::string, std::string> env;  // server.env: added to the server's environment
  std::string cwd;                         // server.cwd: "" = the harness's own directory
  std::string pid_file = "{pid_file}";     // server.pid_file: watched for ready/main_pid
  std::string probe_path = "/healthz";     // server.probe_path: http ready, the settle probe
  bool copy_binary = false;  // run a copy of argv[0] in the workdir (replace_binary edits it)
  int startup_timeout_ms = 5000;
  std::string pid_header = "X-Pid";  // the response header naming the answering pid; "": none
  LoadSpec load;
  std::vector<Fault> faults;
  Expect expect;
  // Real servers (scenarios/peers): what the server needs around it.
  std::vector<FileTemplate> files;        // server.files
  std::vector<std::string> requirements;  // server.requires: missing -> the run is skipped (77)
  std::vector<std::vector<std::string>> sidecars;  // argv each: helpers started before the server
};

// The fault before faults[i] that may start a generation — a signal to the main pid or its
// group, or a command; not replace_binary, nor a signal to `previous` or `workers` — or -1.
// An `after: ready` fault waits for the generation this one started.
int generation_fault_before(const std::vector<Fault>& faults, std::size_t i);

Scenario parse_scenario_text(const std::string& text, const std::string& file);
Scenario parse_scenario_file(const std::string& path);

// Replaces every {name} in s by vars[name]; throws ScenarioError naming an unknown placeholder.
std::string expand(const std::string& s, const std::map<std::string, std::string>& vars);
// The same for a config file's text (server.files): only {name} with name a known placeholder
// is replaced; every other brace is the config's own ({ ... } blocks, {http.request.uri}).
std::string expand_known(const std::string& s, const std::map<std::string, std::string>& vars);

}  // namespace zerodrop

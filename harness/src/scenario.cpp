// Scenario parsing: every field is read through one helper that knows the file, the line and
// the dotted field name, so every error message names all three.
#include "zerodrop/scenario.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "zerodrop/vocabulary.hpp"

namespace zerodrop {
namespace {

struct Ctx {
  std::string file;
  [[noreturn]] void fail(const YAML::Node& n, const std::string& field,
                         const std::string& msg) const {
    int line = n.IsDefined() ? n.Mark().line + 1 : 0;
    throw ScenarioError(file + ":" + std::to_string(line > 0 ? line : 1) + ": " + field + ": " +
                        msg);
  }
  void keys(const YAML::Node& map, const std::string& prefix,
            const std::set<std::string>& allowed) const {
    if (!map.IsMap()) fail(map, prefix.empty() ? "(top)" : prefix, "expected a mapping");
    for (auto it = map.begin(); it != map.end(); ++it) {
      auto k = it->first.as<std::string>();
      if (!allowed.count(k)) fail(it->first, prefix.empty() ? k : prefix + "." + k, "unknown key");
    }
  }
  std::string str(const YAML::Node& n, const std::string& field) const {
    if (!n.IsScalar()) fail(n, field, "expected a string");
    return n.as<std::string>();
  }
  double num(const YAML::Node& n, const std::string& field, bool positive) const {
    if (!n.IsScalar()) fail(n, field, "expected a number");
    double v = 0;
    try {
      v = n.as<double>();
    } catch (const YAML::Exception&) {
      fail(n, field,
           std::string("expected a ") + (positive ? "positive " : "") + "number, got \"" +
               n.Scalar() + "\"");
    }
    if (positive && !(v > 0))
      fail(n, field, "expected a positive number, got \"" + n.Scalar() + "\"");
    if (!positive && v < 0)
      fail(n, field, "expected a non-negative number, got \"" + n.Scalar() + "\"");
    return v;
  }
  int integer(const YAML::Node& n, const std::string& field, bool positive) const {
    double v = num(n, field, positive);
    if (v != static_cast<double>(static_cast<long long>(v)))
      fail(n, field, "expected an integer, got \"" + n.Scalar() + "\"");
    return static_cast<int>(v);
  }
  bool boolean(const YAML::Node& n, const std::string& field) const {
    try {
      return n.as<bool>();
    } catch (const YAML::Exception&) {
      fail(n, field, "expected true or false, got \"" + n.Scalar() + "\"");
    }
  }
  std::vector<std::string> strs(const YAML::Node& n, const std::string& field) const {
    if (!n.IsSequence()) fail(n, field, "expected a list of strings");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n.size(); ++i)
      out.push_back(str(n[i], field + "[" + std::to_string(i) + "]"));
    return out;
  }
  template <class E>
  E choice(const YAML::Node& n, const std::string& field,
           const std::vector<std::pair<std::string, E>>& opts) const {
    auto s = str(n, field);
    std::string names;
    for (auto& [k, v] : opts) {
      if (k == s) return v;
      names += (names.empty() ? "" : "|") + k;
    }
    fail(n, field, "expected one of " + names + ", got \"" + s + "\"");
  }
};

// server.ready: a word, or {log: REGEX}. The regex is compiled here so that a bad one is a
// scenario error naming its line, not a run that never becomes ready.
void parse_ready(const Ctx& c, const YAML::Node& n, Scenario& s) {
  if (n.IsMap()) {
    c.keys(n, "server.ready", {"log"});
    if (!n["log"]) c.fail(n, "server.ready.log", "required in the mapping form");
    s.ready = Ready::kLog;
    s.ready_log_regex = c.str(n["log"], "server.ready.log");
    if (s.ready_log_regex.empty()) c.fail(n["log"], "server.ready.log", "must not be empty");
    try {
      std::regex(s.ready_log_regex, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      c.fail(
          n["log"], "server.ready.log",
          "not an ECMAScript regex (" + std::string(e.what()) + "): \"" + s.ready_log_regex + "\"");
    }
    return;
  }
  s.ready = c.choice<Ready>(n, "server.ready",
                            {{"notify", Ready::kNotify},
                             {"stdout", Ready::kStdout},
                             {"pid_file", Ready::kPidFile},
                             {"http", Ready::kHttp}});
}

bool is_env_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_') return false;
  return true;
}

// server.main_pid, env, cwd, pid_file, probe_path: what the harness follows and how it starts
// the server.
void parse_launch(const Ctx& c, const YAML::Node& n, Scenario& s) {
  const bool log_has_pid = s.ready == Ready::kLog &&
                           std::regex(s.ready_log_regex, std::regex::ECMAScript).mark_count() > 0;
  // Default: the source `ready` uses; stdout keeps what it always did (MAINPID= still counts, a
  // new pid's `listening on` line is a new generation); http and a log line without a pid say
  // nothing of pids: the spawned process stays the main one.
  switch (s.ready) {
    case Ready::kNotify:
    case Ready::kStdout:
      s.main_pid = MainPid::kNotify;
      break;
    case Ready::kPidFile:
      s.main_pid = MainPid::kPidFile;
      break;
    case Ready::kLog:
      s.main_pid = log_has_pid ? MainPid::kLog : MainPid::kFirst;
      break;
    case Ready::kHttp:
      s.main_pid = MainPid::kFirst;
      break;
  }
  if (n["main_pid"]) {
    s.main_pid = c.choice<MainPid>(n["main_pid"], "server.main_pid",
                                   {{"notify", MainPid::kNotify},
                                    {"pid_file", MainPid::kPidFile},
                                    {"log", MainPid::kLog},
                                    {"first", MainPid::kFirst}});
    if (s.main_pid == MainPid::kLog && !log_has_pid)
      c.fail(n["main_pid"], "server.main_pid",
             "log needs ready: {log: REGEX} whose first capture group is the pid");
  }
  if (const auto e = n["env"]) {
    if (!e.IsMap()) c.fail(e, "server.env", "expected a mapping NAME: value");
    for (auto it = e.begin(); it != e.end(); ++it) {
      const std::string name = c.str(it->first, "server.env");
      const std::string field = "server.env." + name;
      if (!is_env_name(name))
        c.fail(it->first, field, "not a variable name (letters, digits, _; not a digit first)");
      // The harness's own: a server told another NOTIFY_SOCKET or LISTEN_FDS would be followed
      // by no one, and ZERODROP_RUN is how its escaped processes are found.
      if (name == "NOTIFY_SOCKET" || name == "ZERODROP_RUN" || name.rfind("LISTEN_", 0) == 0)
        c.fail(it->first, field, "set by the harness");
      s.env[name] = c.str(it->second, field);
    }
  }
  if (n["cwd"]) {
    s.cwd = c.str(n["cwd"], "server.cwd");
    if (s.cwd.empty()) c.fail(n["cwd"], "server.cwd", "must not be empty");
  }
  if (n["pid_file"]) {
    s.pid_file = c.str(n["pid_file"], "server.pid_file");
    if (s.pid_file.empty() || s.pid_file.back() == '/')
      c.fail(n["pid_file"], "server.pid_file", "expected a file path, got \"" + s.pid_file + "\"");
  }
  if (n["probe_path"]) {
    s.probe_path = c.str(n["probe_path"], "server.probe_path");
    if (s.probe_path.empty() || s.probe_path[0] != '/' ||
        s.probe_path.find_first_of(" \r\n") != std::string::npos)
      c.fail(n["probe_path"], "server.probe_path",
             "expected a path starting with /, got \"" + s.probe_path + "\"");
  }
}

void parse_server(const Ctx& c, const YAML::Node& n, Scenario& s) {
  c.keys(n, "server",
         {"command", "listener", "ready", "startup_timeout_ms", "copy_binary", "main_pid", "env",
          "cwd", "pid_file", "probe_path", "pid_header", "files", "requires"});
  if (!n["command"]) c.fail(n, "server.command", "required");
  s.server = c.strs(n["command"], "server.command");
  if (s.server.empty()) c.fail(n["command"], "server.command", "must not be empty");
  if (n["listener"])
    s.listener =
        c.choice<Listener>(n["listener"], "server.listener",
                           {{"listen_fds", Listener::kListenFds}, {"port", Listener::kPort}});
  if (n["ready"]) parse_ready(c, n["ready"], s);
  if (n["copy_binary"]) s.copy_binary = c.boolean(n["copy_binary"], "server.copy_binary");
  if (n["startup_timeout_ms"])
    s.startup_timeout_ms = c.integer(n["startup_timeout_ms"], "server.startup_timeout_ms", true);
  parse_launch(c, n, s);
  if (n["pid_header"]) {  // issue 12 (trees): a header name, or none
    s.pid_header = c.str(n["pid_header"], "server.pid_header");
    const bool token =
        !s.pid_header.empty() && s.pid_header.find_first_of(" \t:\r\n") == std::string::npos;
    if (!token)
      c.fail(n["pid_header"], "server.pid_header",
             "expected a header name or none, got \"" + s.pid_header + "\"");
    if (s.pid_header == "none") s.pid_header.clear();
  }
}

// Real servers (scenarios/peers): server.files, server.requires and the top-level sidecars.
// Paths and argv keep their placeholders; the run expands them (run/peers.cpp).
void parse_peer_needs(const Ctx& c, const YAML::Node& root, Scenario& s) {
  const YAML::Node server = root["server"];
  if (const YAML::Node files = server["files"]) {
    if (!files.IsSequence()) c.fail(files, "server.files", "expected a list of {from, to}");
    for (std::size_t i = 0; i < files.size(); ++i) {
      const std::string f = "server.files[" + std::to_string(i) + "]";
      c.keys(files[i], f, {"from", "to"});
      FileTemplate t;
      t.line = files[i].Mark().line + 1;
      for (const char* k : {"from", "to"})
        if (!files[i][k]) c.fail(files[i], f + "." + k, "required");
      t.from = c.str(files[i]["from"], f + ".from");
      t.to = c.str(files[i]["to"], f + ".to");
      if (t.from.empty()) c.fail(files[i]["from"], f + ".from", "must not be empty");
      if (t.to.rfind("{workdir}/", 0) != 0)
        c.fail(files[i]["to"], f + ".to", "must start with {workdir}/ (a run writes only there)");
      s.files.push_back(t);
    }
  }
  if (const YAML::Node req = server["requires"]) {
    s.requirements = c.strs(req, "server.requires");
    for (std::size_t i = 0; i < s.requirements.size(); ++i)
      if (s.requirements[i].empty())
        c.fail(req[i], "server.requires[" + std::to_string(i) + "]", "must not be empty");
  }
  if (const YAML::Node cars = root["sidecars"]) {
    if (!cars.IsSequence()) c.fail(cars, "sidecars", "expected a list of argv lists");
    for (std::size_t i = 0; i < cars.size(); ++i) {
      const std::string f = "sidecars[" + std::to_string(i) + "]";
      s.sidecars.push_back(c.strs(cars[i], f));
      if (s.sidecars.back().empty()) c.fail(cars[i], f, "must not be empty");
    }
  }
}

// A request kind's own endpoint (issue 12): path, method, headers, body, expected status and
// body. Only what can go on the wire as written is accepted: a path that starts with "/" and
// holds no blank or control character, a method and header names made of token characters,
// header values without CR/LF. Connection, Content-Length and Transfer-Encoding are the load
// engine's (load.connections, the body's length): setting them would change what is measured.
bool is_token(const std::string& s) {
  static const std::string kExtra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || kExtra.find(ch) != std::string::npos;
  });
}

bool has_control(const std::string& s, bool blank_too) {
  return std::any_of(s.begin(), s.end(), [blank_too](char ch) {
    const auto u = static_cast<unsigned char>(ch);
    return u < 0x20 || u == 0x7f || (blank_too && u == ' ');
  });
}

void parse_endpoint(const Ctx& c, const YAML::Node& k, const std::string& f, RequestKind& r) {
  if (k["path"]) {
    r.path = c.str(k["path"], f + ".path");
    if (r.path.empty() || r.path[0] != '/' || has_control(r.path, true))
      c.fail(k["path"], f + ".path",
             "expected a path starting with / without blanks or control characters, got \"" +
                 r.path + "\"");
  }
  if (k["method"]) {
    r.method = c.str(k["method"], f + ".method");
    if (!is_token(r.method))
      c.fail(k["method"], f + ".method", "expected an HTTP method, got \"" + r.method + "\"");
  }
  if (auto h = k["headers"]) {
    const std::string hf = f + ".headers";
    if (!h.IsMap()) c.fail(h, hf, "expected a mapping of header names to values");
    for (auto it = h.begin(); it != h.end(); ++it) {
      const std::string name = c.str(it->first, hf);
      const std::string field = hf + "." + name;
      std::string low = name;
      std::transform(low.begin(), low.end(), low.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (!is_token(name)) c.fail(it->first, field, "expected a header name (token characters)");
      if (low == "connection" || low == "content-length" || low == "transfer-encoding")
        c.fail(it->first, field, "set by the load engine (load.connections, the body's length)");
      const std::string value = c.str(it->second, field);
      if (has_control(value, false)) c.fail(it->second, field, "no control characters in a value");
      r.headers.emplace_back(name, value);
    }
  }
  if (k["body"]) {
    r.body = c.str(k["body"], f + ".body");
    if (r.kind == "upload")
      c.fail(k["body"], f + ".body", "not with kind upload (its body is `bytes` long)");
  }
  if (k["status"]) {
    r.status = c.integer(k["status"], f + ".status", true);
    if (r.status < 100 || r.status > 599)
      c.fail(k["status"], f + ".status",
             "expected a status from 100 to 599, got \"" + k["status"].Scalar() + "\"");
  }
  if (k["expect_body"]) r.expect_body = c.str(k["expect_body"], f + ".expect_body");
}

void parse_load(const Ctx& c, const YAML::Node& n, LoadSpec& l) {
  c.keys(n, "load",
         {"loop", "rate", "clients", "duration_ms", "connections", "pool", "pool_idle_ms",
          "timeout_ms", "max_outstanding", "kinds"});
  if (n["loop"])
    l.open_loop = c.choice<bool>(n["loop"], "load.loop", {{"open", true}, {"closed", false}});
  if (n["rate"]) l.rate = c.num(n["rate"], "load.rate", true);
  if (n["clients"]) l.clients = c.integer(n["clients"], "load.clients", true);
  if (n["duration_ms"]) l.duration_ms = c.integer(n["duration_ms"], "load.duration_ms", true);
  if (n["connections"])
    l.conn = c.choice<ConnMode>(n["connections"], "load.connections",
                                {{"fresh", ConnMode::kFresh},
                                 {"keepalive", ConnMode::kKeepalive},
                                 {"both", ConnMode::kBoth}});
  if (n["pool"]) l.pool = c.integer(n["pool"], "load.pool", true);
  if (n["pool_idle_ms"]) l.pool_idle_ms = c.integer(n["pool_idle_ms"], "load.pool_idle_ms", false);
  if (n["timeout_ms"]) l.timeout_ms = c.integer(n["timeout_ms"], "load.timeout_ms", true);
  if (n["max_outstanding"])
    l.max_outstanding = c.integer(n["max_outstanding"], "load.max_outstanding", true);
  if (l.duration_ms > 60000)
    c.fail(n["duration_ms"], "load.duration_ms", "at most 60000 (load loops are bounded)");
  if (l.rate > 20000) c.fail(n["rate"], "load.rate", "at most 20000");
  if (n["kinds"]) {
    if (!n["kinds"].IsSequence()) c.fail(n["kinds"], "load.kinds", "expected a list");
    for (std::size_t i = 0; i < n["kinds"].size(); ++i) {
      auto k = n["kinds"][i];
      std::string f = "load.kinds[" + std::to_string(i) + "]";
      c.keys(k, f,
             {"kind", "weight", "ms", "bytes", "over_ms", "chunks", "interval_ms", "path", "method",
              "headers", "body", "status", "expect_body"});
      RequestKind r;
      if (!k["kind"]) c.fail(k, f + ".kind", "required");
      r.kind = c.choice<std::string>(k["kind"], f + ".kind",
                                     {{"fast", "fast"},
                                      {"slow", "slow"},
                                      {"upload", "upload"},
                                      {"download", "download"},
                                      {"stream", "stream"},
                                      {"request", "request"}});
      if (k["weight"]) r.weight = c.num(k["weight"], f + ".weight", true);
      if (k["ms"]) r.ms = c.integer(k["ms"], f + ".ms", false);
      if (k["bytes"]) r.bytes = c.integer(k["bytes"], f + ".bytes", true);
      if (k["over_ms"]) r.over_ms = c.integer(k["over_ms"], f + ".over_ms", false);
      if (k["chunks"]) r.chunks = c.integer(k["chunks"], f + ".chunks", true);
      if (k["interval_ms"]) r.interval_ms = c.integer(k["interval_ms"], f + ".interval_ms", false);
      parse_endpoint(c, k, f, r);
      if (r.kind == "upload" && r.bytes == 0) r.bytes = 4096;
      if ((r.kind == "stream" || r.kind == "download") && r.chunks == 0)
        r.chunks = r.kind == "download" ? 200 : 5;
      l.kinds.push_back(r);
    }
  }
  if (l.kinds.empty()) l.kinds.push_back(RequestKind{});
}

// A fault's target and its place in a sequence (issue 12): `to` (signals only) and `after: ready`,
// which needs a fault before it that may start a generation (generation_fault_before).
void parse_fault_sequence(const Ctx& c, const YAML::Node& x, const std::string& f,
                          const std::vector<Fault>& before, Fault& fl) {
  if (x["to"]) {
    fl.to = c.choice<FaultTarget>(x["to"], f + ".to",
                                  {{"main", FaultTarget::kMain},
                                   {"previous", FaultTarget::kPrevious},
                                   {"workers", FaultTarget::kWorkers},
                                   {"group", FaultTarget::kGroup}});
    if (fl.signal.empty()) c.fail(x["to"], f + ".to", "only for a signal fault");
  }
  if (x["after"]) {
    fl.after_ready = c.choice<bool>(x["after"], f + ".after", {{"ready", true}});
    if (generation_fault_before(before, before.size()) < 0)
      c.fail(x["after"], f + ".after",
             "no fault before it may start a generation (a signal to main or group, or a "
             "command)");
  }
}

void parse_faults(const Ctx& c, const YAML::Node& n, std::vector<Fault>& out) {
  if (!n.IsSequence()) c.fail(n, "faults", "expected a list");
  for (std::size_t i = 0; i < n.size(); ++i) {
    auto x = n[i];
    std::string f = "faults[" + std::to_string(i) + "]";
    c.keys(x, f,
           {"at_ms", "when_slow_in_flight", "signal", "repeat", "interval_ms", "replace_binary",
            "command", "to", "after"});
    Fault fl;
    fl.line = x.Mark().line + 1;
    if (x["at_ms"]) fl.at_ms = c.integer(x["at_ms"], f + ".at_ms", false);
    if (x["when_slow_in_flight"])
      fl.when_slow_in_flight =
          c.integer(x["when_slow_in_flight"], f + ".when_slow_in_flight", true);
    if (x["signal"]) {
      fl.signal = c.str(x["signal"], f + ".signal");
      const SignalDef* sig = find_signal(fl.signal);
      if (sig == nullptr)
        c.fail(x["signal"], f + ".signal", "unknown signal \"" + x["signal"].Scalar() + "\"");
      fl.signal = std::string(sig->name);  // without "SIG"
    }
    if (x["repeat"]) fl.repeat = c.integer(x["repeat"], f + ".repeat", true);
    if (x["interval_ms"]) fl.interval_ms = c.integer(x["interval_ms"], f + ".interval_ms", false);
    if (x["replace_binary"]) fl.replace_binary = c.str(x["replace_binary"], f + ".replace_binary");
    if (x["command"]) fl.command = c.strs(x["command"], f + ".command");
    int actions = !fl.signal.empty() + !fl.replace_binary.empty() + !fl.command.empty();
    if (actions != 1) c.fail(x, f, "exactly one of signal, replace_binary, command");
    parse_fault_sequence(c, x, f, out, fl);
    out.push_back(fl);
  }
}

void parse_allowed(const Ctx& c, const YAML::Node& n, std::size_t faults, Expect& e) {
  if (!n.IsSequence()) c.fail(n, "expect.allowed", "expected a list");
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string f = "expect.allowed[" + std::to_string(i) + "]";
    Allowed a;
    const bool form = n[i].IsMap();  // {class: X, after_fault: N}, or just X
    if (form) {
      c.keys(n[i], f, {"class", "after_fault"});
      if (!n[i]["class"]) c.fail(n[i], f + ".class", "required");
      if (n[i]["after_fault"]) {
        a.after_fault = c.integer(n[i]["after_fault"], f + ".after_fault", false);
        if (static_cast<std::size_t>(a.after_fault) >= faults)
          c.fail(n[i]["after_fault"], f + ".after_fault",
                 "no fault " + std::to_string(a.after_fault) + " (faults has " +
                     std::to_string(faults) + ")");
      }
    }
    // (A YAML::Node assigned to another copies the content into it: bind, never assign.)
    const YAML::Node cls = form ? n[i]["class"] : n[i];
    a.cls = c.str(cls, f);
    if (!is_outcome_name(a.cls) || a.cls == "ok")
      c.fail(cls, f, "unknown outcome class \"" + a.cls + "\"");
    if (a.cls == "harness_error")
      c.fail(cls, f, "harness_error is never charged to the server; it cannot be allowed");
    if (faults == 0) c.fail(cls, f, "applies from a fault on, and this scenario has no faults");
    e.allowed.push_back(a);
  }
}

void parse_expect(const Ctx& c, const YAML::Node& n, std::size_t faults, Expect& e) {
  c.keys(n, "expect",
         {"invariants", "restarts", "max_restarts", "final_exit", "old_exit", "drain_ms",
          "slack_ms", "allowed", "eof_on_reused_keepalive", "messages", "latency", "fd_slack",
          "shutdown_ends_run", "settle_restart", "reload"});
  if (n["invariants"]) {
    e.invariants = c.strs(n["invariants"], "expect.invariants");
    for (std::size_t i = 0; i < e.invariants.size(); ++i)
      if (!is_invariant_name(e.invariants[i]))
        c.fail(n["invariants"][i], "expect.invariants",
               "unknown invariant \"" + e.invariants[i] + "\"");
  }
  if (n["restarts"]) e.restarts = c.integer(n["restarts"], "expect.restarts", false);
  if (n["max_restarts"]) {
    e.max_restarts = c.integer(n["max_restarts"], "expect.max_restarts", false);
    if (e.max_restarts < e.restarts)
      c.fail(n["max_restarts"], "expect.max_restarts", "must be at least expect.restarts");
  }
  if (n["final_exit"]) e.final_exit = c.integer(n["final_exit"], "expect.final_exit", false);
  if (n["old_exit"]) e.old_exit = c.integer(n["old_exit"], "expect.old_exit", false);
  if (n["drain_ms"]) e.drain_ms = c.integer(n["drain_ms"], "expect.drain_ms", false);
  if (n["slack_ms"]) e.slack_ms = c.integer(n["slack_ms"], "expect.slack_ms", false);
  if (n["fd_slack"]) e.fd_slack = c.integer(n["fd_slack"], "expect.fd_slack", false);
  if (n["shutdown_ends_run"])
    e.shutdown_ends_run = c.boolean(n["shutdown_ends_run"], "expect.shutdown_ends_run");
  if (n["settle_restart"])
    e.settle_restart = c.boolean(n["settle_restart"], "expect.settle_restart");
  if (n["reload"])  // issue 12 (trees)
    e.reload =
        c.choice<Reload>(n["reload"], "expect.reload",
                         {{"new_main_pid", Reload::kNewMainPid}, {"in_place", Reload::kInPlace}});
  if (n["allowed"]) parse_allowed(c, n["allowed"], faults, e);
  if (n["eof_on_reused_keepalive"])
    e.reused_eof_is_drop =
        c.choice<bool>(n["eof_on_reused_keepalive"], "expect.eof_on_reused_keepalive",
                       {{"drop", true}, {"retryable", false}});
  if (n["messages"]) e.messages = c.strs(n["messages"], "expect.messages");
  if (auto l = n["latency"]) {
    c.keys(l, "expect.latency", {"p99_ms", "max_ms", "p99_relative", "p99_floor_ms", "window_ms"});
    if (l["p99_ms"]) e.p99_ms = c.num(l["p99_ms"], "expect.latency.p99_ms", true);
    if (l["max_ms"]) e.max_ms = c.num(l["max_ms"], "expect.latency.max_ms", true);
    if (l["p99_relative"])
      e.p99_relative = c.num(l["p99_relative"], "expect.latency.p99_relative", true);
    if (l["p99_floor_ms"])
      e.p99_floor_ms = c.num(l["p99_floor_ms"], "expect.latency.p99_floor_ms", false);
    if (l["window_ms"]) e.window_ms = c.integer(l["window_ms"], "expect.latency.window_ms", true);
  }
}

}  // namespace

Scenario parse_scenario_text(const std::string& text, const std::string& file) {
  Ctx c{file};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ScenarioError(file + ":" + std::to_string(e.mark.line + 1) + ": (syntax): " + e.msg);
  }
  Scenario s;
  s.file = file;
  s.yaml = text;
  if (!root.IsMap())
    throw ScenarioError(file +
                        ":1: (top): expected a mapping with name, server, load, faults, expect");
  c.keys(root, "", {"name", "description", "server", "load", "faults", "expect", "sidecars"});
  if (!root["name"]) c.fail(root, "name", "required");
  s.name = c.str(root["name"], "name");
  if (root["description"]) s.description = c.str(root["description"], "description");
  if (!root["server"]) c.fail(root, "server", "required");
  parse_server(c, root["server"], s);
  parse_peer_needs(c, root, s);
  if (root["load"])
    parse_load(c, root["load"], s.load);
  else
    s.load.kinds.push_back(RequestKind{});
  if (root["faults"]) parse_faults(c, root["faults"], s.faults);
  if (root["expect"]) parse_expect(c, root["expect"], s.faults.size(), s.expect);
  s.expect.pids_answered = !s.pid_header.empty();  // the checks see only Expect
  return s;
}

int generation_fault_before(const std::vector<Fault>& faults, std::size_t i) {
  for (std::size_t j = std::min(i, faults.size()); j-- > 0;) {
    const Fault& f = faults[j];
    if (!f.command.empty() ||
        (!f.signal.empty() && (f.to == FaultTarget::kMain || f.to == FaultTarget::kGroup)))
      return static_cast<int>(j);
  }
  return -1;
}

std::string expand(const std::string& s, const std::map<std::string, std::string>& vars) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto open = s.find('{', i);
    if (open == std::string::npos) break;
    auto close = s.find('}', open);
    if (close == std::string::npos) break;
    out += s.substr(i, open - i);
    auto name = s.substr(open + 1, close - open - 1);
    auto it = vars.find(name);
    if (it == vars.end())
      throw ScenarioError("unknown placeholder {" + name + "} in \"" + s +
                          "\" (define it with --var " + name + "=...)");
    out += it->second;
    i = close + 1;
  }
  return out + s.substr(i);
}

std::string expand_known(const std::string& s, const std::map<std::string, std::string>& vars) {
  std::string out;
  std::size_t i = 0;
  for (std::size_t open; (open = s.find('{', i)) != std::string::npos;) {
    const std::size_t close = s.find_first_of("{}", open + 1);
    if (close == std::string::npos) break;
    const auto it = s[close] == '}' ? vars.find(s.substr(open + 1, close - open - 1)) : vars.end();
    out += s.substr(i, open - i);
    if (it == vars.end()) {
      out += '{';  // the config's own brace: kept, the scan goes on after it
      i = open + 1;
    } else {
      out += it->second;
      i = close + 1;
    }
  }
  return out + s.substr(i);
}

Scenario parse_scenario_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ScenarioError(path + ":0: (file): cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_scenario_text(ss.str(), path);
}

}  // namespace zerodrop

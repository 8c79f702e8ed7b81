// run step 0, prepare: the scenario, the workdir, the placeholders, the listener (or, with
// `listener: port`, a free port for the server to bind), the command, its environment, working
// directory and pid file, and the history's writer. Returns 2 (a usage or scenario error, said
// on err) or kGoOn.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "steps.hpp"
#include "zerodrop/nemesis.hpp"
#include "zerodrop/proc/free_port.hpp"

namespace zerodrop::run {
namespace {

std::vector<std::string> split_words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// server.env, server.cwd, server.pid_file, expanded. A relative pid file is the server's: it
// is relative to the server's working directory. Throws ScenarioError naming the field.
void prepare_launch(Run& r) {
  const Scenario& sc = r.sc;
  auto expanded = [&](const std::string& field, const std::string& v) {
    try {
      return expand(v, r.vars);
    } catch (const ScenarioError& e) {
      throw ScenarioError(r.opt.file + ": " + field + ": " + e.what());
    }
  };
  for (const auto& [name, value] : sc.env)
    r.env.push_back(name + "=" + expanded("server.env." + name, value));
  if (!sc.cwd.empty()) {
    r.cwd = expanded("server.cwd", sc.cwd);
    if (!is_dir(r.cwd))
      throw ScenarioError(r.opt.file + ": server.cwd: " + r.cwd + ": not a directory");
  }
  r.pid_file = expanded("server.pid_file", sc.pid_file);
  if (r.pid_file[0] != '/') {
    const std::string base = r.cwd.empty() ? std::filesystem::current_path().string() : r.cwd;
    r.pid_file = base + "/" + r.pid_file;
  }
  const bool watched = sc.ready == Ready::kPidFile || sc.main_pid == MainPid::kPidFile;
  const std::string dir = std::filesystem::path(r.pid_file).parent_path().string();
  if (watched && !is_dir(dir))
    throw ScenarioError(r.opt.file + ": server.pid_file: " + r.pid_file + ": no directory " + dir +
                        " to watch");
}

}  // namespace

int prepare(Run& r) {
  const RunOptions& o = r.opt;
  try {
    r.sc = parse_scenario_file(o.file);
  } catch (const ScenarioError& e) {
    r.err << e.what() << "\n";
    return 2;
  }
  char tmpl[] = "/tmp/zerodrop-XXXXXX";
  if (!mkdtemp(tmpl)) {
    r.err << "zerodrop: mkdtemp: " << std::strerror(errno) << "\n";
    return 2;
  }
  r.workdir = tmpl;
  r.vars = default_vars();
  r.vars["workdir"] = r.workdir;
  r.vars["pid_file"] = r.workdir + "/server.pid";
  // Where server.files' templates are (a --var may point elsewhere: bench/compare.sh's copies).
  r.vars["scenario_dir"] = std::filesystem::absolute(o.file).parent_path().string();
  for (auto& [k, v] : o.vars)
    r.vars[k] = v;
  try {
    if (r.sc.listener == Listener::kListenFds)
      r.listen_fd = bind_loopback_listener(r.port);
    else
      r.port = proc::free_loopback_port();  // the server binds it ({port}); ready: stdout may
                                            // still name another (the port it printed wins)
  } catch (const std::exception& e) {
    r.err << "zerodrop: " << e.what() << "\n";
    return 2;
  }
  r.vars["port"] = std::to_string(r.port);
  if (const int rc = prepare_peer_needs(r); rc != kGoOn) return rc;
  try {
    prepare_launch(r);
  } catch (const ScenarioError& e) {
    r.err << e.what() << "\n";
    if (r.listen_fd >= 0) close(r.listen_fd);
    return 2;
  }
  try {
    for (auto& a : (o.server_cmd.empty() ? r.sc.server : split_words(o.server_cmd)))
      r.argv.push_back(expand(a, r.vars));
    if (r.sc.copy_binary) {
      r.binary = r.workdir + "/" + std::filesystem::path(r.argv[0]).filename().string();
      replace_file(r.argv[0], r.binary);
      r.argv[0] = r.binary;
    } else {
      r.binary = r.argv[0];
    }
  } catch (const std::exception& e) {
    r.err << o.file << ": server.command: " << e.what() << "\n";
    if (r.listen_fd >= 0) close(r.listen_fd);
    return 2;
  }
  r.h.scenario_file = o.file;
  r.h.scenario_yaml = r.sc.yaml;
  r.h.harness_version = harness_version();
  // The history is streamed from the first event on, so a run that dies midway (or a server
  // that never becomes ready) leaves what happened up to then.
  r.history_path = o.history_path.empty() ? r.workdir + "/history.jsonl" : o.history_path;
  try {
    r.writer = std::make_unique<HistoryWriter>(r.history_path, o.file, r.sc.yaml);
  } catch (const std::exception& e) {
    r.err << "zerodrop: " << e.what() << "\n";
    if (r.listen_fd >= 0) close(r.listen_fd);
    return 2;
  }
  r.clock = RunClock{};  // the run starts now: its times count from here
  r.recorder = std::make_unique<Recorder>(r.clock, r.writer.get());
  return kGoOn;
}

}  // namespace zerodrop::run

// conform/flags — the one table from `zerodrop conform`'s flags to scenario keys, and the server
// command. A new scenario key for servers that are not ours is one row here.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <string_view>

#include "parts.hpp"

namespace zerodrop::conform {
namespace {

// How a flag reaches the scenarios.
enum class Into {
  kEveryScenario,  // the key is set in every scenario of the suite (when the flag is given)
  kSuite,          // suite.cpp writes the value where its scenarios need it
};

struct FlagKey {
  std::string_view flag;
  std::string_view key;                // dotted scenario key
  std::string ConformOptions::*field;  // kEveryScenario: the option holding the value
  Into into;
  std::string_view values;  // what it takes, for --help
};

constexpr FlagKey kConformFlags[] = {
    {"--listener", "server.listener", &ConformOptions::listener, Into::kEveryScenario,
     "listen_fds (fd 3, LISTEN_FDS) | port (the server binds {port})"},
    {"--ready", "server.ready", &ConformOptions::ready, Into::kEveryScenario,
     "notify | stdout | pid_file | http | log:REGEX (-> {log: REGEX})"},
    {"--pid-header", "server.pid_header", &ConformOptions::pid_header, Into::kEveryScenario,
     "X-Pid | another header | none"},
    {"--reload", "expect.reload", &ConformOptions::reload, Into::kEveryScenario,
     "new_main_pid | in_place"},
    {"--reload-signal", "faults[].signal of every restart fault (L2-L5)", nullptr, Into::kSuite,
     "HUP (default) or any signal"},
    {"--stop-signal", "faults[].signal of the stop fault (L1)", nullptr, Into::kSuite,
     "TERM (default) or any signal"},
    {"--drain-ms", "expect.drain_ms (and the L1 deadline request: drain + 2 s)", nullptr,
     Into::kSuite, "the server's drain deadline, ms (default 5000)"},
    {"--startup-timeout-ms", "server.startup_timeout_ms", nullptr, Into::kSuite,
     "ms (default 5000)"},
};

// Sets a dotted key ("server.ready") in a scenario node.
void set_key(YAML::Node root, std::string_view dotted, const YAML::Node& value) {
  const auto dot = dotted.find('.');
  const std::string head(dotted.substr(0, dot));
  if (dot == std::string_view::npos) {
    root[head] = value;
    return;
  }
  if (!root[head]) root[head] = YAML::Node(YAML::NodeType::Map);
  set_key(root[head], dotted.substr(dot + 1), value);
}

// `--ready log:REGEX` is the key's mapping form {log: REGEX}; every other value is the scalar.
YAML::Node value_node(std::string_view key, const std::string& value) {
  if (key == "server.ready" && value.rfind("log:", 0) == 0) {
    YAML::Node n(YAML::NodeType::Map);
    n["log"] = value.substr(4);
    return n;
  }
  return YAML::Node(value);
}

// The first executable `name` in PATH, or `name` when there is none (the spawn then names the
// failure, as it would for `zerodrop run`).
std::string in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string full = (dir.empty() ? "." : dir) + "/" + name;
    if (access(full.c_str(), X_OK) == 0) return full;
  }
  return name;
}

}  // namespace

void apply_flags(YAML::Node& scenario, const ConformOptions& o) {
  for (const auto& f : kConformFlags) {
    if (f.into != Into::kEveryScenario) continue;
    const std::string& v = o.*(f.field);
    if (!v.empty()) set_key(scenario, f.key, value_node(f.key, v));
  }
}

std::vector<std::string> server_argv(const std::string& server) {
  std::istringstream in(server);
  std::vector<std::string> argv;
  for (std::string w; in >> w;)
    argv.push_back(w);
  if (!argv.empty() && argv[0].find('/') == std::string::npos &&
      argv[0].find('{') == std::string::npos)
    argv[0] = in_path(argv[0]);
  return argv;
}

}  // namespace zerodrop::conform

namespace zerodrop {

std::string conform_flags_help() {
  std::string s = "Flags and the scenario key each one sets:\n";
  for (const auto& f : conform::kConformFlags)
    s += "  " + std::string(f.flag) +
         std::string(22 - std::min<std::size_t>(f.flag.size(), 21), ' ') + std::string(f.key) +
         "\n" + std::string(24, ' ') + std::string(f.values) + "\n";
  return s;
}

}  // namespace zerodrop

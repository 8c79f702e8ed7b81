// conform/from_scenario — `--from FILE`: the server of an existing scenario
// (scenarios/peers/*.yaml, or a user's own) as the suite's server: its whole `server` block
// (command, listener, ready, the files it needs...), its reload model (expect.reload), its drain
// (expect.drain_ms) and its restart signal (the first signal fault that is not a stop), each unless
// a flag says otherwise. Relative `server.files[].from` paths are made absolute: the suite's
// scenarios live in the workdir, not beside FILE.
#include <filesystem>
#include <set>
#include <stdexcept>

#include "parts.hpp"
#include "zerodrop/vocabulary.hpp"

namespace zerodrop::conform {

YAML::Node server_from(const std::string& file, ConformOptions& o) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    throw std::invalid_argument("--from " + file + ": " + e.what());
  }
  if (!root.IsMap() || !root["server"] || !root["server"].IsMap())
    throw std::invalid_argument("--from " + file + ": no server block");
  YAML::Node server = YAML::Clone(root["server"]);
  const auto dir = std::filesystem::absolute(file).parent_path();
  if (server["files"] && server["files"].IsSequence())
    for (auto f : server["files"])
      if (f.IsMap() && f["from"] && f["from"].IsScalar()) {
        const std::filesystem::path from = f["from"].Scalar();
        if (from.is_relative() && from.string().find('{') != 0) f["from"] = (dir / from).string();
      }
  const YAML::Node expect = root["expect"];
  if (o.reload.empty() && expect && expect["reload"] && expect["reload"].IsScalar())
    o.reload = expect["reload"].Scalar();
  if (o.drain_ms == 0 && expect && expect["drain_ms"] && expect["drain_ms"].IsScalar()) {
    try {
      o.drain_ms = expect["drain_ms"].as<int>();
    } catch (const YAML::Exception&) {
      throw std::invalid_argument("--from " + file + ": expect.drain_ms: not an integer");
    }
  }
  // USR2 restarts HAProxy and Go grace, though it stops the reference server (hammer): only the
  // signals that stop every server are not a restart.
  static const std::set<std::string> kStops = {"TERM", "INT", "QUIT", "KILL"};
  if (o.reload_signal.empty() && root["faults"] && root["faults"].IsSequence())
    for (const auto& f : root["faults"])
      if (f.IsMap() && f["signal"] && f["signal"].IsScalar()) {
        const SignalDef* sig = find_signal(f["signal"].Scalar());
        if (sig == nullptr || kStops.count(std::string(sig->name))) continue;
        o.reload_signal = sig->name;
        break;
      }
  return server;
}

}  // namespace zerodrop::conform

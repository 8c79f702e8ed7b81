// conform/from_scenario — `--from FILE`: the server of an existing scenario
// (scenarios/peers/*.yaml, or a user's own) as the suite's server: its whole `server` block
// (command, listener, ready, the files it needs...), its reload model (expect.reload), its drain
// (expect.drain_ms) and its restart signal (the first signal fault that is not a stop), each unless
// a flag says otherwise. Relative `server.files[].from` paths are made absolute and
// {scenario_dir} is FILE's folder (unless a --var says otherwise): the suite's scenarios live in
// the workdir, not beside FILE.
#include <filesystem>
#include <set>
#include <stdexcept>

#include "parts.hpp"
#include "zerodrop/vocabulary.hpp"

namespace zerodrop::conform {
namespace {

void replace_in_scalars(YAML::Node node, const std::string& from, const std::string& to) {
  if (node.IsScalar()) {
    std::string text = node.Scalar();
    bool changed = false;
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
      changed = true;
    }
    if (changed) node = text;
  } else if (node.IsSequence()) {
    for (auto item : node)
      replace_in_scalars(item, from, to);
  } else if (node.IsMap()) {
    for (auto kv : node)
      replace_in_scalars(kv.second, from, to);
  }
}

}  // namespace

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
  // {scenario_dir} in the block (a command's --chdir, a config's path) means FILE's folder (or
  // a --var's), as in `zerodrop run FILE`, not the workdir the suite's scenarios are written to:
  // written out here, so each suite scenario file says it.
  const auto var = o.vars.find("scenario_dir");
  replace_in_scalars(server, "{scenario_dir}", var != o.vars.end() ? var->second : dir.string());
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

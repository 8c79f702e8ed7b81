// run/peers — what a real server needs around it, from the scenario (scenarios/peers): its
// requirements (a peer not installed skips the run, exit 77, as ctest's SKIP_RETURN_CODE
// expects), its config files written from templates beside the scenario, and sidecars — helper
// processes such as a slow backend — started before the server and ended after it (at finish,
// with every process of the run), never counted as generations.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "steps.hpp"

namespace zerodrop::run {
namespace {

namespace fs = std::filesystem;

// A path (with a '/') exists, or a bare name is an executable in PATH.
bool available(const std::string& what) {
  if (what.find('/') != std::string::npos) return access(what.c_str(), F_OK) == 0;
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && access((dir + "/" + what).c_str(), X_OK) == 0) return true;
  return false;
}

// `to` (expanded) must stay inside the workdir: no "..", as parse_scenario checked its prefix.
std::string checked_target(const Run& r, const FileTemplate& t) {
  const std::string to = expand(t.to, r.vars);
  const fs::path rel =
      fs::path(to).lexically_normal().lexically_relative(fs::path(r.workdir).lexically_normal());
  if (rel.empty() || *rel.begin() == "..")
    throw ScenarioError("resolves to " + to + ", outside the workdir " + r.workdir);
  return to;
}

void write_file(const Run& r, const FileTemplate& t) {
  const fs::path from = fs::path(t.from).is_absolute()
                            ? fs::path(t.from)
                            : fs::path(r.vars.at("scenario_dir")) / t.from;
  std::ifstream in(from);
  if (!in) throw ScenarioError("cannot read " + from.string() + ": " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  const std::string to = checked_target(r, t);
  fs::create_directories(fs::path(to).parent_path());
  std::ofstream out(to, std::ios::trunc);
  out << expand_known(text.str(), r.vars);
  out.close();
  if (!out) throw ScenarioError("cannot write " + to + ": " + std::strerror(errno));
}

}  // namespace

int prepare_peer_needs(Run& r) {
  const std::string& file = r.opt.file;
  auto close_ours = [&r] {
    for (int fd : r.sidecar_fds)
      close(fd);
    r.sidecar_fds.clear();
    if (r.listen_fd >= 0) close(r.listen_fd);
    r.listen_fd = -1;
  };
  try {
    for (const std::string& need : r.sc.requirements) {
      const std::string what = expand(need, r.vars);
      if (!available(what)) {
        r.err << "zerodrop: skipped: " << what << " is not installed (" << file
              << ": server.requires)\n";
        close_ours();
        std::error_code ignored;  // nothing ran: no history or log worth keeping
        fs::remove_all(r.workdir, ignored);
        return kExitSkip;
      }
    }
    for (std::size_t i = 0; i < r.sc.sidecars.size(); ++i) {
      std::uint16_t port = 0;
      r.sidecar_fds.push_back(bind_loopback_listener(port));
      r.vars["sidecar_port_" + std::to_string(i)] = std::to_string(port);
      if (i == 0) r.vars["sidecar_port"] = std::to_string(port);
    }
    for (std::size_t i = 0; i < r.sc.sidecars.size(); ++i) {
      r.sidecar_argv.emplace_back();
      for (const std::string& a : r.sc.sidecars[i])
        r.sidecar_argv.back().push_back(expand(a, r.vars));
    }
  } catch (const std::exception& e) {
    r.err << file << ": server.requires/sidecars: " << e.what() << "\n";
    close_ours();
    return 2;
  }
  for (std::size_t i = 0; i < r.sc.files.size(); ++i) {
    try {
      write_file(r, r.sc.files[i]);
    } catch (const std::exception& e) {
      r.err << file << ":" << r.sc.files[i].line << ": server.files[" << i << "]: " << e.what()
            << "\n";
      close_ours();
      return 2;
    }
  }
  return kGoOn;
}

void start_sidecars(Run& r, Launcher& L) {
  for (std::size_t i = 0; i < r.sidecar_argv.size(); ++i) {
    SpawnOptions so;
    so.argv = r.sidecar_argv[i];
    so.listen_fd = r.sidecar_fds[i];
    so.capture_stdout = false;
    so.stdout_to_log = true;
    so.stderr_path = r.workdir + "/sidecar-" + std::to_string(i) + ".log";
    L.spawn(so, EventKind::kSidecar);
  }
  for (int fd : r.sidecar_fds)
    close(fd);  // each sidecar holds its own now
  r.sidecar_fds.clear();
}

}  // namespace zerodrop::run

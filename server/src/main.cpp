// zerodrop-server's entry point: command line → config → one generation's run.
//
// This is the only translation unit compiled per binary: ZERODROP_DEFAULT_MESSAGE differs
// between zerodrop-server ("hello gin!") and zerodrop-server-q1mi ("hello q1mi!").
#include <exception>
#include <string>
#include <variant>
#include <vector>

#include "zerodrop/server/config.hpp"
#include "zerodrop/server/exe_path.hpp"
#include "zerodrop/server/log.hpp"
#include "zerodrop/server/reload.hpp"
#include "zerodrop/server/server.hpp"

int main(int argc, char** argv) {
  using namespace zerodrop::server;
  CommandLine cl = parse_command_line(argc, argv, ZERODROP_DEFAULT_MESSAGE);
  if (const int* code = std::get_if<int>(&cl)) return *code;
  if (const auto* rc = std::get_if<ReloadConfig>(&cl)) return run_reload(*rc);
  Config& config = std::get<Config>(cl);

  // Resolved now, before anything could chdir: the next generation is exec'd by this path.
  std::string exe = resolve_executable_path(argv[0]);
  std::vector<std::string> args(argv, argv + argc);
  if (!exe.empty()) args[0] = exe;
  try {
    Server server(std::move(config), std::move(exe), std::move(args));
    return server.run();
  } catch (const std::exception& e) {
    LogLine("fatal").kv("error", e.what());
    LogLine("exit").kv("code", 1);
    return 1;
  }
}

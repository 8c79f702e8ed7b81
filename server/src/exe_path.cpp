// Where the next generation's binary is. See exe_path.hpp.
#include "zerodrop/server/exe_path.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "zerodrop/server/log.hpp"

namespace zerodrop::server {

std::string resolve_executable_path(const char* argv0) {
  if (argv0 == nullptr || *argv0 == '\0') return {};
  std::string_view name(argv0);
  if (name.find('/') != std::string_view::npos) {
    if (name.front() == '/') return std::string(name);
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == nullptr) {
      log_syscall_error("getcwd", errno);
      return {};
    }
    std::string out(cwd);
    if (name.starts_with("./")) name.remove_prefix(2);
    out += '/';
    out += name;
    return out;
  }
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    std::size_t colon = dirs.find(':');
    std::string_view dir = dirs.substr(0, colon);
    std::string candidate = dir.empty() ? std::string(".") : std::string(dir);
    candidate += '/';
    candidate += name;
    if (access(candidate.c_str(), X_OK) == 0) {
      if (candidate.front() != '/') return resolve_executable_path(candidate.c_str());
      return candidate;
    }
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return {};
}

std::string binary_identity(const struct stat& st) {
  // No ':' inside a field: the path follows the fifth one in ZERODROP_BINARY.
  return std::to_string(st.st_dev) + ':' + std::to_string(st.st_ino) + ':' +
         std::to_string(st.st_size) + ':' + std::to_string(st.st_mtim.tv_sec) + '.' +
         std::to_string(st.st_mtim.tv_nsec) + ':' + std::to_string(st.st_ctim.tv_sec) + '.' +
         std::to_string(st.st_ctim.tv_nsec);
}

}  // namespace zerodrop::server

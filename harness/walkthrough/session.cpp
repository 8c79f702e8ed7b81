// See session.hpp.
#include "session.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace zerodrop::walkthrough {

void install_binary(const std::string& src, const std::string& dst) {
  namespace fs = std::filesystem;
  fs::path tmp = fs::path(dst).parent_path() / ("." + fs::path(dst).filename().string() + ".new");
  fs::copy_file(src, tmp, fs::copy_options::overwrite_existing);
  fs::permissions(tmp, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  if (::rename(tmp.c_str(), dst.c_str()) < 0)
    throw std::system_error(errno, std::generic_category(), "rename " + tmp.string() + " " + dst);
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

std::string proc_exe(pid_t pid) {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  return ec ? std::string("?") : p.string();
}

long ms_between(Clock::time_point a, Clock::time_point b) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count());
}

std::string viewer_command(const Viewer& v, int port, const std::string& path) {
  std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  if (v.uses_browser()) return v.browser_path + " --headless ... --dump-dom '" + url + "'";
  return "curl '" + url + "'   # (no browser: HTTP client)";
}

std::string quoted(const std::string& s) {
  return s.empty() ? "(nothing)" : "\"" + s + "\"";
}

}  // namespace zerodrop::walkthrough

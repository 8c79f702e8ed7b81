// Test-side process guard. See server_process.hpp.
#include "server_process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "test_client.hpp"
#include "zerodrop/proc/procfs.hpp"
#include "zerodrop/proc/reap.hpp"
#include "zerodrop/proc/server_lines.hpp"
#include "zerodrop/proc/spawn.hpp"

namespace zerodrop::server::testing {
namespace proc = zerodrop::proc;
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return ms < 0 ? 0 : static_cast<int>(ms);
}

void make_subreaper_once() {
  static bool done = [] {
    proc::become_subreaper();
    return true;
  }();
  (void)done;
}

}  // namespace

bool parse_listening_line(const std::string& line, std::uint16_t& port, pid_t& pid, int& gen) {
  const auto l = proc::parse_listening_line(line);
  if (!l || !l->complete()) return false;
  port = static_cast<std::uint16_t>(l->port);
  pid = l->pid;
  gen = l->generation;
  return true;
}

ServerProcess::ServerProcess(ServerOptions options) {
  make_subreaper_once();
  if (options.binary.empty()) {
    // ZERODROP_TEST_SERVER_BIN runs the suite against another build (e.g. the code before a
    // fix, to see a failing-first test fail).
    const char* other = std::getenv("ZERODROP_TEST_SERVER_BIN");
    options.binary = other != nullptr && *other != '\0' ? other : ZERODROP_SERVER_BIN;
  }
  char tmpl[] = "/tmp/zerodrop-server-test-stderr-XXXXXX";
  int errfd = mkostemp(tmpl, O_CLOEXEC);
  if (errfd < 0) {
    ADD_FAILURE() << "mkostemp: " << std::strerror(errno);
    return;
  }
  stderr_path_ = tmpl;
  proc::Spec spec;
  spec.argv = {options.argv0.empty() ? options.binary : options.argv0};
  spec.argv.insert(spec.argv.end(), options.args.begin(), options.args.end());
  spec.exe = options.binary;
  spec.env = proc::environment({"LISTEN_", "NOTIFY_SOCKET=", "ZERODROP_"}, options.env);
  spec.listen_fd = options.listen_fd;
  spec.null_stdio = true;  // stdin
  spec.pipe_stdout = true;
  spec.stderr_fd = options.stderr_fd >= 0 ? options.stderr_fd : errfd;
  spec.cwd = options.cwd;
  spec.ignore_sigchld = options.ignore_sigchld;
  spec.close_other_fds = false;  // tests hand descriptors over (ZERODROP_READY_FD)
  try {
    const proc::Child c = proc::spawn(spec);
    pid_ = pgid_ = c.pid;
    stdout_fd_ = c.stdout_fd;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "spawn: " << e.what();
  }
  ::close(errfd);
  if (pid_ < 0) return;
  if (!options.expect_ready) return;
  auto line = wait_stdout("listening on ", 10000);
  if (!line) {
    ADD_FAILURE() << "server did not start; log:\n" << log();
    return;
  }
  pid_t lp = 0;
  int gen = 0;
  if (!parse_listening_line(*line, port_, lp, gen) || lp != pid_)
    ADD_FAILURE() << "unexpected listening line: " << *line;
}

ServerProcess::~ServerProcess() {
  // The group includes every generation (they inherit it); as subreaper we reap orphans too.
  if (pgid_ > 0) proc::end_group(pgid_, 1500, 5000, true);
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  if (!stderr_path_.empty()) {
    // Under the asan preset a sanitizer report in any generation fails the test.
    const std::string text = log();
    for (const char* marker : {"ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
                               "WARNING: ThreadSanitizer"})
      if (text.find(marker) != std::string::npos) ADD_FAILURE() << "sanitizer report: " << marker;
    if (::testing::Test::HasFailure())
      std::fprintf(stderr, "---- server log ----\n%s", log().c_str());
    ::unlink(stderr_path_.c_str());
  }
}

std::optional<std::string> ServerProcess::wait_stdout(const std::string& needle, int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    std::size_t nl;
    while ((nl = stdout_buf_.find('\n')) != std::string::npos) {
      std::string line = stdout_buf_.substr(0, nl);
      stdout_buf_.erase(0, nl + 1);
      if (line.find(needle) != std::string::npos) return line;
    }
    pollfd p{stdout_fd_, POLLIN, 0};
    int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r <= 0) return std::nullopt;
    char buf[4096];
    ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
    if (n <= 0) return std::nullopt;  // every generation closed stdout
    stdout_buf_.append(buf, static_cast<std::size_t>(n));
  }
}

std::string ServerProcess::log() const {
  std::ifstream in(stderr_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int ServerProcess::count_log(const std::string& needle) const {
  std::string text = log();
  int n = 0;
  for (std::size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

bool ServerProcess::wait_log(const std::string& needle, int timeout_ms, int count) {
  // The log is a file; there is no cheaper event than its growth, so poll it briefly.
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (count_log(needle) >= count) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string ServerProcess::log_value(const std::string& needle, const std::string& key) const {
  std::string text = log();
  std::string found;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(needle) == std::string::npos) continue;
    auto k = line.find(" " + key + "=");
    if (k == std::string::npos) continue;
    std::size_t v = k + key.size() + 2;
    if (v < line.size() && line[v] == '"') {
      auto e = line.find('"', v + 1);
      found = line.substr(v + 1, e - v - 1);
    } else {
      found = line.substr(v, line.find(' ', v) - v);
    }
  }
  return found;
}

std::optional<int> ServerProcess::wait_exit(pid_t pid, int timeout_ms) {
  return proc::wait_exit(pid, timeout_ms);
}

int run_command(const std::vector<std::string>& argv, int stdout_fd, int stderr_fd) {
  make_subreaper_once();
  proc::Spec spec;
  spec.argv = argv;
  spec.stdout_fd = stdout_fd;
  spec.stderr_fd = stderr_fd;
  try {
    const pid_t p = proc::spawn(spec).pid;
    const auto st = proc::wait_exit(p, -1);
    return st ? *st : -1;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "spawn " << argv[0] << ": " << e.what();
    return -1;
  }
}

pid_t start_command(const std::vector<std::string>& argv) {
  proc::Spec spec;
  spec.argv = argv;
  try {
    return proc::spawn(spec).pid;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "spawn " << argv[0] << ": " << e.what();
    return -1;
  }
}

bool await_inflight(ServerProcess& s, pid_t pid, int n) {
  for (int i = 0; i < 200; ++i) {
    int before = s.count_log("event=stats");
    ::kill(pid, SIGUSR1);
    if (!s.wait_log("event=stats", 2000, before + 1)) return false;
    if (s.log_value("event=stats", "inflight") == std::to_string(n)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

void check_keep_alive_promise_across_shutdown(ServerProcess& s, const std::string& target) {
  TestConn c(s.port());
  ASSERT_TRUE(c.send(get_request(target)));
  ASSERT_TRUE(await_inflight(s, s.pid(), 1)) << "the stream's head is out before the drain";
  ::kill(s.pid(), SIGTERM);
  ASSERT_TRUE(s.wait_log("event=drain_started"));
  auto streamed = c.read_response();
  ASSERT_TRUE(streamed) << c.last_error();
  EXPECT_FALSE(streamed->closes()) << "the head was sent before the drain began";
  ASSERT_TRUE(c.send(get_request("/")));
  auto next = c.read_response();
  ASSERT_TRUE(next) << "the promised keep-alive met an EOF: " << c.last_error();
  EXPECT_TRUE(next->closes());
  EXPECT_EQ(c.wait_eof(), 0);
  auto st = s.wait_exit(s.pid());
  ASSERT_TRUE(st && WIFEXITED(*st));
  EXPECT_EQ(WEXITSTATUS(*st), 0);
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/zerodrop-server-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void install_file(const std::string& from, const std::string& to) {
  std::string tmp = to + ".installing";
  std::filesystem::copy_file(from, tmp, std::filesystem::copy_options::overwrite_existing);
  struct stat st {};
  ::stat(from.c_str(), &st);
  ::chmod(tmp.c_str(), st.st_mode & 07777);
  if (::rename(tmp.c_str(), to.c_str()) < 0) ADD_FAILURE() << "rename: " << std::strerror(errno);
}

void write_file(const std::string& path, const std::string& content, unsigned mode) {
  std::string tmp = path + ".writing";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
  }
  ::chmod(tmp.c_str(), mode);
  if (::rename(tmp.c_str(), path.c_str()) < 0) ADD_FAILURE() << "rename: " << std::strerror(errno);
}

bool process_exists(pid_t pid) {
  return proc::process_exists(pid);
}

}  // namespace zerodrop::server::testing

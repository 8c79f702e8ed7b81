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

namespace zerodrop::server::testing {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return ms < 0 ? 0 : static_cast<int>(ms);
}

void make_subreaper_once() {
  static bool done = [] {
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
      ADD_FAILURE() << "PR_SET_CHILD_SUBREAPER: " << std::strerror(errno);
    return true;
  }();
  (void)done;
}

}  // namespace

bool parse_listening_line(const std::string& line, std::uint16_t& port, pid_t& pid, int& gen) {
  auto at = line.find("listening on ");
  if (at == std::string::npos) return false;
  auto sp = line.find(' ', at + 13);
  std::string addr = line.substr(at + 13, sp - at - 13);
  auto colon = addr.rfind(':');
  if (colon == std::string::npos) return false;
  port = static_cast<std::uint16_t>(std::stoi(addr.substr(colon + 1)));
  auto p = line.find("pid=");
  auto g = line.find("generation=");
  if (p == std::string::npos || g == std::string::npos) return false;
  pid = static_cast<pid_t>(std::stoi(line.substr(p + 4)));
  gen = std::stoi(line.substr(g + 11));
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
  int out[2];
  if (pipe2(out, O_CLOEXEC) < 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    ::close(errfd);
    return;
  }
  std::vector<std::string> argv_s{options.argv0.empty() ? options.binary : options.argv0};
  argv_s.insert(argv_s.end(), options.args.begin(), options.args.end());
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    if (kv.starts_with("LISTEN_") || kv.starts_with("NOTIFY_SOCKET=") ||
        kv.starts_with("ZERODROP_"))
      continue;
    env_s.emplace_back(kv);
  }
  env_s.insert(env_s.end(), options.env.begin(), options.env.end());
  if (options.listen_fd >= 0) {
    env_s.emplace_back("LISTEN_FDS=1");
    env_s.emplace_back("LISTEN_PID=0000000000");
  }
  std::vector<char*> argv, envp;
  for (auto& s : argv_s)
    argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env_s)
    envp.push_back(s.data());
  envp.push_back(nullptr);
  char* listen_pid = options.listen_fd >= 0 ? env_s.back().data() + 11 : nullptr;
  const pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return;
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(125);  // the test died before prctl took effect
    int devnull = ::open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(options.stderr_fd >= 0 ? options.stderr_fd : errfd, 2);
    if (options.listen_fd >= 0) {
      int l = fcntl(options.listen_fd, F_DUPFD, 10);
      dup2(l, 3);
      std::snprintf(listen_pid, 11, "%d", static_cast<int>(getpid()));
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (options.ignore_sigchld) signal(SIGCHLD, SIG_IGN);
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) < 0) _exit(126);
    execve(options.binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  setpgid(pid, pid);  // also from here: no race with the first kill(-pgid)
  pid_ = pgid_ = pid;
  ::close(out[1]);
  ::close(errfd);
  stdout_fd_ = out[0];
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
  if (pgid_ > 0) {
    ::kill(-pgid_, SIGTERM);
    // The group includes every generation (they inherit it); as subreaper we reap orphans too.
    for (int sig : {SIGTERM, SIGKILL}) {
      auto deadline = Clock::now() + std::chrono::milliseconds(sig == SIGTERM ? 1500 : 5000);
      if (sig == SIGKILL) ::kill(-pgid_, SIGKILL);
      bool gone = false;
      while (!gone && Clock::now() < deadline) {
        while (::waitpid(-pgid_, nullptr, WNOHANG) > 0) {
        }
        if (::kill(-pgid_, 0) < 0 && errno == ESRCH)
          gone = true;
        else
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      if (gone) break;
    }
  }
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
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    // Already reaped or never existed.
    return -1;
  }
  pollfd p{pidfd, POLLIN, 0};
  int r = ::poll(&p, 1, timeout_ms);
  ::close(pidfd);
  if (r <= 0) return std::nullopt;
  int status = 0;
  // Ours (directly, or re-parented to us as subreaper) — reap it; the re-parenting of an
  // orphan may lag its exit by a moment.
  for (int i = 0; i < 200; ++i) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) return status;
    if (w < 0 && errno == ECHILD) {
      if (!process_exists(pid)) return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
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
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

}  // namespace zerodrop::server::testing

// conform/jobs — `zerodrop conform --jobs N`: the suite's scenarios in child processes, each a
// `zerodrop run FILE --history … --report …` of this very binary, so that several run at once.
//
// Why processes and never threads: run_scenario() owns process-wide state (it makes the process
// a child subreaper, installs the SIGINT/SIGTERM handlers, reaps with waitpid(-1)); two runs in
// one process would reap each other's generations. A child run is the same pipeline as
// `--jobs 1` runs in-process, and its result goes through the same reduce step (reduce_run(),
// run_one.cpp). This process is no subreaper here: its only children are the runs, each one
// reaping its own servers.
//
// Interrupts: SIGINT/SIGTERM are blocked while a ChildRuns exists and read from a signalfd that
// next() polls beside the children's pidfds: a Ctrl-C (which reaches only this process: each
// child leads a process group of its own, out of the terminal's foreground group) ends every
// child's group (SIGTERM: the child run turns it into its own teardown, ending its servers; then
// SIGKILL after a grace period, when the child's guardian ends what it left), and next() returns
// exit 130. Every child also has PR_SET_PDEATHSIG(SIGKILL) (proc::spawn), should this process be
// SIGKILLed itself.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "parts.hpp"
#include "zerodrop/proc/reap.hpp"
#include "zerodrop/proc/spawn.hpp"
#include "zerodrop/report.hpp"

namespace zerodrop::conform {
namespace {

// On an interrupt or a cancel: how long a child run has for its own teardown (it ends its
// servers, each within the launcher's grace) before its group is SIGKILLed.
constexpr int kChildGraceMs = 5000;
constexpr int kChildKillMs = 2000;

struct Child {
  std::size_t id = 0;
  const ConformScenario* s = nullptr;
  RunFiles files;
  std::string stderr_path;  // the run's stderr, appended to its .txt once it ended
  pid_t pid = -1;           // also its process group
  int pidfd = -1;
};

// The text of a file, or "" when it cannot be read.
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class ChildRuns final : public Runs {
 public:
  ChildRuns(const ConformOptions& o, std::string workdir, std::ostream& err)
      : o_(o), workdir_(std::move(workdir)), err_(err) {
    std::error_code ec;
    exe_ = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    if (ec) exe_ = "/proc/self/exe";  // exec'd in the child, it is still this binary
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &set, &old_mask_) < 0)
      err_ << "zerodrop conform: sigprocmask: " << std::strerror(errno) << "\n";
    sigfd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd_ < 0) err_ << "zerodrop conform: signalfd: " << std::strerror(errno) << "\n";
  }

  ~ChildRuns() override {
    end_all();
    if (sigfd_ >= 0) close(sigfd_);
    sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  ChildRuns(const ChildRuns&) = delete;
  ChildRuns& operator=(const ChildRuns&) = delete;

  void start(std::size_t id, const ConformScenario& s) override {
    Child c{id, &s, files_of(s, workdir_), workdir_ + "/" + s.name + ".stderr", -1, -1};
    if (!write_scenario(s, c.files, err_)) return fail(c, "");
    const int out = open_for(c.files.text), err = open_for(c.stderr_path);
    if (out < 0 || err < 0) {
      for (int fd : {out, err})
        if (fd >= 0) close(fd);
      return fail(c, "");
    }
    proc::Spec spec;
    spec.argv = {exe_,       "run",         c.files.yaml, "--history", c.files.history,
                 "--report", c.files.report};
    for (const auto& [name, value] : o_.vars) {
      spec.argv.push_back("--var");
      spec.argv.push_back(name + "=" + value);
    }
    if (o_.progress) spec.argv.push_back("--progress");  // into its .txt, as in-process
    spec.stdout_fd = out;
    spec.stderr_fd = err;
    spec.null_stdio = true;  // stdin
    try {
      c.pid = proc::spawn(spec).pid;
    } catch (const proc::SpawnError& e) {
      if (e.pid > 0) proc::wait_exit(e.pid, kChildKillMs);  // it exits 127 at once
      c.pid = -1;
      close(out);
      close(err);
      return fail(c, std::string("spawn ") + exe_ + ": " + e.what());
    }
    close(out);
    close(err);
    c.pidfd = proc::pidfd_open(c.pid);  // logged when it fails
    if (c.pidfd < 0) {
      proc::end_group(c.pid, 0, kChildKillMs, true);
      return fail(c, "pidfd_open: no way to await " + c.s->name);
    }
    children_.push_back(c);
  }

  Done next() override {
    while (ended_.empty()) {
      std::vector<pollfd> fds;
      fds.push_back({sigfd_, POLLIN, 0});
      for (const auto& c : children_)
        fds.push_back({c.pidfd, POLLIN, 0});
      int n;
      while ((n = poll(fds.data(), fds.size(), -1)) < 0 && errno == EINTR) {
      }
      if (n < 0) {
        err_ << "zerodrop conform: poll: " << std::strerror(errno) << "\n";
        return interrupted();
      }
      if (fds[0].revents != 0) {
        signalfd_siginfo si{};
        if (read(sigfd_, &si, sizeof si) > 0)
          err_ << "zerodrop conform: " << strsignal(static_cast<int>(si.ssi_signo))
               << "; ending the runs\n";
        return interrupted();
      }
      for (std::size_t i = children_.size(); i-- > 0;)
        if (fds[i + 1].revents != 0) reap(i);
    }
    Done d = ended_.front();
    ended_.pop_front();
    return d;
  }

  void cancel(std::size_t id) override {
    for (std::size_t i = 0; i < children_.size(); ++i)
      if (children_[i].id == id) {
        proc::end_group(children_[i].pid, kChildGraceMs, kChildKillMs, true);
        forget(i);
        return;
      }
  }

  std::size_t running() const override { return children_.size() + ended_.size(); }

 private:
  int open_for(const std::string& path) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) err_ << "zerodrop conform: open " << path << ": " << std::strerror(errno) << "\n";
    return fd;
  }

  // A run that could not start: a usage error, as a write that fails in-process is.
  void fail(const Child& c, const std::string& why) {
    if (!why.empty()) err_ << "zerodrop conform: " << why << "\n";
    ended_.push_back({c.id, {c.s->name, ConformVerdict::kUnknown, "", why, kExitUsage}});
  }

  // Child i ended (its pidfd turned readable): reaped, its stderr appended to its text report
  // as the in-process run does, its result reduced.
  void reap(std::size_t i) {
    const Child c = children_[i];
    const std::optional<int> status = proc::wait_exit(c.pid, 0);
    if (!status) return;  // not yet (a spurious wake-up)
    children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(i));
    close(c.pidfd);
    const std::string run_err = slurp(c.stderr_path);
    std::ofstream(c.files.text, std::ios::app) << run_err;
    std::error_code ec;
    std::filesystem::remove(c.stderr_path, ec);
    int exit = *status < 0 ? kExitUsage : proc::exit_code(*status);
    if (exit < 0) {  // killed by a signal (someone else's): the run was interrupted
      err_ << "zerodrop conform: " << c.s->name << ": zerodrop run ended by "
           << proc::describe_status(*status) << "\n";
      exit = 130;
    }
    ended_.push_back({c.id, reduce_run(*c.s, c.files, exit, run_err, err_)});
  }

  Done interrupted() {
    end_all();
    Done d;
    d.outcome.exit = 130;
    return d;
  }

  // Every child's group: TERM to all first, so that their teardowns overlap, then each awaited
  // (TERM again, wait, KILL).
  void end_all() {
    for (const auto& c : children_)
      if (kill(-c.pid, SIGTERM) < 0 && errno != ESRCH)
        err_ << "zerodrop conform: kill(-" << c.pid << ", SIGTERM): " << std::strerror(errno)
             << "\n";
    while (!children_.empty()) {
      proc::end_group(children_.back().pid, kChildGraceMs, kChildKillMs, true);
      forget(children_.size() - 1);
    }
  }

  void forget(std::size_t i) {
    if (children_[i].pidfd >= 0) close(children_[i].pidfd);
    std::error_code ec;
    std::filesystem::remove(children_[i].stderr_path, ec);
    children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  const ConformOptions& o_;
  std::string workdir_, exe_;
  std::ostream& err_;
  sigset_t old_mask_{};
  int sigfd_ = -1;
  std::vector<Child> children_;
  std::deque<Done> ended_;
};

}  // namespace

std::unique_ptr<Runs> child_runs(const ConformOptions& o, const std::string& workdir,
                                 std::ostream& err) {
  return std::make_unique<ChildRuns>(o, workdir, err);
}

}  // namespace zerodrop::conform

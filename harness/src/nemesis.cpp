#include "zerodrop/nemesis.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace zerodrop {

namespace {
constexpr std::int64_t kConditionTimeoutNs = 5'000'000'000;
}

void replace_file(const std::string& from, const std::string& to) {
  int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) throw std::runtime_error("open(" + from + "): " + std::strerror(errno));
  std::string tmp = to + ".zerodrop-new";
  int out = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (out < 0) {
    int e = errno;
    close(in);
    throw std::runtime_error("open(" + tmp + "): " + std::strerror(e));
  }
  char buf[65536];
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (write(out, buf, static_cast<std::size_t>(n)) != n) {
      int e = errno;
      close(in);
      close(out);
      throw std::runtime_error("write(" + tmp + "): " + std::strerror(e));
    }
  }
  struct stat st {};
  if (fstat(in, &st) == 0) fchmod(out, st.st_mode & 07777);
  close(in);
  if (close(out) < 0) throw std::runtime_error("close(" + tmp + "): " + std::strerror(errno));
  // rename, not write in place: the running binary is busy (ETXTBSY), and a deploy swaps files.
  if (rename(tmp.c_str(), to.c_str()) < 0)
    throw std::runtime_error("rename(" + tmp + "): " + std::strerror(errno));
}

Nemesis::Nemesis(std::vector<Fault> faults, std::map<std::string, std::string> vars,
                 Launcher& launcher, std::int64_t start_ns, std::string binary_path,
                 std::string log_path)
    : vars_(std::move(vars)),
      launcher_(launcher),
      start_ns_(start_ns),
      binary_(std::move(binary_path)),
      log_(std::move(log_path)) {
  for (auto& f : faults)
    faults_.push_back({f, 0, start_ns_ + ms_to_ns(f.at_ms), f.when_slow_in_flight == 0});
}

bool Nemesis::done() const {
  for (auto& s : faults_)
    if (s.fired < s.f.repeat) return false;
  return true;
}

std::int64_t Nemesis::last_planned_ns() const {
  std::int64_t last = start_ns_;
  for (auto& s : faults_)
    last =
        std::max(last, start_ns_ + ms_to_ns(s.f.at_ms + static_cast<std::int64_t>(s.f.repeat - 1) *
                                                            s.f.interval_ms));
  return last;
}

void Nemesis::tick(std::int64_t now, int slow_in_flight) {
  for (auto& s : faults_) {
    if (s.fired >= s.f.repeat || now < s.next_ns) continue;
    if (!s.armed) {
      if (slow_in_flight >= s.f.when_slow_in_flight) {
        s.armed = true;
      } else if (now - s.next_ns > kConditionTimeoutNs) {
        launcher_.record("fault_condition_timeout", 0, slow_in_flight,
                         "fault at line " + std::to_string(s.f.line));
        s.armed = true;
      } else {
        continue;
      }
    }
    fire(s);
    ++s.fired;
    s.next_ns = now + ms_to_ns(s.f.interval_ms);
  }
}

void Nemesis::fire(State& s) {
  const Fault& f = s.f;
  if (!f.signal.empty()) {
    pid_t target = launcher_.main_pid();
    launcher_.record("signal", target, signal_number(f.signal), f.signal);
    launcher_.signal_pid(target, signal_number(f.signal));
  } else if (!f.replace_binary.empty()) {
    std::string from = expand(f.replace_binary, vars_);
    try {
      replace_file(from, binary_);
      launcher_.record("replace_binary", 0, 0, from + " -> " + binary_);
    } catch (const std::exception& e) {
      launcher_.record("replace_binary_failed", 0, 0, e.what());
    }
  } else {
    SpawnOptions o;
    for (auto& a : f.command)
      o.argv.push_back(expand(a, vars_));
    o.capture_stdout = false;
    o.stderr_path = log_;
    try {
      launcher_.spawn(o, "command");
    } catch (const std::exception& e) {
      launcher_.record("command_failed", 0, 0, e.what());
    }
  }
}

}  // namespace zerodrop

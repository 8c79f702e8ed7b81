// The fault timeline: fires each scenario fault at its time (or condition), as a signal to the
// current main pid, a binary swap (replace_file: copy beside, rename over) or a command; every
// firing and every failure is recorded through the launcher into the history. See nemesis.hpp.
#include "zerodrop/nemesis.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace zerodrop {

namespace {
constexpr std::int64_t kConditionTimeoutNs = 5'000'000'000;
constexpr std::int64_t kRetargetNs = 1'000'000'000;
}  // namespace

namespace {
[[noreturn]] void fail_copy(int in, int out, const std::string& tmp, const std::string& call,
                            int e) {
  close(in);
  close(out);
  unlink(tmp.c_str());
  throw std::runtime_error(call + ": " + std::strerror(e));
}
}  // namespace

// Copies `from` beside `to` and renames the copy over it. Every failure throws naming its
// syscall and removes the partial copy: a half-copied binary is never renamed into place, nor
// left beside it.
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
    if (n < 0) fail_copy(in, out, tmp, "read(" + from + ")", errno);
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {  // a short write is not an error: write the rest
      const ssize_t w = write(out, buf + off, static_cast<std::size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) fail_copy(in, out, tmp, "write(" + tmp + ")", w < 0 ? errno : EIO);
      off += w;
    }
  }
  // The copy keeps the original's mode: without its x bits the restart would fail on exec.
  struct stat st {};
  if (fstat(in, &st) < 0) fail_copy(in, out, tmp, "fstat(" + from + ")", errno);
  if (fchmod(out, st.st_mode & 07777) < 0) fail_copy(in, out, tmp, "fchmod(" + tmp + ")", errno);
  close(in);
  if (close(out) < 0) {
    const int e = errno;
    unlink(tmp.c_str());
    throw std::runtime_error("close(" + tmp + "): " + std::strerror(e));
  }
  // rename, not write in place: the running binary is busy (ETXTBSY), and a deploy swaps files.
  if (rename(tmp.c_str(), to.c_str()) < 0) {
    const int e = errno;
    unlink(tmp.c_str());
    throw std::runtime_error("rename(" + tmp + "): " + std::strerror(e));
  }
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
    faults_.push_back({f, 0, start_ns_ + ms_to_ns(f.at_ms), f.when_slow_in_flight == 0,
                       static_cast<int>(faults_.size())});
}

bool Nemesis::done() const {
  for (auto& s : faults_)
    if (s.fired < s.f.repeat || s.retarget_from != 0) return false;
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

// A signal meets ESRCH when the main pid the harness knows has just exited and its successor
// has not announced itself yet (in a storm of restarts, or when an old generation finishes its
// drain before the new one's MAINPID= arrives). The fault still means "signal the server": it
// goes to the next main pid announced within kRetargetNs, else the run is invalid.
void Nemesis::send_signal(State& s, pid_t target, std::int64_t now) {
  const int sig = signal_number(s.f.signal);
  const std::int64_t sent_ns = clock_now();  // stamped before kill(): the server reacts at once
  if (launcher_.signal_pid(target, sig)) {
    launcher_.recorder().record_at(sent_ns, EventKind::signal, target, sig, s.f.signal);
    s.retarget_from = 0;
    return;
  }
  const int e = errno;
  if (e == ESRCH && s.retarget_from == 0) {
    s.retarget_from = target;
    s.retarget_until = now + kRetargetNs;
    return;
  }
  s.retarget_from = 0;
  launcher_.recorder().record(
      EventKind::signal_failed, target, e,
      "kill(" + std::to_string(target) + ", SIG" + s.f.signal + "): " + std::strerror(e));
}

std::int64_t Nemesis::next_due_ns() const {
  std::int64_t due = INT64_MAX;
  for (auto& s : faults_) {
    if (s.retarget_from != 0)
      due = std::min(due, s.retarget_until + 1);  // a MAINPID= datagram wakes the run sooner
    else if (s.fired < s.f.repeat)
      // Waiting for its condition: the load engine's news wake the run; this is its timeout.
      due = std::min(due, s.armed || s.next_ns > clock_now() ? s.next_ns
                                                             : s.next_ns + kConditionTimeoutNs + 1);
  }
  return due;
}

void Nemesis::tick(std::int64_t now, int slow_in_flight, bool load_done) {
  for (auto& s : faults_) {
    if (s.retarget_from != 0) {
      if (launcher_.main_pid() != s.retarget_from)
        send_signal(s, launcher_.main_pid(), now);
      else if (now > s.retarget_until)
        send_signal(s, s.retarget_from, now);  // once more, then recorded as failed
      continue;
    }
    if (s.fired >= s.f.repeat || now < s.next_ns) continue;
    if (!s.armed) {
      if (slow_in_flight >= s.f.when_slow_in_flight) {
        s.armed = true;
      } else if (now - s.next_ns > kConditionTimeoutNs || load_done) {
        // Not fired late: a fault applied under other conditions than written would make the
        // run prove something else. The run is invalid instead (check_validity).
        launcher_.recorder().record(
            EventKind::fault_condition_unmet, 0, slow_in_flight,
            "fault " + std::to_string(s.index) + " (line " + std::to_string(s.f.line) + "): " +
                std::to_string(s.f.when_slow_in_flight) + " slow requests never in flight at once");
        s.fired = s.f.repeat;
        continue;
      } else {
        continue;
      }
    }
    fire(s, now);
    ++s.fired;
    s.next_ns = now + ms_to_ns(s.f.interval_ms);
  }
}

void Nemesis::fire(State& s, std::int64_t now) {
  const Fault& f = s.f;
  launcher_.recorder().record(EventKind::fault, 0, s.index, "line " + std::to_string(f.line));
  if (!f.signal.empty()) {
    send_signal(s, launcher_.main_pid(), now);
  } else if (!f.replace_binary.empty()) {
    std::string from = expand(f.replace_binary, vars_);
    try {
      replace_file(from, binary_);
      launcher_.recorder().record(EventKind::replace_binary, 0, 0, from + " -> " + binary_);
    } catch (const std::exception& e) {
      launcher_.recorder().record(EventKind::replace_binary_failed, 0, 0, e.what());
    }
  } else {
    SpawnOptions o;
    for (auto& a : f.command)
      o.argv.push_back(expand(a, vars_));
    o.capture_stdout = false;
    o.stderr_path = log_;
    try {
      launcher_.spawn(o, EventKind::command);
    } catch (const std::exception& e) {
      launcher_.recorder().record(EventKind::command_failed, 0, 0, e.what());
    }
  }
}

}  // namespace zerodrop

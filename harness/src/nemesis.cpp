// The fault timeline: fires each scenario fault at its time (or condition), as a signal to its
// target (the main pid, the previous one, the workers, the group), a binary swap (replace_file:
// copy beside, rename over) or a command; every firing and every failure is recorded through the
// launcher into the history. See nemesis.hpp.
#include "zerodrop/nemesis.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "zerodrop/proc/procfs.hpp"
#include "zerodrop/vocabulary.hpp"

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
                 std::string log_path, int ready_timeout_ms)
    : vars_(std::move(vars)),
      launcher_(launcher),
      start_ns_(start_ns),
      binary_(std::move(binary_path)),
      log_(std::move(log_path)),
      ready_timeout_ns_(ms_to_ns(ready_timeout_ms)),
      seen_main_(launcher.main_pid()) {
  for (std::size_t i = 0; i < faults.size(); ++i) {
    State s;
    s.f = faults[i];
    s.next_ns = start_ns_ + ms_to_ns(s.f.at_ms);
    s.armed = s.f.when_slow_in_flight == 0 && !s.f.after_ready;
    s.index = static_cast<int>(i);
    if (s.f.after_ready) s.awaits = generation_fault_before(faults, i);
    faults_.push_back(std::move(s));
  }
}

bool Nemesis::done() const {
  for (auto& s : faults_)
    if (!finished(s)) return false;
  return true;
}

// At the latest: its time, and for `after: ready` the latest time the fault before it and the
// one it awaits can fire, plus the readiness timeout.
std::int64_t Nemesis::last_planned_ns() const {
  std::vector<std::int64_t> last_of(faults_.size(), start_ns_);
  std::int64_t last = start_ns_;
  for (std::size_t i = 0; i < faults_.size(); ++i) {
    const Fault& f = faults_[i].f;
    std::int64_t first = start_ns_ + ms_to_ns(f.at_ms);
    if (f.after_ready && i > 0) first = std::max(first, last_of[i - 1]);
    if (faults_[i].awaits >= 0)
      first =
          std::max(first, last_of[static_cast<std::size_t>(faults_[i].awaits)] + ready_timeout_ns_);
    last_of[i] = first + ms_to_ns(static_cast<std::int64_t>(f.repeat - 1) * f.interval_ms);
    last = std::max(last, last_of[i]);
  }
  return last;
}

// The previous main pid is the one main_pid() held before its latest change. Seen from here,
// not asked of the launcher: whatever makes the main pid change (MAINPID=, a pid file, a log
// line) makes it. tick() runs after every wake-up of the run loop, each datagram or line
// included, so two takeovers complete between two ticks only if a generation was ready before
// the harness could look: then `previous` is the older one.
void Nemesis::observe_main() {
  const pid_t m = launcher_.main_pid();
  if (m == seen_main_) return;
  if (seen_main_ > 0) previous_main_ = seen_main_;
  seen_main_ = m;
}

// A signal meets ESRCH when the main pid the harness knows has just exited and its successor
// has not announced itself yet (in a storm of restarts, or when an old generation finishes its
// drain before the new one's MAINPID= arrives). The fault still means "signal the server": it
// goes to the next main pid announced within kRetargetNs, else the run is invalid.
void Nemesis::send_signal(State& s, pid_t target, std::int64_t now) {
  const int sig = signal_number(s.f.signal);
  const std::int64_t sent_ns = clock_now();  // stamped before kill(): the server reacts at once
  if (launcher_.signal_pid(target, sig)) {
    launcher_.recorder().record_at(sent_ns, EventKind::kSignal, target, sig, s.f.signal);
    s.retarget_from = 0;
    s.last_fired_ns = sent_ns;
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
      EventKind::kSignalFailed, target, e,
      "kill(" + std::to_string(target) + ", SIG" + s.f.signal + "): " + std::strerror(e));
}

namespace {
// In FaultTarget's order.
constexpr const char* kTargetNames[] = {"main", "previous", "workers", "group"};
}  // namespace

// A signal to `previous`, `workers` or `group`: the targets are resolved now and named in the
// fault event. No retargeting: these name processes, not "the server". A target that does not
// exist means the fault cannot run as written (signal_failed: the run is invalid).
void Nemesis::signal_targets(State& s) {
  const Fault& f = s.f;
  const pid_t current = launcher_.main_pid();
  const std::string to = std::string("to ") + kTargetNames[static_cast<int>(f.to)];
  std::vector<pid_t> pids;  // as kill() takes them: a group is -pgid
  std::string missing;
  if (f.to == FaultTarget::kPrevious) {
    if (previous_main_ > 0)
      pids.push_back(previous_main_);
    else
      missing = "no previous main pid: main pid " + std::to_string(current) +
                " has not been replaced since the load started";
  } else if (f.to == FaultTarget::kWorkers) {
    for (pid_t p : proc::descendants(current))
      if (p != current) pids.push_back(p);
    if (pids.empty()) missing = "main pid " + std::to_string(current) + " has no descendants";
  } else if (f.to == FaultTarget::kGroup) {
    const pid_t g = current > 0 ? getpgid(current) : -1;
    const int e = current > 0 ? errno : ESRCH;
    if (g > 0)
      pids.push_back(-g);
    else
      missing = "getpgid(" + std::to_string(current) + "): " + std::strerror(e);
  }
  std::string list;
  for (pid_t p : pids)
    list += " " + std::to_string(p);
  launcher_.recorder().record(
      EventKind::kFault, 0, s.index,
      "line " + std::to_string(f.line) + ", " + to + (missing.empty() ? ":" + list : ": none"));
  const std::string what = "SIG" + f.signal + " " + to;
  if (!missing.empty()) {
    launcher_.recorder().record(EventKind::kSignalFailed, current, ESRCH, what + ": " + missing);
    return;
  }
  const int sig = signal_number(f.signal);
  int sent = 0;
  for (pid_t p : pids) {
    const std::int64_t sent_ns = clock_now();
    if (kill(p, sig) == 0) {
      launcher_.recorder().record_at(sent_ns, EventKind::kSignal, p, sig, f.signal);
      s.last_fired_ns = sent_ns;
      ++sent;
      continue;
    }
    const int e = errno;
    // A worker that exited between the /proc scan and kill() is no longer a worker.
    if (e == ESRCH && f.to == FaultTarget::kWorkers) continue;
    launcher_.recorder().record(
        EventKind::kSignalFailed, p, e,
        what + ": kill(" + std::to_string(p) + ", SIG" + f.signal + "): " + std::strerror(e));
    return;
  }
  if (sent == 0)
    launcher_.recorder().record(EventKind::kSignalFailed, current, ESRCH,
                                what + ": every descendant of main pid " + std::to_string(current) +
                                    " exited before its kill()");
}

std::int64_t Nemesis::ready_deadline(const State& s) const {
  if (s.awaits < 0) return INT64_MAX;
  const std::int64_t fired = faults_[static_cast<std::size_t>(s.awaits)].last_fired_ns;
  return fired < 0 ? INT64_MAX : fired + ready_timeout_ns_;
}

std::int64_t Nemesis::next_due_ns() const {
  std::int64_t due = INT64_MAX;
  for (auto& s : faults_) {
    if (s.retarget_from != 0) {
      due = std::min(due, s.retarget_until + 1);  // a MAINPID= datagram wakes the run sooner
    } else if (s.fired < s.f.repeat) {
      if (s.armed || s.next_ns > clock_now()) {
        due = std::min(due, s.next_ns);
        continue;
      }
      // Waiting for its conditions: the load engine's news and the launcher's (a datagram, a
      // stdout line) wake the run; these are their timeouts.
      if (s.f.when_slow_in_flight > 0) due = std::min(due, s.next_ns + kConditionTimeoutNs + 1);
      // (Until the fault before it is over, that fault's own time is the one to wake for.)
      if (s.f.after_ready && s.awaits >= 0 &&
          finished(faults_[static_cast<std::size_t>(s.index) - 1]) &&
          ready_deadline(s) != INT64_MAX)
        due = std::min(due, ready_deadline(s) + 1);
    }
  }
  return due;
}

void Nemesis::give_up(State& s, int slow_in_flight, const std::string& why) {
  // Not fired late: a fault applied under other conditions than written would make the run
  // prove something else. The run is invalid instead (check_validity).
  launcher_.recorder().record(
      EventKind::kFaultConditionUnmet, 0, slow_in_flight,
      "fault " + std::to_string(s.index) + " (line " + std::to_string(s.f.line) + "): " + why);
  s.fired = s.f.repeat;
}

// Whether a fault whose time has come may fire now; one whose condition can no longer be met in
// time is given up.
bool Nemesis::arm(State& s, std::int64_t now, int slow_in_flight, bool load_done) {
  if (s.f.after_ready) {
    if (s.awaits < 0) {
      give_up(s, slow_in_flight, "after: ready, and no fault before it may start a generation");
      return false;
    }
    // A sequence keeps its order: not before the fault before it is over.
    if (!finished(faults_[static_cast<std::size_t>(s.index) - 1])) return false;
    const State& awaited = faults_[static_cast<std::size_t>(s.awaits)];
    const std::string of = "fault " + std::to_string(s.awaits);
    if (awaited.last_fired_ns < 0) {
      give_up(s, slow_in_flight, "after: ready, and " + of + " never fired");
      return false;
    }
    // Readiness as the launcher records it: `ready` events (READY=1, or whatever source
    // announces generations); a server that never sent one is followed by its `listening`
    // lines. Not both: a line is stamped when it is read, and the reference server's line for
    // the generation just awaited can be read after the next fault fired — it would pass for
    // the next generation's readiness (sighup-after-ready fired its third HUP so, at once).
    Recorder& r = launcher_.recorder();
    const std::int64_t notified = r.latest_ns(EventKind::kReady);
    const std::int64_t ready = notified >= 0 ? notified : r.latest_ns(EventKind::kListening);
    if (ready <= awaited.last_fired_ns) {
      if (now <= ready_deadline(s)) return false;
      give_up(s, slow_in_flight,
              "not ready within startup_timeout_ms (" +
                  std::to_string(ready_timeout_ns_ / 1'000'000) + " ms) of " + of);
      return false;
    }
  }
  if (slow_in_flight < s.f.when_slow_in_flight) {
    if (now - s.next_ns > kConditionTimeoutNs || load_done)
      give_up(s, slow_in_flight,
              std::to_string(s.f.when_slow_in_flight) + " slow requests never in flight at once");
    return false;
  }
  s.armed = true;
  return true;
}

void Nemesis::tick(std::int64_t now, int slow_in_flight, bool load_done) {
  observe_main();
  for (auto& s : faults_) {
    if (s.retarget_from != 0) {
      if (launcher_.main_pid() != s.retarget_from)
        send_signal(s, launcher_.main_pid(), now);
      else if (now > s.retarget_until)
        send_signal(s, s.retarget_from, now);  // once more, then recorded as failed
      continue;
    }
    if (s.fired >= s.f.repeat || now < s.next_ns) continue;
    if (!s.armed && !arm(s, now, slow_in_flight, load_done)) continue;
    fire(s, now);
    ++s.fired;
    s.next_ns = now + ms_to_ns(s.f.interval_ms);
  }
}

// expand() with the pids known now: {main_pid}, and {previous_pid} once there was a takeover.
std::string Nemesis::expand_now(const std::string& text) const {
  auto vars = vars_;
  vars["main_pid"] = std::to_string(launcher_.main_pid());
  if (previous_main_ > 0)
    vars["previous_pid"] = std::to_string(previous_main_);
  else if (text.find("{previous_pid}") != std::string::npos)
    throw std::runtime_error("{previous_pid} in \"" + text +
                             "\": the main pid has not been replaced since the load started");
  return expand(text, vars);
}

void Nemesis::fire(State& s, std::int64_t now) {
  const Fault& f = s.f;
  s.last_fired_ns = clock_now();
  if (!f.signal.empty() && f.to != FaultTarget::kMain) {
    signal_targets(s);
    return;
  }
  launcher_.recorder().record(EventKind::kFault, 0, s.index, "line " + std::to_string(f.line));
  if (!f.signal.empty()) {
    send_signal(s, launcher_.main_pid(), now);
  } else if (!f.replace_binary.empty()) {
    try {
      const std::string from = expand_now(f.replace_binary);
      replace_file(from, binary_);
      launcher_.recorder().record(EventKind::kReplaceBinary, 0, 0, from + " -> " + binary_);
    } catch (const std::exception& e) {
      launcher_.recorder().record(EventKind::kReplaceBinaryFailed, 0, 0, e.what());
    }
  } else {
    try {
      SpawnOptions o;
      for (auto& a : f.command)
        o.argv.push_back(expand_now(a));
      o.capture_stdout = false;
      o.stderr_path = log_;
      launcher_.spawn(o, EventKind::kCommand);
    } catch (const std::exception& e) {
      launcher_.recorder().record(EventKind::kCommandFailed, 0, 0, e.what());
    }
  }
}

}  // namespace zerodrop

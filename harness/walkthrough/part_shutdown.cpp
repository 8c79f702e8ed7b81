// Part 2: the article's first program, graceful shutdown (Go's http.Server.Shutdown with a 5 s
// context). Ctrl+C (SIGINT) while a slow request is in flight: new connections are refused at
// once, the request is answered, the process exits 0. A request longer than the deadline: the
// process force-closes it at the deadline and exits 1.
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "http_probe.hpp"
#include "session.hpp"
#include "walkthrough_server.hpp"

namespace zerodrop::walkthrough {

using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

SpawnSpec shutdown_server(const Session& s) {
  SpawnSpec spec{{s.gin_binary, "--mode", "shutdown", "--port", "0"}, {}, false, false};
  if (s.options.shutdown_timeout_ms) {
    spec.argv.push_back("--shutdown-timeout");
    spec.argv.push_back(std::to_string(*s.options.shutdown_timeout_ms) + "ms");
  }
  return spec;
}

std::string shell_line(const SpawnSpec& spec) {
  std::string line;
  for (const auto& a : spec.argv)
    line += (line.empty() ? "" : " ") + a;
  return line + " &";
}

// Waits for the server of one step to announce itself, and checks that it did.
std::optional<ListeningLine> started(Transcript& t, WalkthroughServer& srv) {
  auto gen = srv.wait_listening(1, Clock::now() + seconds(10));
  if (!t.check("the server starts", gen.has_value(),
               gen ? "listening on 127.0.0.1:" + std::to_string(gen->port) +
                         " pid=" + std::to_string(gen->pid)
                   : "no 'listening on' line within 10 s\n" + srv.tail(10)))
    return std::nullopt;
  return gen;
}

// Waits (20 s) until `pid` reports a request in flight (its stats line); the check is `what`.
bool in_flight(Transcript& t, WalkthroughServer& srv, pid_t pid, const std::string& what) {
  auto inflight = srv.wait_inflight(pid, 1, Clock::now() + seconds(20));
  return t.check(what, inflight.has_value(),
                 inflight
                     ? "PID " + std::to_string(pid) + " reports inflight=" + (*inflight)["inflight"]
                     : "no request in flight within 20 s\n" + srv.tail(10));
}

// The article's Ctrl+C, shown as the command a reader would type.
void ctrl_c(Transcript& t, pid_t pid) {
  t.command("kill -INT " + std::to_string(pid) + "    # Ctrl+C");
  ::kill(pid, SIGINT);
}

}  // namespace

bool run_shutdown_part(Session& s) {
  Transcript& t = s.t;
  t.part("shutdown",
         "Part 2: graceful shutdown -- Ctrl+C during a slow request, and past the deadline");
  const long deadline_ms = s.options.shutdown_timeout_ms.value_or(5000);
  const SpawnSpec spec = shutdown_server(s);
  t.say("shutdown deadline: " + std::to_string(deadline_ms) + " ms" +
        (s.options.shutdown_timeout_ms ? " (--shutdown-timeout)"
                                       : " (the server's default, as in the article)"));

  // 2a: a request shorter than the deadline is answered, then exit 0.
  {
    t.command(shell_line(spec));
    WalkthroughServer srv(s.reaper, spec);
    auto gen = started(t, srv);
    if (!gen) return false;
    const pid_t pid = gen->pid;
    const int port = gen->port;
    // Well inside the deadline: after its answer, a browser still holds an idle (preconnected)
    // connection until it exits, and the drain waits for that too.
    const long slow = std::clamp(deadline_ms * 2 / 5, 300L, 2000L);
    const std::string path = "/slow?ms=" + std::to_string(slow);
    t.command(viewer_command(s.viewer, port, path) + " &");
    auto page = PageLoad::start(s.reaper, s.viewer, port, path, s.scratch);
    if (!in_flight(t, srv, pid, "the page's request is in flight")) return false;
    const size_t mark = srv.line_count();
    const auto int_at = Clock::now();
    ctrl_c(t, pid);
    auto drain = srv.wait_event(pid, "drain_started", mark, Clock::now() + seconds(5));
    const int connect_error = connect_errno(port);
    const bool still_waiting = !page->done();
    t.say(std::string("a new connection to 127.0.0.1:") + std::to_string(port) + ": " +
          (connect_error == 0 ? "accepted" : strerror(connect_error)) +
          (still_waiting ? ", while the page is still waiting" : ""));
    t.check("new connections are refused", drain.has_value() && connect_error == ECONNREFUSED,
            std::string(drain ? "after drain_started, " : "no drain_started logged, ") +
                "connect(): " + (connect_error == 0 ? "accepted" : strerrorname_np(connect_error)));
    PageResult r = page->wait(Clock::now() + seconds(20));
    t.say("the page shows " + quoted(r.text) + ", " +
          std::to_string(ms_between(r.started, r.ended)) + " ms after it was opened");
    t.check("the request in flight completed", r.text == "hello gin!",
            "shown: " + quoted(r.text) + (r.error.empty() ? "" : " (" + r.error + ")"));
    auto ex = s.reaper.wait_exit(pid, Clock::now() + milliseconds(deadline_ms) + seconds(5));
    for (const auto& line : srv.log_of(pid, {"signal", "drain_started", "drain_complete", "exit"}))
      t.say("server log | " + line);
    t.check("the process exits 0", ex && ex->exit_code() == 0,
            ex ? ex->describe() + ", " + std::to_string(ms_between(int_at, ex->when)) +
                     " ms after Ctrl+C"
               : "still running\n" + srv.tail(10));
  }

  // 2b: a request longer than the deadline: cut at the deadline, exit 1.
  {
    t.say(
        "now a request longer than the deadline (HTTP client: a browser would only show an error "
        "page)");
    t.command(shell_line(spec));
    WalkthroughServer srv(s.reaper, spec);
    auto gen = started(t, srv);
    if (!gen) return false;
    const pid_t pid = gen->pid;
    const int port = gen->port;
    const std::string path = "/slow?ms=" + std::to_string(deadline_ms + 2000);
    t.command("curl 'http://127.0.0.1:" + std::to_string(port) + path + "' &");
    auto page = PageLoad::start(s.reaper, Viewer{}, port, path, s.scratch);
    if (!in_flight(t, srv, pid, "the long request is in flight")) return false;
    const size_t mark = srv.line_count();
    const auto int_at = Clock::now();
    ctrl_c(t, pid);
    auto ex = s.reaper.wait_exit(pid, Clock::now() + milliseconds(deadline_ms) + seconds(10));
    auto timeout_line = srv.wait_event(pid, "drain_timeout", mark, Clock::now() + seconds(1));
    const long after = ex ? ms_between(int_at, ex->when) : -1;
    for (const auto& line : srv.log_of(pid, {"signal", "drain_started", "drain_timeout", "exit"}))
      t.say("server log | " + line);
    t.say(ex ? "PID " + std::to_string(pid) + ": " + ex->describe() + " " + std::to_string(after) +
                   " ms after Ctrl+C"
             : "PID " + std::to_string(pid) + " still running");
    // Lower bound only (it must not give up early); the upper one is generous for a busy machine.
    t.check("past the deadline it exits 1",
            ex && ex->exit_code() == 1 && timeout_line.has_value() &&
                after >= deadline_ms * 9 / 10 && after <= deadline_ms + 5000,
            ex ? ex->describe() + " after " + std::to_string(after) + " ms (deadline " +
                     std::to_string(deadline_ms) + " ms)" +
                     (timeout_line ? ", drain_timeout logged" : ", no drain_timeout logged")
               : "still running\n" + srv.tail(10));
    PageResult r = page->wait(Clock::now() + seconds(5));
    t.say("the long request got " + (r.text.empty() ? r.error : quoted(r.text)) +
          " (cut at the deadline)");
  }
  return t.failed_in("shutdown") == 0;
}

}  // namespace zerodrop::walkthrough

// Part 1: the article's walkthrough. "hello gin!" is served, the binary is replaced on disk by
// the "hello q1mi!" build, a browser sits on a slow page, kill -1, and then: the waiting page
// shows "hello gin!", a new load shows "hello q1mi!", the PID changed, the old process exited 0
// once its request was answered, and a light background load saw no failure.
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "http_probe.hpp"
#include "session.hpp"
#include "walkthrough_server.hpp"

namespace zerodrop::walkthrough {

using std::chrono::milliseconds;
using std::chrono::seconds;

bool run_restart_part(Session& s) {
  Transcript& t = s.t;
  t.part("restart", "Part 1: fork-restart -- \"hello gin!\", kill -1, \"hello q1mi!\"");

  // Step 1: the "hello gin!" build at a path of our own, started in fork-restart mode.
  const std::string app = s.scratch + "/hello";
  install_binary(s.gin_binary, app);
  t.command("cp " + s.gin_binary + " " + app + "    # the build that answers \"hello gin!\"");
  t.command(app + " --mode fork-restart --port 0 &");
  WalkthroughServer srv(
      s.reaper, SpawnSpec{{app, "--mode", "fork-restart", "--port", "0"}, {}, false, false});
  auto gen1 = srv.wait_listening(1, Clock::now() + seconds(10));
  if (!t.check("the server starts", gen1.has_value(),
               gen1 ? "listening on 127.0.0.1:" + std::to_string(gen1->port) +
                          " pid=" + std::to_string(gen1->pid) + " generation=1"
                    : "no 'listening on' line within 10 s\n" + srv.tail(10)))
    return false;
  const pid_t pid1 = gen1->pid;
  const int port = gen1->port;
  t.say("PID " + std::to_string(pid1));
  HttpResult first = http_get(port, "/", milliseconds(3000));
  t.command("curl http://127.0.0.1:" + std::to_string(port) + "/");
  t.say(first.describe());
  t.check("it answers \"hello gin!\"",
          first.status == 200 && first.body == "hello gin!" && first.pid == pid1, first.describe());

  // Step 2: the binary at that same path becomes the "hello q1mi!" build.
  const ino_t old_inode = inode_of(app);
  install_binary(s.q1mi_binary, app);
  const ino_t new_inode = inode_of(app);
  t.command("cp " + s.q1mi_binary + " " + app + ".new && mv " + app + ".new " + app +
            "    # the build that answers \"hello q1mi!\"");
  const std::string running = proc_exe(pid1);
  t.say("inode " + std::to_string(old_inode) + " -> " + std::to_string(new_inode) + "; /proc/" +
        std::to_string(pid1) + "/exe -> " + running);
  t.check(
      "the binary on disk is replaced, the running one untouched",
      new_inode != 0 && new_inode != old_inode && running.find("(deleted)") != std::string::npos,
      "new inode at the same path; PID " + std::to_string(pid1) + " still runs the old one");

  // A light background load across the restart: every answer must be a complete 200.
  BackgroundLoad load(port, {"hello gin!", "hello q1mi!"}, milliseconds(50), 600);

  // Step 3: a browser on a slow page, then kill -1 while it waits.
  const std::string slow_path = "/slow?ms=" + std::to_string(s.options.slow_ms);
  t.command(viewer_command(s.viewer, port, slow_path) + " &");
  auto waiting = PageLoad::start(s.reaper, s.viewer, port, slow_path, s.scratch);
  auto inflight = srv.wait_inflight(pid1, 1, Clock::now() + seconds(20));
  if (!t.check("the page's request is in flight", inflight.has_value(),
               inflight
                   ? "PID " + std::to_string(pid1) + " reports inflight=" +
                         (*inflight)["inflight"] + " connections=" + (*inflight)["connections"]
                   : "the server never reported a request in flight within 20 s\n" + srv.tail(10)))
    return false;
  const size_t mark = srv.line_count();
  const auto hup_at = Clock::now();
  t.command("kill -1 " + std::to_string(pid1));
  if (::kill(pid1, SIGHUP) < 0) {
    t.check("SIGHUP delivered", false, "kill: " + std::string(strerror(errno)));
    return false;
  }
  auto gen2 = srv.wait_listening(2, Clock::now() + seconds(10));
  if (!t.check("a new generation starts from the new binary", gen2.has_value() && gen2->pid != pid1,
               gen2 ? "listening on 127.0.0.1:" + std::to_string(gen2->port) +
                          " pid=" + std::to_string(gen2->pid) + " generation=2, " +
                          std::to_string(ms_between(hup_at, Clock::now())) + " ms after kill -1"
                    : "no generation 2 within 10 s\n" + srv.tail(10)))
    return false;
  const pid_t pid2 = gen2->pid;
  t.say("new PID " + std::to_string(pid2) + ": " + proc_exe(pid2));
  // Both generations share one listening socket: until the old one closes its descriptor (it
  // logs drain_started when it has), it may still accept a new connection. The article's new
  // page load comes after that point.
  auto drain = srv.wait_event(pid1, "drain_started", mark, Clock::now() + seconds(5));
  const long drained_inflight =
      drain ? static_cast<long>(field_int(*drain, "inflight").value_or(0)) : -1;
  t.say(drain ? "PID " + std::to_string(pid1) +
                    " stopped accepting and drains, inflight=" + std::to_string(drained_inflight)
              : "PID " + std::to_string(pid1) + " logged no drain_started within 5 s");

  // Step 4: a new load, while the first page still waits.
  t.command(viewer_command(s.viewer, port, "/") + "    # a new page load");
  auto fresh = PageLoad::start(s.reaper, s.viewer, port, "/", s.scratch);
  PageResult fresh_result = fresh->wait(Clock::now() + seconds(20));
  const bool first_still_waiting = !waiting->done();
  t.say("the new page shows " + quoted(fresh_result.text) +
        (first_still_waiting ? "; the first page is still waiting" : ""));
  t.check("a new load gets \"hello q1mi!\"", fresh_result.text == "hello q1mi!",
          "shown: " + quoted(fresh_result.text) +
              (fresh_result.error.empty() ? "" : " (" + fresh_result.error + ")"));

  PageResult waited = waiting->wait(Clock::now() + milliseconds(s.options.slow_ms) + seconds(20));
  t.say("the first page shows " + quoted(waited.text) + ", " +
        std::to_string(ms_between(waited.started, waited.ended)) + " ms after it was opened");
  t.check(
      "the waiting page got \"hello gin!\"", waited.text == "hello gin!",
      "shown: " + quoted(waited.text) + (waited.error.empty() ? "" : " (" + waited.error + ")"));

  HttpResult after = http_get(port, "/", milliseconds(3000));
  t.command("curl -i http://127.0.0.1:" + std::to_string(port) + "/");
  t.say(after.describe());
  t.check("the PID changed",
          after.status == 200 && after.pid == pid2 && pid2 != pid1 && after.generation == 2,
          "X-Pid " + std::to_string(pid1) + " -> " + std::to_string(after.pid) +
              ", X-Generation 1 -> " + std::to_string(after.generation));

  // The old process: it drained with the page's request in flight, then exited 0.
  auto old_exit =
      s.reaper.wait_exit(pid1, Clock::now() + milliseconds(s.options.slow_ms) + seconds(10));
  std::string evidence = "PID " + std::to_string(pid1);
  evidence += drain ? " began draining with inflight=" + std::to_string(drained_inflight)
                    : " never logged drain_started";
  evidence += old_exit ? ", " + old_exit->describe() + " " +
                             std::to_string(ms_between(hup_at, old_exit->when)) +
                             " ms after kill -1 (reaped by the walkthrough, a subreaper)"
                       : ", still running";
  t.check("the old process exited 0 once its request was done",
          old_exit && old_exit->exit_code() == 0 && drained_inflight >= 1 &&
              waited.text == "hello gin!",
          evidence);

  // The old generation's own account of the hand-over, from its stderr.
  for (const auto& line : srv.log_of(pid1, {"restart_requested", "child_spawned", "child_ready",
                                            "drain_started", "drain_complete", "exit"}))
    t.say("server log | " + line);

  load.stop();
  auto sum = load.summary();
  std::string by_pid;
  for (auto [pid, n] : sum.by_pid)
    by_pid += " PID " + std::to_string(pid) + ": " + std::to_string(n) + ";";
  std::string failures;
  for (const auto& f : sum.failures)
    failures += "\n      " + f;
  t.check("no other request failed", sum.sent > 0 && sum.ok == sum.sent,
          std::to_string(sum.sent) + " background GET / on fresh connections, " +
              std::to_string(sum.ok) + " ok (" + by_pid + " )" + failures);

  t.say("still running: PID " + std::to_string(pid2) +
        (process_exists(pid1) ? "; PID " + std::to_string(pid1) + " too!"
                              : "; PID " + std::to_string(pid1) + " is gone"));
  t.command("kill -TERM " + std::to_string(pid2));
  ::kill(pid2, SIGTERM);
  auto end2 = s.reaper.wait_exit(pid2, Clock::now() + seconds(8));
  t.say("PID " + std::to_string(pid2) + ": " +
        (end2 ? end2->describe() : "did not exit; ending it"));
  return t.failed_in("restart") == 0;
}

}  // namespace zerodrop::walkthrough

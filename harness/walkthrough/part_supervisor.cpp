// Part 3: the article's caveat — a PID that changes on every restart does not suit a process
// supervisor. With NOTIFY_SOCKET (systemd's Type=notify, NotifyAccess=all) the server tells
// the supervisor its new main PID, so one that follows MAINPID= keeps tracking the service,
// while one that watched only the PID it launched would see its service "exit".
#include <signal.h>

#include <functional>
#include <string>

#include "http_probe.hpp"
#include "process.hpp"
#include "session.hpp"
#include "supervisor_model.hpp"
#include "walkthrough_server.hpp"

namespace zerodrop::walkthrough {

using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n') c = ' ';
  while (!s.empty() && s.back() == ' ')
    s.pop_back();
  return s;
}

// Feeds the model every message not seen yet, and shows each in the transcript.
void catch_up(Transcript& t, NotifyLog& ns, SupervisorModel& sup, size_t& seen) {
  auto msgs = ns.messages();
  for (; seen < msgs.size(); ++seen) {
    sup.apply(msgs[seen].text);
    t.say("supervisor <- PID " + std::to_string(msgs[seen].sender) + ": " +
          one_line(msgs[seen].text) + "    => main PID " + std::to_string(sup.main_pid()) + ", " +
          sup.state());
  }
}

bool has_message(const std::vector<NotifyMessage>& msgs, size_t from,
                 const std::function<bool(const NotifyMessage&)>& f) {
  for (size_t i = from; i < msgs.size(); ++i)
    if (f(msgs[i])) return true;
  return false;
}

bool says(const NotifyMessage& m, const std::string& kv) {
  return ("\n" + m.text + "\n").find("\n" + kv + "\n") != std::string::npos;
}

}  // namespace

bool run_supervisor_part(Session& s) {
  Transcript& t = s.t;
  t.part("supervisor", "Part 3: the supervisor caveat -- following MAINPID= over NOTIFY_SOCKET");
  NotifyLog ns(s.scratch + "/notify.sock");
  const std::string app = s.scratch + "/hello-supervised";
  install_binary(s.gin_binary, app);
  t.command("NOTIFY_SOCKET=" + ns.path() + " " + app +
            " --mode fork-restart --port 0 &    # as systemd Type=notify");
  WalkthroughServer srv(s.reaper, SpawnSpec{{app, "--mode", "fork-restart", "--port", "0"},
                                            {"NOTIFY_SOCKET=" + ns.path()},
                                            false,
                                            false});
  const pid_t launched = srv.first_pid();
  SupervisorModel sup(launched);
  size_t seen = 0;
  t.say("supervisor: launched PID " + std::to_string(launched));

  // The server says READY=1 when it starts accepting, as it prints its "listening" line: once
  // that line is out, the datagram is due within a short grace.
  auto gen1 = srv.wait_listening(1, Clock::now() + seconds(10));
  bool ready = ns.wait_for(
      [&](const auto& m) { return has_message(m, 0, [](auto& x) { return says(x, "READY=1"); }); },
      Clock::now() + seconds(2));
  catch_up(t, ns, sup, seen);
  if (!t.check(
          "the supervisor sees READY=1 from the PID it launched",
          ready && gen1 && sup.state() == "running" && sup.main_pid() == launched,
          "main PID " + std::to_string(sup.main_pid()) + ", state " + sup.state() +
              (ready ? "" : "; no READY=1 within 2 s of its 'listening' line\n" + srv.tail(10))))
    return false;
  const int port = gen1->port;

  install_binary(s.q1mi_binary, app);
  t.command("cp " + s.q1mi_binary + " " + app + ".new && mv " + app + ".new " + app);
  const size_t before_hup = ns.messages().size();
  const auto hup_at = Clock::now();
  t.command("kill -1 " + std::to_string(launched));
  ::kill(launched, SIGHUP);
  // The hand-over is complete for the supervisor when a MAINPID= other than the launched PID
  // has arrived and a READY=1 after it.
  bool moved = ns.wait_for(
      [&](const std::vector<NotifyMessage>& m) {
        size_t i = before_hup;
        for (; i < m.size(); ++i)
          if (m[i].text.find("MAINPID=") != std::string::npos &&
              !says(m[i], "MAINPID=" + std::to_string(launched)))
            break;
        if (i == m.size()) return false;
        if (says(m[i], "READY=1")) return true;
        return has_message(m, i + 1, [](auto& x) { return says(x, "READY=1"); });
      },
      Clock::now() + seconds(10));
  catch_up(t, ns, sup, seen);
  auto gen2 = srv.wait_listening(2, Clock::now() + seconds(5));
  const pid_t pid2 = gen2 ? gen2->pid : 0;
  t.check("the supervisor follows MAINPID= to the new PID",
          moved && gen2 && sup.main_pid() == pid2 && pid2 != launched && sup.state() == "running" &&
              sup.reloads() >= 1,
          "main PID " + std::to_string(launched) + " -> " + std::to_string(sup.main_pid()) +
              " (generation 2 is PID " + std::to_string(pid2) + "), state " + sup.state() +
              ", RELOADING=1 seen " + std::to_string(sup.reloads()) + " time(s), " +
              std::to_string(ms_between(hup_at, Clock::now())) + " ms after kill -1");

  // The old generation may accept on the shared listener until it closes its descriptor
  // (drain_started): ask the service only after that, as a client arriving later would.
  auto drained = srv.wait_event(launched, "drain_started", 0, Clock::now() + seconds(5));
  t.say(drained ? "PID " + std::to_string(launched) + " stopped accepting and drains"
                : "PID " + std::to_string(launched) + " logged no drain_started within 5 s");
  HttpResult r = http_get(port, "/", milliseconds(3000));
  t.say("curl -> " + r.describe());
  t.check("the PID it tracks is the one answering",
          r.status == 200 && r.pid == sup.main_pid() && r.body == "hello q1mi!",
          "X-Pid " + std::to_string(r.pid) + ", supervisor's main PID " +
              std::to_string(sup.main_pid()));

  auto launched_exit = s.reaper.wait_exit(launched, Clock::now() + seconds(10));
  t.say(launched_exit
            ? "PID " + std::to_string(launched) +
                  " (the one the supervisor launched): " + launched_exit->describe() + ", " +
                  std::to_string(ms_between(hup_at, launched_exit->when)) +
                  " ms after kill -1 -- a supervisor watching only that PID would now think the "
                  "service died, and restart or fail it"
            : "PID " + std::to_string(launched) + " still running");
  t.check("the launched PID exits 0 while the service keeps running",
          launched_exit && launched_exit->exit_code() == 0 && process_exists(sup.main_pid()),
          std::string(launched_exit ? launched_exit->describe() : "still running") + "; main PID " +
              std::to_string(sup.main_pid()) +
              (process_exists(sup.main_pid()) ? " alive" : " gone"));

  const size_t before_stop = ns.messages().size();
  const pid_t main_pid = sup.main_pid();
  t.command("kill -TERM " + std::to_string(main_pid) +
            "    # systemctl stop: the supervisor signals its main PID");
  ::kill(main_pid, SIGTERM);
  bool stopping = ns.wait_for(
      [&](const auto& m) {
        return has_message(m, before_stop, [](auto& x) { return says(x, "STOPPING=1"); });
      },
      Clock::now() + seconds(5));
  auto main_exit = s.reaper.wait_exit(main_pid, Clock::now() + seconds(8));
  catch_up(t, ns, sup, seen);
  t.check("STOPPING=1 is announced and the main PID exits 0",
          stopping && main_exit && main_exit->exit_code() == 0 && sup.state() == "stopping",
          std::string(stopping ? "STOPPING=1 received" : "no STOPPING=1") + ", PID " +
              std::to_string(main_pid) + ": " +
              (main_exit ? main_exit->describe() : "still running"));
  return t.failed_in("supervisor") == 0;
}

}  // namespace zerodrop::walkthrough

#include "zerodrop/run.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "zerodrop/checks.hpp"
#include "zerodrop/clock.hpp"
#include "zerodrop/history.hpp"
#include "zerodrop/http_response.hpp"
#include "zerodrop/launcher.hpp"
#include "zerodrop/load.hpp"
#include "zerodrop/nemesis.hpp"
#include "zerodrop/report.hpp"
#include "zerodrop/scenario.hpp"

#ifndef ZERODROP_DEFAULT_SERVER
#define ZERODROP_DEFAULT_SERVER "zerodrop-server"
#endif
#ifndef ZERODROP_DEFAULT_SERVER_Q1MI
#define ZERODROP_DEFAULT_SERVER_Q1MI "zerodrop-server-q1mi"
#endif

namespace zerodrop {

namespace {

void sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

std::set<long> live_generations(const Launcher& L) {
  History h;
  h.events = L.events();
  Timeline t = build_timeline(h);
  std::set<long> live;
  for (auto& g : t.gens)
    if (!g.gone()) live.insert(g.pid);
  return live;
}

// Zombies among the server's processes: a child that exited and that its parent (a generation)
// never reaped. The harness reaps its own (it is the subreaper), so these are the server's.
std::vector<long> find_zombies(const std::set<long>& parents) {
  std::vector<long> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/stat");
    std::string s;
    std::getline(f, s);
    auto rp = s.rfind(')');
    if (rp == std::string::npos || rp + 4 >= s.size()) continue;
    char state = s[rp + 2];
    long ppid = std::atol(s.c_str() + rp + 4);
    if (state == 'Z' && parents.count(ppid)) out.push_back(std::atol(e->d_name));
  }
  closedir(d);
  return out;
}

long probe_pid(std::uint16_t port) {
  const FetchResult r = fetch(port, "/healthz", 5000);
  if (!r.ok()) return 0;
  return r.response.pid != 0 ? r.response.pid : -1;  // -1: answered without X-Pid
}

// settles' last question: does a restart still work once the faults are over? Sends the
// scenario's restart signal (its first signal fault that is not a stop) to the generation that
// answered the settle probe, then probes until another pid answers or the startup timeout
// passes, and waits for the replaced generation to go. Only for scenarios that restart.
void settle_restart(const Scenario& sc, Launcher& L, std::uint16_t port, long serving,
                    RunClock clock) {
  if (!sc.expect.settle_restart || sc.expect.restarts < 1 || sc.expect.shutdown_ends_run) return;
  std::string sig;
  for (auto& f : sc.faults)
    if (!f.signal.empty() && !is_stop_signal(f.signal)) {
      sig = f.signal;
      break;
    }
  if (sig.empty()) return;
  L.record("settle_restart", serving, signal_number(sig), sig);
  L.signal_pid(static_cast<pid_t>(serving), signal_number(sig));
  const std::int64_t deadline = clock.now_ns() + ms_to_ns(sc.startup_timeout_ms + 2000);
  long answered = 0;
  while (clock.now_ns() < deadline && !Launcher::interrupted()) {
    L.poll();
    answered = probe_pid(port);
    if (answered > 0 && answered != serving) break;
    sleep_ms(10);
  }
  L.record("settle_restart_result", serving, answered, "");
  const std::int64_t gone = clock.now_ns() + ms_to_ns(sc.expect.drain_ms + sc.expect.slack_ms);
  while (answered > 0 && answered != serving && !L.exited(static_cast<pid_t>(serving)) &&
         clock.now_ns() < gone && !Launcher::interrupted()) {
    L.poll();
    sleep_ms(2);
  }
}

std::vector<std::string> split_words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

}  // namespace

std::map<std::string, std::string> default_vars() {
  const char* s = std::getenv("ZERODROP_SERVER");
  const char* q = std::getenv("ZERODROP_SERVER_Q1MI");
  return {{"server", s && *s ? s : ZERODROP_DEFAULT_SERVER},
          {"server_q1mi", q && *q ? q : ZERODROP_DEFAULT_SERVER_Q1MI}};
}

int run_scenario(const RunOptions& o, std::ostream& out, std::ostream& err) {
  Scenario sc;
  try {
    sc = parse_scenario_file(o.file);
  } catch (const ScenarioError& e) {
    err << e.what() << "\n";
    return 2;
  }
  char tmpl[] = "/tmp/zerodrop-XXXXXX";
  if (!mkdtemp(tmpl)) {
    err << "zerodrop: mkdtemp: " << std::strerror(errno) << "\n";
    return 2;
  }
  const std::string workdir = tmpl;
  auto vars = default_vars();
  vars["workdir"] = workdir;
  vars["pid_file"] = workdir + "/server.pid";
  for (auto& [k, v] : o.vars)
    vars[k] = v;

  std::uint16_t port = 0;
  int listen_fd = -1;
  if (sc.listener == Listener::listen_fds) listen_fd = bind_loopback_listener(port);
  vars["port"] = std::to_string(port);

  std::vector<std::string> argv;
  std::string binary;
  try {
    for (auto& a : (o.server_cmd.empty() ? sc.server : split_words(o.server_cmd)))
      argv.push_back(expand(a, vars));
    if (sc.copy_binary) {
      binary = workdir + "/" + std::filesystem::path(argv[0]).filename().string();
      replace_file(argv[0], binary);
      argv[0] = binary;
    } else {
      binary = argv[0];
    }
  } catch (const std::exception& e) {
    err << o.file << ": server.command: " << e.what() << "\n";
    if (listen_fd >= 0) close(listen_fd);
    return 2;
  }

  History h;
  h.scenario_file = o.file;
  h.scenario_yaml = sc.yaml;
  h.harness_version = harness_version();
  // The history is streamed from the first event on, so a run that dies midway (or a server that
  // never becomes ready) leaves what happened up to then.
  const std::string history_path =
      o.history_path.empty() ? workdir + "/history.jsonl" : o.history_path;
  std::unique_ptr<HistoryWriter> writer;
  try {
    writer = std::make_unique<HistoryWriter>(history_path, o.file, sc.yaml);
  } catch (const std::exception& e) {
    err << "zerodrop: " << e.what() << "\n";
    if (listen_fd >= 0) close(listen_fd);
    return 2;
  }
  RunClock clock;
  int code = 0;
  bool started = false;
  std::vector<LifecycleEvent> engine_events;
  {
    Launcher L(clock, workdir);
    L.set_history(writer.get());
    L.record("fd_limit", getpid(), raise_fd_limit(), "RLIMIT_NOFILE of the harness");
    Launcher::install_interrupt_handlers();
    const bool progress = o.progress || isatty(2);
    try {
      SpawnOptions so;
      so.argv = argv;
      so.listen_fd = listen_fd;
      so.notify = true;
      so.stderr_path = workdir + "/server.log";
      pid_t first = L.spawn(so);
      if (listen_fd >= 0)
        close(listen_fd);  // ours must not keep queuing connections once the server is gone
      listen_fd = -1;
      const std::int64_t deadline = clock.now_ns() + ms_to_ns(sc.startup_timeout_ms);
      for (;;) {
        L.poll();
        bool ready = sc.ready == Ready::notify ? L.ready() : L.port_from_stdout() != 0;
        if (ready) break;
        if (L.exited(first) || clock.now_ns() > deadline || Launcher::interrupted()) {
          err << "zerodrop: the server did not become ready ("
              << (L.exited(first) ? "it exited" : "timeout") << "); its log: " << workdir
              << "/server.log; history: " << history_path << "\n";
          L.record("not_ready", first, 0, L.exited(first) ? "exited" : "startup timeout");
          return 1;  // ~Launcher ends everything; the writer flushes on destruction
        }
        sleep_ms(1);
      }
      if (sc.listener == Listener::port) port = L.port_from_stdout();
      started = true;
      const int first_fds = fd_count(L.main_pid());
      L.record("fd_count", L.main_pid(), first_fds, "at ready");

      const std::int64_t start_ns = clock.now_ns() + ms_to_ns(20);
      LoadEngine engine(sc.load, port, clock, start_ns);
      engine.set_history(writer.get());
      std::atomic<bool> stop{false}, load_done{false};
      std::thread loader([&] {
        engine.run(stop);
        load_done = true;
      });
      struct Joiner {
        std::thread& t;
        std::atomic<bool>& stop;
        ~Joiner() {
          stop = true;
          if (t.joinable()) t.join();
        }
      } joiner{loader, stop};
      Nemesis nemesis(sc.faults, vars, L, start_ns, binary, workdir + "/commands.log");
      const std::int64_t hard_end =
          std::max(start_ns + ms_to_ns(sc.load.duration_ms + sc.load.timeout_ms) + ms_to_ns(2000),
                   nemesis.last_planned_ns() + ms_to_ns(7000));
      std::int64_t next_progress = 0, next_flush = 0;
      while (!load_done || !nemesis.done()) {
        std::int64_t now = clock.now_ns();
        L.poll();
        nemesis.tick(now, engine.slow_in_flight(), load_done);
        if (Launcher::interrupted() || now > hard_end) break;
        if (now >= next_flush) {
          writer->flush();
          next_flush = now + ms_to_ns(50);
        }
        if (progress && now >= next_progress) {
          char buf[200];
          std::snprintf(buf, sizeof buf,
                        "\r[zerodrop] %5.1fs ok=%llu failed=%llu slow_in_flight=%d main_pid=%d   ",
                        static_cast<double>(now - start_ns) / 1e9,
                        static_cast<unsigned long long>(engine.completed()),
                        static_cast<unsigned long long>(engine.failed()), engine.slow_in_flight(),
                        static_cast<int>(L.main_pid()));
          err << buf << std::flush;
          next_progress = now + ms_to_ns(250);
        }
        sleep_ms(1);
      }
      if (progress) err << "\n";
      stop = true;
      loader.join();
      h.requests = engine.take_records();
      {
        const LoadSummary ls = engine.summary();
        L.record("load_summary", 0, static_cast<long>(ls.planned),
                 nlohmann::json{{"issued", ls.issued}, {"saturated", ls.saturated}}.dump());
        engine_events = engine.take_events();  // already in the history file
      }
      if (Launcher::interrupted()) {
        err << "zerodrop: interrupted; ending the server\n";
        code = 130;
      }

      // Settle: the faults are over; give old generations their drain time to go.
      const int settle_ms = sc.expect.drain_ms + sc.expect.slack_ms;
      const std::int64_t settle_deadline = clock.now_ns() + ms_to_ns(settle_ms);
      const std::size_t want_live = sc.expect.shutdown_ends_run ? 0 : 1;
      for (;;) {
        L.poll();
        if (live_generations(L).size() <= want_live || clock.now_ns() > settle_deadline ||
            Launcher::interrupted())
          break;
        sleep_ms(2);
      }
      auto live = live_generations(L);
      long probed = 0;
      if (!live.empty()) {
        probed = probe_pid(port);
        if (probed == -1 && live.size() == 1)
          probed = *live.begin();  // no X-Pid: a response from the only one alive
        // The load is over, but a server may still be closing the connections it served (a
        // thread-per-connection server notices the client's close late): a leak is what stays.
        // Sample for up to 500 ms and keep the lowest count.
        for (long p : live) {
          int fds = fd_count(static_cast<pid_t>(p));
          for (int i = 0; i < 10 && fds > first_fds + sc.expect.fd_slack; ++i) {
            sleep_ms(50);
            int again = fd_count(static_cast<pid_t>(p));
            if (again >= 0) fds = std::min(fds, again);
          }
          L.record("fd_count", p, fds, "at settle");
        }
      }
      for (long z : find_zombies(live))
        L.record("zombie", z, 0, "unreaped child of a generation");
      for (pid_t escaped : tagged_processes_outside(L.run_tag(), getpid()))
        L.record("orphan", escaped, 0, "outside the harness's tree");
      L.record("settle", static_cast<long>(L.main_pid()), static_cast<long>(live.size()),
               std::to_string(probed));
      if (probed > 0 && live.size() == 1) settle_restart(sc, L, port, probed, clock);

      // Teardown: a graceful stop of whatever serves, so its exit code can be checked too.
      L.record("teardown", L.main_pid(), 0, "SIGTERM to the main pid");
      for (long p : live_generations(L))
        L.signal_pid(static_cast<pid_t>(p), SIGTERM);  // after settles' restart
      const std::int64_t td = clock.now_ns() + ms_to_ns(settle_ms);
      while (!live_generations(L).empty() && clock.now_ns() < td && !Launcher::interrupted()) {
        L.poll();
        sleep_ms(2);
      }
    } catch (const std::exception& e) {
      err << "zerodrop: " << e.what() << "\n";
      code = 2;
    }
    L.end_all(1000);
    L.poll();
    h.events = L.events();
    h.events.insert(h.events.end(), engine_events.begin(), engine_events.end());
    std::stable_sort(h.events.begin(), h.events.end(),
                     [](const LifecycleEvent& a, const LifecycleEvent& b) { return a.t_ns < b.t_ns; });
  }
  writer.reset();  // closes the history file: complete
  if (!started) return code ? code : 1;
  auto results = run_checks(h, sc.expect);
  const Validity validity = check_validity(h, build_timeline(h));
  render_text(out, sc.name, h, results, validity);
  const bool written = write_reports({o.report_path, o.html_path, o.junit_path, o.summary_md_path},
                                     sc.name, h, results, validity, err);
  int rc = code ? code : !written ? kExitUsage : exit_code(results, validity, o.allow_inconclusive);
  if (rc == 0 && !o.keep_workdir)
    std::filesystem::remove_all(workdir);
  else
    out << "  server log, history and workdir: " << workdir << "\n";
  return rc;
}

int report_history(const std::string& path, const std::string& report_path,
                   bool allow_inconclusive, std::ostream& out, std::ostream& err) {
  return report_history(path, ReportFiles{report_path, "", "", ""}, allow_inconclusive, out, err);
}

int report_history(const std::string& path, const ReportFiles& files, bool allow_inconclusive,
                   std::ostream& out, std::ostream& err) {
  History h;
  Scenario sc;
  try {
    h = read_history(path);
    if (h.cut_line > 0)
      err << "zerodrop: " << path << ":" << h.cut_line
          << ": cut short (the run was killed while writing it); read up to the line before\n";
    sc = parse_scenario_text(h.scenario_yaml, h.scenario_file);
  } catch (const std::exception& e) {
    err << e.what() << "\n";
    return 2;
  }
  auto results = run_checks(h, sc.expect);
  const Validity validity = check_validity(h, build_timeline(h));
  render_text(out, sc.name, h, results, validity);
  if (!write_reports(files, sc.name, h, results, validity, err)) return kExitUsage;
  return exit_code(results, validity, allow_inconclusive);
}

}  // namespace zerodrop

// A deliberately tiny client toolkit for checking the mutant FIXTURES themselves (not a
// harness): spawn a server in its own process group (we are a child subreaper, so every
// generation stays our child), read its "listening on" lines, make plain HTTP/1.1 requests on
// fresh or kept-alive connections and classify their outcomes, drive a bounded paced load.
// Everything a FixtureServer started is SIGKILLed and reaped by its destructor, and by a
// guardian process if the test itself is killed.
// Independent of the harness on purpose, its own fork/exec included (it does not use the
// harness's process layer, harness/src/proc/): it checks that each mutant fixture misbehaves as
// designed, so it must not share code with the harness whose verdicts those fixtures test.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace zerodrop::mutant::probe {

enum class Outcome { kOk, kRefused, kReset, kEof, kTruncated, kBadStatus, kTimeout, kOther };
const char* outcome_name(Outcome o);

struct Reply {
  Outcome outcome = Outcome::kOther;
  int status = 0;
  int pid = 0;
  bool connection_close = false;
  double latency_ms = 0;  // from the scheduled start for load(), else from the call
};

struct Listening {
  int port = 0;
  int pid = 0;
  int generation = 0;
};

class FixtureServer {
 public:
  explicit FixtureServer(const std::vector<std::string>& argv);
  ~FixtureServer();
  FixtureServer(const FixtureServer&) = delete;
  FixtureServer& operator=(const FixtureServer&) = delete;

  // The next "listening on" line, or nullopt after `timeout_ms`.
  std::optional<Listening> next_listening(int timeout_ms);
  // Waits up to `timeout_ms` for `pid` (any generation) to exit; its exit code, or nullopt.
  std::optional<int> wait_exit(pid_t pid, int timeout_ms);

 private:
  pid_t leader_ = -1;
  pid_t guardian_ = -1;
  int guard_fd_ = -1;
  int out_fd_ = -1;
  std::string buffered_;
};

// One request on a fresh connection with `Connection: close`.
Reply fetch(int port, const std::string& path, int timeout_ms = 5000);
// A kept-alive connection: connect once, then request() any number of times.
int connect_to(int port);
Reply request(int fd, const std::string& path, int timeout_ms = 5000);

// `rate` fresh-connection GETs per second for `duration_ms`, on `threads` threads.
std::vector<Reply> load(int port, const std::string& path, int rate, int duration_ms,
                        int threads = 8);

int fd_count(pid_t pid);
void sleep_ms(int ms);

}  // namespace zerodrop::mutant::probe

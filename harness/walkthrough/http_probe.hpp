// Plain HTTP clients the walkthrough uses besides the browser (cpp-httplib).
//
// Contract: get() makes one GET to 127.0.0.1:port on a fresh connection and returns what came
// back — status, body, X-Pid and X-Generation — or the transport error; it never throws.
// connect_errno() makes a bare TCP connect and returns 0 on success or the errno (ECONNREFUSED
// is what a closed listener gives). BackgroundLoad runs on its own thread a light, bounded load
// (one GET / on a fresh connection every `interval`, at most `max_requests`) until stopped, and
// counts every answer that is not 200 with one of the expected bodies as a failure.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace zerodrop::walkthrough {

struct HttpResult {
  bool transport_ok = false;
  std::string error;  // transport error when !transport_ok
  int status = 0;
  std::string body;
  pid_t pid = 0;  // X-Pid, 0 when absent
  int generation = 0;
  std::string describe() const;  // "200 \"hello gin!\" X-Pid 42 gen 1" or "error: Connection"
};

HttpResult http_get(int port, const std::string& path, std::chrono::milliseconds timeout);
int connect_errno(int port);

class BackgroundLoad {
 public:
  BackgroundLoad(int port, std::set<std::string> expected_bodies,
                 std::chrono::milliseconds interval, int max_requests);
  ~BackgroundLoad();
  void stop();

  struct Summary {
    int sent = 0;
    int ok = 0;
    std::vector<std::string> failures;  // one description per failed request (first few)
    std::map<pid_t, int> by_pid;
  };
  Summary summary();  // after stop()

 private:
  void run();
  int port_;
  std::set<std::string> expected_;
  std::chrono::milliseconds interval_;
  int max_requests_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  Summary summary_;
  std::thread thread_;
};

}  // namespace zerodrop::walkthrough

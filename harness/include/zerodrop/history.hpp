// history — what happened in a run: one record per request, one per lifecycle event.
//
// Contract: a History is complete data; checks and reports need nothing else. It is written once
// as JSON lines (a header line carrying the scenario text, then `request` and `event` lines) and
// read back by read_history(), which throws std::runtime_error naming the line on bad input.
// Times are nanoseconds on the monotonic clock relative to the run's start.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace zerodrop {

enum class Outcome {
  ok,
  refused,
  reset,
  eof_without_response,
  eof_on_reused_keepalive,
  timeout,
  truncated,
  bad_status,
  indeterminate
};
const char* to_string(Outcome o);
Outcome outcome_from_string(const std::string& s);

struct RequestRecord {
  std::uint64_t id = 0;
  std::string kind;  // fast slow upload download stream
  std::string method = "GET";
  bool keepalive = false;  // connection mode
  bool reused = false;     // sent on a connection that had already carried a response
  std::int64_t scheduled_ns = 0, start_ns = 0, first_byte_ns = -1, end_ns = -1;
  Outcome outcome = Outcome::indeterminate;
  int status = 0;
  long pid = 0;        // X-Pid
  int generation = 0;  // X-Generation
  std::uint64_t bytes = 0;
  std::string body;    // first 64 bytes
  std::string digest;  // fnv1a-64 of the body, hex
  std::string error;   // syscall error text, if any
};

struct LifecycleEvent {
  std::int64_t t_ns = 0;
  std::string event;  // spawned ready mainpid reloading stopping status exited signal
                      // replace_binary command fd_count probe teardown
  long pid = 0;
  long other = 0;  // mainpid: previous pid; exited: code (or -signal); fd_count: count
  std::string detail;
};

struct History {
  std::string scenario_file;
  std::string scenario_yaml;
  std::vector<RequestRecord> requests;
  std::vector<LifecycleEvent> events;
};

nlohmann::json to_json(const RequestRecord& r);
nlohmann::json to_json(const LifecycleEvent& e);
void write_history(const History& h, const std::string& path);
History read_history(const std::string& path);

}  // namespace zerodrop

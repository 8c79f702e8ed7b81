// history — what happened in a run: one record per request, one per lifecycle event.
//
// Contract: a History is complete data; checks and reports need nothing else. On disk it is JSON
// lines: a header line (format, harness version, the scenario's file and text), then `event` and
// `request` lines in the order they happened. A HistoryWriter streams those lines as the run
// goes (thread-safe; flush() pushes them to the file), so a run killed midway, or a server that
// never became ready, still leaves everything recorded up to then. read_history() reads any such
// file back (events sorted by time, stably; a last line cut short by a kill is skipped and
// noted in cut_line) and throws std::runtime_error naming the line on other bad input. Times are
// nanoseconds on the monotonic clock relative to the run's start. Outcome classes and their
// names are vocabulary.hpp's.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "zerodrop/vocabulary.hpp"

namespace zerodrop {

// Outcome (how one request ended) and its names: vocabulary.hpp.

struct RequestRecord {
  std::uint64_t id = 0;
  std::string kind;  // fast slow upload download stream
  std::string method = "GET";
  bool keepalive = false;   // connection mode
  bool reused = false;      // sent on a connection that had already carried a response
  std::uint64_t conn = 0;   // the client connection it went out on (ids shared by reuses)
  std::int64_t scheduled_ns = 0, start_ns = 0, first_byte_ns = -1, end_ns = -1;
  Outcome outcome = Outcome::kIndeterminate;
  int status = 0;
  long pid = 0;             // X-Pid
  int generation = 0;       // X-Generation
  bool server_close = false;  // the response said `Connection: close`
  std::string framing;        // length | chunked | close (close-delimited) | none
  std::uint64_t bytes = 0;    // decoded body bytes
  std::string body;           // the body (fast/slow in full; others: the first 64 bytes)
  std::string digest;         // fnv1a-64 of the whole body, hex
  std::string body_error;     // why a body was judged wrong (bad_body)
  std::string error;          // syscall error text, if any
};

struct LifecycleEvent {
  std::int64_t t_ns = 0;
  std::string event;  // spawned ready mainpid reloading stopping status exited signal
                      // replace_binary command fd_count probe teardown idle_close fault ...
  long pid = 0;
  long other = 0;  // mainpid: previous pid; exited: code (or -signal); fd_count: count
  std::string detail;
};

struct History {
  std::string scenario_file;
  std::string scenario_yaml;
  std::vector<RequestRecord> requests;
  std::vector<LifecycleEvent> events;
  std::string harness_version;
  int cut_line = 0;  // read_history(): a last line cut short (a run killed midway), skipped
};

nlohmann::json to_json(const RequestRecord& r);
nlohmann::json to_json(const LifecycleEvent& e);
void write_history(const History& h, const std::string& path);
History read_history(const std::string& path);

// The harness's version, written into every history header.
const char* harness_version();

class HistoryWriter {
 public:
  HistoryWriter() = default;  // writes nothing
  // Opens `path` and writes the header; throws std::runtime_error naming the syscall.
  HistoryWriter(const std::string& path, const std::string& scenario_file,
                const std::string& scenario_yaml);
  ~HistoryWriter();
  HistoryWriter(const HistoryWriter&) = delete;
  HistoryWriter& operator=(const HistoryWriter&) = delete;

  void write(const RequestRecord& r);
  void write(const LifecycleEvent& e);
  void flush();
  bool active() const { return f_ != nullptr; }

 private:
  void line(const nlohmann::json& j);
  std::mutex mu_;
  std::FILE* f_ = nullptr;
};

}  // namespace zerodrop

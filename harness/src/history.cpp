// The history on disk: JSON lines written as the run goes (HistoryWriter) and read back
// (read_history, sorting events by time and tolerating a last line cut by a kill). Outcome
// names come from vocabulary.hpp. See history.hpp.
#include "zerodrop/history.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "zerodrop/version.hpp"

namespace zerodrop {

const char* harness_version() {
  return ZERODROP_VERSION;
}

nlohmann::json to_json(const RequestRecord& r) {
  return {{"type", "request"},
          {"id", r.id},
          {"kind", r.kind},
          {"method", r.method},
          {"conn", r.keepalive ? "keepalive" : "fresh"},
          {"reused", r.reused},
          {"conn_id", r.conn},
          {"scheduled_ns", r.scheduled_ns},
          {"start_ns", r.start_ns},
          {"first_byte_ns", r.first_byte_ns},
          {"end_ns", r.end_ns},
          {"outcome", to_string(r.outcome)},
          {"status", r.status},
          {"pid", r.pid},
          {"generation", r.generation},
          {"server_close", r.server_close},
          {"framing", r.framing},
          {"bytes", r.bytes},
          {"body", r.body},
          {"digest", r.digest},
          {"body_error", r.body_error},
          {"error", r.error}};
}

nlohmann::json to_json(const LifecycleEvent& e) {
  return {{"type", "event"}, {"t_ns", e.t_ns},   {"event", e.event},
          {"pid", e.pid},    {"other", e.other}, {"detail", e.detail}};
}

namespace {
nlohmann::json header(const std::string& file, const std::string& yaml) {
  return {{"type", "header"},
          {"format", "zerodrop-history/2"},
          {"harness_version", harness_version()},
          {"scenario_file", file},
          {"scenario_yaml", yaml}};
}
}  // namespace

void write_history(const History& h, const std::string& path) {
  HistoryWriter w(path, h.scenario_file, h.scenario_yaml);
  for (auto& e : h.events)
    w.write(e);
  for (auto& r : h.requests)
    w.write(r);
}

History read_history(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read history " + path);
  History h;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    // The last line of a run killed midway may be cut; what is whole is still the history.
    const bool cut_last = in.eof();
    try {
      auto j = nlohmann::json::parse(line);
      auto type = j.at("type").get<std::string>();
      if (type == "header") {
        h.scenario_file = j.at("scenario_file");
        h.scenario_yaml = j.at("scenario_yaml");
        h.harness_version = j.value("harness_version", "");
      } else if (type == "event") {
        h.events.push_back(
            {j.at("t_ns"), j.at("event"), j.at("pid"), j.at("other"), j.at("detail")});
      } else if (type == "request") {
        RequestRecord r;
        r.id = j.at("id");
        r.kind = j.at("kind");
        r.method = j.at("method");
        r.keepalive = j.at("conn") == "keepalive";
        r.reused = j.at("reused");
        r.conn = j.value("conn_id", std::uint64_t{0});
        r.scheduled_ns = j.at("scheduled_ns");
        r.start_ns = j.at("start_ns");
        r.first_byte_ns = j.at("first_byte_ns");
        r.end_ns = j.at("end_ns");
        r.outcome = outcome_from_string(j.at("outcome"));
        r.status = j.at("status");
        r.pid = j.at("pid");
        r.generation = j.at("generation");
        r.server_close = j.value("server_close", false);
        r.framing = j.value("framing", "");
        r.bytes = j.at("bytes");
        r.body = j.at("body");
        r.digest = j.at("digest");
        r.body_error = j.value("body_error", "");
        r.error = j.value("error", "");
        h.requests.push_back(std::move(r));
      } else {
        throw std::runtime_error("unknown type \"" + type + "\"");
      }
    } catch (const std::exception& e) {
      if (cut_last) {
        h.cut_line = n;
        break;
      }
      throw std::runtime_error(path + ":" + std::to_string(n) + ": " + e.what());
    }
  }
  // Lines are written as things happen; an event stamped by the kernel on arrival (a notify
  // datagram) can be older than a line written just before it.
  std::stable_sort(h.events.begin(), h.events.end(),
                   [](const LifecycleEvent& a, const LifecycleEvent& b) { return a.t_ns < b.t_ns; });
  std::sort(h.requests.begin(), h.requests.end(),
            [](const RequestRecord& a, const RequestRecord& b) { return a.id < b.id; });
  return h;
}

HistoryWriter::HistoryWriter(const std::string& path, const std::string& scenario_file,
                             const std::string& scenario_yaml) {
  f_ = std::fopen(path.c_str(), "we");
  if (f_ == nullptr)
    throw std::runtime_error("fopen(" + path + "): " + std::strerror(errno));
  line(header(scenario_file, scenario_yaml));
  flush();
}

HistoryWriter::~HistoryWriter() {
  if (f_ != nullptr && std::fclose(f_) != 0)
    std::fprintf(stderr, "zerodrop: fclose(history): %s\n", std::strerror(errno));
}

void HistoryWriter::line(const nlohmann::json& j) {
  std::string s = j.dump();
  s += '\n';
  std::lock_guard lock(mu_);
  if (f_ != nullptr && std::fwrite(s.data(), 1, s.size(), f_) != s.size())
    std::fprintf(stderr, "zerodrop: fwrite(history): %s\n", std::strerror(errno));
}

void HistoryWriter::write(const RequestRecord& r) {
  if (f_ != nullptr) line(to_json(r));
}

void HistoryWriter::write(const LifecycleEvent& e) {
  if (f_ != nullptr) line(to_json(e));
}

void HistoryWriter::flush() {
  std::lock_guard lock(mu_);
  if (f_ != nullptr && std::fflush(f_) != 0)
    std::fprintf(stderr, "zerodrop: fflush(history): %s\n", std::strerror(errno));
}

}  // namespace zerodrop

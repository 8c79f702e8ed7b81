#include "zerodrop/history.hpp"

#include <fstream>
#include <stdexcept>

namespace zerodrop {

namespace {
const char* kOutcomeNames[] = {
    "ok",      "refused",   "reset",      "eof_without_response", "eof_on_reused_keepalive",
    "timeout", "truncated", "bad_status", "indeterminate"};
}

const char* to_string(Outcome o) {
  return kOutcomeNames[static_cast<int>(o)];
}

Outcome outcome_from_string(const std::string& s) {
  for (int i = 0; i < 9; ++i)
    if (s == kOutcomeNames[i]) return static_cast<Outcome>(i);
  throw std::runtime_error("unknown outcome \"" + s + "\"");
}

nlohmann::json to_json(const RequestRecord& r) {
  return {{"type", "request"},
          {"id", r.id},
          {"kind", r.kind},
          {"method", r.method},
          {"conn", r.keepalive ? "keepalive" : "fresh"},
          {"reused", r.reused},
          {"scheduled_ns", r.scheduled_ns},
          {"start_ns", r.start_ns},
          {"first_byte_ns", r.first_byte_ns},
          {"end_ns", r.end_ns},
          {"outcome", to_string(r.outcome)},
          {"status", r.status},
          {"pid", r.pid},
          {"generation", r.generation},
          {"bytes", r.bytes},
          {"body", r.body},
          {"digest", r.digest},
          {"error", r.error}};
}

nlohmann::json to_json(const LifecycleEvent& e) {
  return {{"type", "event"}, {"t_ns", e.t_ns},   {"event", e.event},
          {"pid", e.pid},    {"other", e.other}, {"detail", e.detail}};
}

void write_history(const History& h, const std::string& path) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write history " + path);
  out << nlohmann::json{{"type", "header"},
                        {"format", "zerodrop-history/1"},
                        {"scenario_file", h.scenario_file},
                        {"scenario_yaml", h.scenario_yaml}}
             .dump()
      << '\n';
  for (auto& e : h.events)
    out << to_json(e).dump() << '\n';
  for (auto& r : h.requests)
    out << to_json(r).dump() << '\n';
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
    try {
      auto j = nlohmann::json::parse(line);
      auto type = j.at("type").get<std::string>();
      if (type == "header") {
        h.scenario_file = j.at("scenario_file");
        h.scenario_yaml = j.at("scenario_yaml");
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
        r.scheduled_ns = j.at("scheduled_ns");
        r.start_ns = j.at("start_ns");
        r.first_byte_ns = j.at("first_byte_ns");
        r.end_ns = j.at("end_ns");
        r.outcome = outcome_from_string(j.at("outcome"));
        r.status = j.at("status");
        r.pid = j.at("pid");
        r.generation = j.at("generation");
        r.bytes = j.at("bytes");
        r.body = j.at("body");
        r.digest = j.at("digest");
        r.error = j.value("error", "");
        h.requests.push_back(std::move(r));
      } else {
        throw std::runtime_error("unknown type \"" + type + "\"");
      }
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ":" + std::to_string(n) + ": " + e.what());
    }
  }
  return h;
}

}  // namespace zerodrop

// See markup.hpp.
#include "markup.hpp"

#include <algorithm>

namespace zerodrop::reports {

std::string markup_escape(std::string_view s, bool quotes) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += quotes ? "&quot;" : "\"";
        break;
      case '\'':
        out += quotes ? "&#39;" : "'";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
          out += "\xEF\xBF\xBD";  // U+FFFD: XML 1.0 has no way to write these at all
        else
          out += c;
    }
  }
  return out;
}

std::vector<FaultMark> fault_marks(const History& h) {
  std::vector<const LifecycleEvent*> events;
  for (auto& e : h.events)
    events.push_back(&e);
  std::stable_sort(events.begin(), events.end(),
                   [](auto* a, auto* b) { return a->t_ns < b->t_ns; });
  std::vector<FaultMark> marks;
  // A signal fault records `fault`, then `signal` once kill() succeeded (possibly retargeted to
  // the next main pid a little later): the signal belongs to the fault before it.
  std::ptrdiff_t pending = -1;
  for (auto* e : events) {
    if (e->event == "fault") {
      marks.push_back({e->t_ns, "fault " + std::to_string(e->other), e->detail});
      pending = static_cast<std::ptrdiff_t>(marks.size()) - 1;
      continue;
    }
    std::string what;
    if (e->event == "signal")
      what = "SIG" + e->detail;
    else if (e->event == "replace_binary" || e->event == "command" ||
             e->event == "replace_binary_failed" || e->event == "command_failed" ||
             e->event == "signal_failed")
      what = e->event;
    else
      continue;
    if (pending >= 0) {
      auto& m = marks[static_cast<std::size_t>(pending)];
      m.label += ": " + what;
      m.detail += "; " + what + (e->event == "signal" ? "" : " " + e->detail);
      pending = -1;
    } else if (e->event == "signal") {
      marks.push_back({e->t_ns, what, "pid " + std::to_string(e->pid)});
    }
  }
  return marks;
}

std::int64_t run_end_ns(const History& h) {
  std::int64_t end = 0;
  for (auto& e : h.events)
    end = std::max(end, e.t_ns);
  for (auto& r : h.requests)
    end = std::max({end, r.end_ns, r.scheduled_ns, r.start_ns});
  return end;
}

}  // namespace zerodrop::reports

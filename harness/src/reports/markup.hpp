// markup — what the report renderers share: escaping for HTML/XML text and attributes, and the
// faults a run fired, as markers for a timeline.
//
// Contract: markup_escape() makes any string safe as XML 1.0 / HTML text or attribute value:
// & < > and (unless quotes is false: text outside attributes) " ' become entities, and control
// characters XML 1.0 forbids (all below 0x20 except tab, newline, carriage return) become U+FFFD,
// so a syscall message or a server's garbage body can never break the document. fault_marks() lists
// one mark per fault firing (a `fault` event, labelled with what it did: the signal sent,
// replace_binary, command, or the failure), and one per `signal` event that no fault event explains
// (hand-written histories), in time order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zerodrop/history.hpp"

namespace zerodrop::reports {

std::string markup_escape(std::string_view s, bool quotes = true);

struct FaultMark {
  std::int64_t t_ns = 0;
  std::string label;   // "fault 0: SIGHUP"
  std::string detail;  // the fault's scenario line and what happened, for a tooltip
};
std::vector<FaultMark> fault_marks(const History& h);

// The last time anything happened in the run (event or request end), in ns.
std::int64_t run_end_ns(const History& h);

}  // namespace zerodrop::reports

// The one defect a zerodrop-mutant process carries, chosen by --bug NAME.
//
// zerodrop-mutant is a TEST FIXTURE: a small thread-per-connection HTTP server that speaks the
// zerodrop server contract (README "The server <-> harness contract") correctly in every respect
// except the single bug named here. scenarios/mutants/*.mutant.yaml show that `zerodrop run`
// names the invariant each bug breaks. It is built with the tests and never installed.
#pragma once

#include <optional>
#include <string_view>

namespace zerodrop::mutant {

enum class Bug {
  kNone,              // behaves like the reference server (sanity baseline)
  kExitAtOnce,        // SIGTERM/SIGHUP: _exit(0) at once, in-flight requests dropped
  kReuseportRestart,  // new SO_REUSEPORT socket per generation; old closes with a full queue
  kEarlyClose,        // closes its listener before the new generation is ready
  kSlowStart,         // new generation says ready, then does not accept for a while
  kExecInPlace,       // restarts by exec in place: the PID never changes
  kFdLeak,            // every generation leaks one more fd into the next
  kNeverExits,        // the old generation drains, then never exits
  kIgnoreDeadline,    // --shutdown-timeout ignored: drain waits for the slowest request
  kServe503,          // a new generation answers 503 for its first moments
  kTruncate,          // in-flight responses cut short when the drain starts
  kKeepaliveReset,    // idle keep-alive connections reset at drain, no Connection: close
  kStallInFlight,     // draining: in-flight slow requests never answered; exit 0 at the deadline
  kResetIdleAtDrain,  // drain start: every idle keep-alive connection reset at once (RST)
  kNoCloseWhileDraining,  // draining: responses keep promising keep-alive (no Connection: close)
  kWrongUploadCount,      // POST /upload echoes one byte fewer than it received
  kStoppingDuringRestart,  // SIGHUP: STOPPING=1, listener closed before the child binds again
};

std::optional<Bug> parse_bug(std::string_view name);
std::string_view bug_name(Bug bug);
// Every name, for --help.
std::string_view bug_names();

}  // namespace zerodrop::mutant

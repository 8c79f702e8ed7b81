// Bug names, in one table so the whole set is readable at once. See bug.hpp.
#include "bug.hpp"

#include <array>
#include <utility>

namespace zerodrop::mutant {
namespace {

constexpr std::array<std::pair<Bug, std::string_view>, 17> kBugs{{
    {Bug::kNone, "none"},
    {Bug::kExitAtOnce, "exit-at-once"},
    {Bug::kReuseportRestart, "reuseport-restart"},
    {Bug::kEarlyClose, "early-close"},
    {Bug::kSlowStart, "slow-start"},
    {Bug::kExecInPlace, "exec-in-place"},
    {Bug::kFdLeak, "fd-leak"},
    {Bug::kNeverExits, "never-exits"},
    {Bug::kIgnoreDeadline, "ignore-deadline"},
    {Bug::kServe503, "serve-503"},
    {Bug::kTruncate, "truncate"},
    {Bug::kKeepaliveReset, "keepalive-reset"},
    {Bug::kStallInFlight, "stall-in-flight"},
    {Bug::kResetIdleAtDrain, "reset-idle-at-drain"},
    {Bug::kNoCloseWhileDraining, "no-close-while-draining"},
    {Bug::kWrongUploadCount, "wrong-upload-count"},
    {Bug::kStoppingDuringRestart, "stopping-during-restart"},
}};

}  // namespace

std::optional<Bug> parse_bug(std::string_view name) {
  for (const auto& [bug, n] : kBugs)
    if (n == name) return bug;
  return std::nullopt;
}

std::string_view bug_name(Bug bug) {
  for (const auto& [b, n] : kBugs)
    if (b == bug) return n;
  return "?";
}

std::string_view bug_names() {
  return "none exit-at-once reuseport-restart early-close slow-start exec-in-place fd-leak "
         "never-exits ignore-deadline serve-503 truncate keepalive-reset stall-in-flight "
         "reset-idle-at-drain no-close-while-draining wrong-upload-count stopping-during-restart";
}

}  // namespace zerodrop::mutant

// See zerodrop/event_kind.hpp: the one table of event names.
#include "zerodrop/event_kind.hpp"

#include <array>
#include <utility>

namespace zerodrop {
namespace {

constexpr std::array<std::pair<EventKind, const char*>, 36> kNames{{
    {EventKind::kSpawned, "spawned"},
    {EventKind::kCommand, "command"},
    {EventKind::kSidecar, "sidecar"},
    {EventKind::kExecFailed, "exec_failed"},
    {EventKind::kReady, "ready"},
    {EventKind::kMainpid, "mainpid"},
    {EventKind::kReloading, "reloading"},
    {EventKind::kStopping, "stopping"},
    {EventKind::kStatus, "status"},
    {EventKind::kListening, "listening"},
    {EventKind::kExited, "exited"},
    {EventKind::kVanished, "vanished"},
    {EventKind::kOrphanKilled, "orphan_killed"},
    {EventKind::kTeardownKill, "teardown_kill"},
    {EventKind::kFdLimit, "fd_limit"},
    {EventKind::kNotReady, "not_ready"},
    {EventKind::kLoadSummary, "load_summary"},
    {EventKind::kTeardown, "teardown"},
    {EventKind::kFdCount, "fd_count"},
    {EventKind::kSettle, "settle"},
    {EventKind::kSettleRestart, "settle_restart"},
    {EventKind::kSettleRestartResult, "settle_restart_result"},
    {EventKind::kZombie, "zombie"},
    {EventKind::kOrphan, "orphan"},
    {EventKind::kCpuWait, "cpu_wait"},
    {EventKind::kSignal, "signal"},
    {EventKind::kSignalFailed, "signal_failed"},
    {EventKind::kFault, "fault"},
    {EventKind::kFaultConditionUnmet, "fault_condition_unmet"},
    {EventKind::kReplaceBinary, "replace_binary"},
    {EventKind::kReplaceBinaryFailed, "replace_binary_failed"},
    {EventKind::kCommandFailed, "command_failed"},
    {EventKind::kIdleClose, "idle_close"},
    {EventKind::kProcess, "process"},
    {EventKind::kSettleProbe, "settle_probe"},
    {EventKind::kDaemonized, "daemonized"},
}};

// The table is in enum order: to_string() indexes it.
constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (static_cast<std::size_t>(kNames[i].first) != i) return false;
  return true;
}
static_assert(in_enum_order(), "kNames must list every EventKind in declaration order");
static_assert(static_cast<std::size_t>(EventKind::kDaemonized) + 1 == kNames.size(),
              "every EventKind has a name");

}  // namespace

const char* to_string(EventKind k) {
  return kNames[static_cast<std::size_t>(k)].second;
}

std::optional<EventKind> event_kind_from_string(std::string_view name) {
  for (const auto& [k, n] : kNames)
    if (name == n) return k;
  return std::nullopt;
}

}  // namespace zerodrop

// See zerodrop/event_kind.hpp: the one table of event names.
#include "zerodrop/event_kind.hpp"

#include <array>
#include <utility>

namespace zerodrop {
namespace {

constexpr std::array<std::pair<EventKind, const char*>, 34> kNames{{
    {EventKind::spawned, "spawned"},
    {EventKind::command, "command"},
    {EventKind::sidecar, "sidecar"},
    {EventKind::exec_failed, "exec_failed"},
    {EventKind::ready, "ready"},
    {EventKind::mainpid, "mainpid"},
    {EventKind::reloading, "reloading"},
    {EventKind::stopping, "stopping"},
    {EventKind::status, "status"},
    {EventKind::listening, "listening"},
    {EventKind::exited, "exited"},
    {EventKind::vanished, "vanished"},
    {EventKind::orphan_killed, "orphan_killed"},
    {EventKind::teardown_kill, "teardown_kill"},
    {EventKind::fd_limit, "fd_limit"},
    {EventKind::not_ready, "not_ready"},
    {EventKind::load_summary, "load_summary"},
    {EventKind::teardown, "teardown"},
    {EventKind::fd_count, "fd_count"},
    {EventKind::settle, "settle"},
    {EventKind::settle_restart, "settle_restart"},
    {EventKind::settle_restart_result, "settle_restart_result"},
    {EventKind::zombie, "zombie"},
    {EventKind::orphan, "orphan"},
    {EventKind::cpu_wait, "cpu_wait"},
    {EventKind::signal, "signal"},
    {EventKind::signal_failed, "signal_failed"},
    {EventKind::fault, "fault"},
    {EventKind::fault_condition_unmet, "fault_condition_unmet"},
    {EventKind::replace_binary, "replace_binary"},
    {EventKind::replace_binary_failed, "replace_binary_failed"},
    {EventKind::command_failed, "command_failed"},
    {EventKind::idle_close, "idle_close"},
    {EventKind::process, "process"},
}};

// The table is in enum order: to_string() indexes it.
constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (static_cast<std::size_t>(kNames[i].first) != i) return false;
  return true;
}
static_assert(in_enum_order(), "kNames must list every EventKind in declaration order");
static_assert(static_cast<std::size_t>(EventKind::process) + 1 == kNames.size(),
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

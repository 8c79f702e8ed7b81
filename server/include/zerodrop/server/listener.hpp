// listener: the listening socket — bound here or adopted from LISTEN_FDS (fd 3).
//
// Contract: adopt_or_bind() returns a listening, non-blocking, close-on-exec socket and its
// printable address. A socket passed by a launcher or the previous generation
// (LISTEN_PID == getpid(), LISTEN_FDS ≥ 1) is fd 3 and --host/--port are ignored; the
// LISTEN_* variables are then removed from the environment (sd_listen_fds semantics) so they
// do not leak into anything we start. The listener's open file description is shared with
// other generations, so O_NONBLOCK is only ever *set* here, never cleared (clearing it would
// leave the other generation blocked in accept() after it was told to stop).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "zerodrop/server/config.hpp"

namespace zerodrop::server {

struct Listener {
  int fd = -1;
  bool inherited = false;
  std::string address;  // "127.0.0.1:8080" / "[::1]:8080"
  std::uint16_t port = 0;
};

// Logs the failing syscall and returns nullopt on failure.
std::optional<Listener> adopt_or_bind(const Config& config);

// The bound address of a socket as "host:port", or "" (logged) on failure.
std::string socket_address(int fd, std::uint16_t* port = nullptr);

}  // namespace zerodrop::server

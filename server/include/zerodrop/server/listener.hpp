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

// For a shutdown, before our descriptor of the listener closes: closing the socket's last
// descriptor resets every connection still in its accept queue, and the kernel keeps completing
// handshakes until that instant, so a client connecting then has its request reset — however
// promptly the queue was drained before. This attaches a classic BPF filter that drops each
// new connection's SYN: no new handshake starts, while those already under way (their final ACK
// passes the filter) still complete and can be accepted; a client whose SYN was dropped retries
// and meets the closed port (refused: nothing was lost). Never on a restart: the socket goes on
// serving the next generation. False (logged with the syscall) when it could not be attached.
bool stop_new_handshakes(int fd);

// Removes such a filter from an inherited listener: when another process (a supervisor) held
// the socket while a generation shut down, the filter stayed on it. No-op without one.
void clear_handshake_filter(int fd);

// The bound address of a socket as "host:port", or "" (logged) on failure.
std::string socket_address(int fd, std::uint16_t* port = nullptr);

}  // namespace zerodrop::server

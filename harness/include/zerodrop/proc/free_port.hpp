// proc/free_port — a loopback port for a server that binds its own listener (`listener: port`).
//
// Contract: free_loopback_port() returns a TCP port on 127.0.0.1 that nothing was bound to a
// moment ago, chosen outside the kernel's ephemeral range (net.ipv4.ip_local_port_range): it
// tries random ports below that range (from 10000 up) and keeps the first it can bind
// (bind, then close at once: the server must find it free). Only when the range leaves no room
// below it does it fall back to bind(127.0.0.1:0) + getsockname. Throws std::runtime_error
// naming the syscall when no port can be had.
//
// Why outside the ephemeral range: between our close and the server's bind, the port is free
// for anyone. Inside the range, every connect() on the machine (a busy one: other test suites)
// and every bind(:0) may take it as its own local port, and our own readiness probe, connecting
// to it before the server listens, could even connect to itself. Below the range, only a process
// that binds that very number on purpose can race us — the same tiny chance any fixed port
// has, over a window of a few milliseconds; a run that loses it fails loudly (the server cannot
// bind), never silently.
#pragma once

#include <cstdint>

namespace zerodrop::proc {

std::uint16_t free_loopback_port();

}  // namespace zerodrop::proc

// libFuzzer entry point: a whole Connection (parser, bodies, pipelining, limits, error paths,
// lingering close) driven through a socketpair by a real EventLoop. The input is split into
// writes (first byte: write size) and ends with the peer's EOF; responses are read and
// dropped. Sanitizer reports and crashes are findings.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "zerodrop/server/connection.hpp"

using namespace zerodrop::server;

namespace {

struct Host final : ConnectionHost {
  int closed = 0;
  void connection_closed(Connection&) override { ++closed; }
};

void drain_peer(int fd) {
  char buf[65536];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static Config config = [] {
    Config c;
    c.max_header_bytes = 512;
    c.max_body_bytes = 4096;
    c.header_timeout_ms = 50;
    c.keepalive_timeout_ms = 50;
    c.drain_idle_grace_ms = 10;
    return c;
  }();
  const std::size_t step = 1 + data[0] % 64;
  const bool drain = data[1] & 1;
  data += 2;
  size -= 2;

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) return 0;
  EventLoop loop;
  ResponseWriter writer(1, 1);
  ServerShared shared{config, loop, writer};
  Host host;
  auto conn = std::make_unique<Connection>(shared, host);
  conn->open(sv[0]);
  loop.add(sv[0], EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, conn.get());
  for (std::size_t off = 0; off < size && conn->is_open(); off += step) {
    std::size_t n = size - off < step ? size - off : step;
    if (::write(sv[1], data + off, n) < 0) break;
    loop.run_once(0);
    drain_peer(sv[1]);
    if (drain && off == 0) {
      shared.draining = true;
      conn->begin_drain();
    }
  }
  ::shutdown(sv[1], SHUT_WR);
  for (int i = 0; i < 4 && conn->is_open(); ++i) {
    loop.run_once(0);
    drain_peer(sv[1]);
  }
  conn->close_now();
  ::close(sv[1]);
  if (shared.inflight != 0) __builtin_trap();  // accounting must balance once closed
  return 0;
}

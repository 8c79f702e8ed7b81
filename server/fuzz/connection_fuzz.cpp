// libFuzzer entry point: a whole Connection (parser, bodies, pipelining, limits, error paths,
// lingering close, and the write-blocked paths) driven through a socketpair by a real
// EventLoop. Sanitizer reports and crashes are findings.
//
// Input: one options byte (bit 0: start a drain after the first write; bit 1: the server's
// send buffer at its minimum, ~4.5 KiB, so a peer that stops reading blocks it after a few
// responses), then records: a control byte and up to 64 bytes written by the peer. The
// control byte's low 6 bits are the write size - 1; its top 2 bits say what the peer reads
// after the loop ran: 0 everything pending, 1 nothing, 2 at most 16 bytes per byte written,
// 3 nothing and the loop runs once more. So the input decides when, and how much, the peer
// reads: responses pile up in the socket, flush() meets EAGAIN, and reads, pipelining and
// timers run while the connection is write-blocked. The input ends with the peer's EOF, after
// which it reads everything.
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

void read_some(int fd, std::size_t limit) {
  char buf[1024];
  while (limit > 0) {
    ssize_t r = ::read(fd, buf, limit < sizeof buf ? limit : sizeof buf);
    if (r <= 0) return;
    limit -= static_cast<std::size_t>(r);
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
  const bool drain = (data[0] & 1) != 0;
  const bool small_buffer = (data[0] & 2) != 0;
  data += 1;
  size -= 1;

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) return 0;
  if (small_buffer) {
    int one = 1;  // the kernel raises it to its minimum
    ::setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof one);
  }
  EventLoop loop;
  ResponseWriter writer(1, 1);
  ServerShared shared{config, loop, writer};
  Host host;
  auto conn = std::make_unique<Connection>(shared, host);
  conn->open(sv[0]);
  loop.add(sv[0], EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, conn.get());
  bool first = true;
  for (std::size_t off = 0; off < size && conn->is_open();) {
    const std::uint8_t ctl = data[off++];
    const std::size_t want = 1 + (ctl & 0x3f);
    const std::size_t n = size - off < want ? size - off : want;
    if (n > 0 && ::write(sv[1], data + off, n) < 0) break;
    off += n;
    loop.run_once(0);
    switch (ctl >> 6) {
      case 0:
        drain_peer(sv[1]);
        break;
      case 1:
        break;
      case 2:
        read_some(sv[1], 16 * want);
        break;
      case 3:
        loop.run_once(0);
        break;
    }
    if (drain && first) {
      shared.draining = true;
      conn->begin_drain();
    }
    first = false;
  }
  ::shutdown(sv[1], SHUT_WR);
  drain_peer(sv[1]);
  for (int i = 0; i < 4 && conn->is_open(); ++i) {
    loop.run_once(0);
    drain_peer(sv[1]);
  }
  conn->close_now();
  ::close(sv[1]);
  if (shared.inflight != 0) __builtin_trap();  // accounting must balance once closed
  return 0;
}

// overload: the answer to a connection accepted past --max-connections — a 503 and a
// lingering close, so that a client whose request is already on the wire reads the 503 and
// then a FIN, not an RST.
//
// Contract: reject(fd) writes `503 Service Unavailable` (Retry-After: 1, Connection: close)
// without blocking, shuts the write side, and then discards the client's input until its EOF,
// until no byte arrived for Connection::kLingerMs, or past the budget (Connection's
// kLingerMaxMs / kLingerMaxBytes), and closes. At most kMaxLingering rejected sockets linger
// at once (each costs a descriptor and a few bytes, no buffer); past that a rejected socket is
// read once and closed (an RST if more input follows: the cost of a flood that big). Slots are
// recycled only between batches (recycle()), as connections are: an event for a socket closed
// earlier in the batch finds it closed.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "zerodrop/server/event_loop.hpp"

namespace zerodrop::server {

class OverloadRejecter {
 public:
  static constexpr std::size_t kMaxLingering = 1024;

  explicit OverloadRejecter(EventLoop& loop) : loop_(loop) {}
  ~OverloadRejecter();
  OverloadRejecter(const OverloadRejecter&) = delete;
  OverloadRejecter& operator=(const OverloadRejecter&) = delete;

  void reject(int fd);
  void recycle();    // between batches
  void close_all();  // hammer, exit
  std::size_t lingering() const { return busy_; }

 private:
  struct Slot final : IoHandler, TimerHandler {
    OverloadRejecter* owner = nullptr;
    int fd = -1;
    std::uint32_t incarnation = 0;
    TimerId timer = kNoTimer;
    Millis until = 0;
    std::uint64_t bytes = 0;
    void on_io(std::uint32_t events) override;
    void on_timer(std::uint64_t cookie) override;
  };
  void drain(Slot& s);
  void finish(Slot& s);

  EventLoop& loop_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<Slot*> free_;
  std::vector<Slot*> released_;
  std::size_t busy_ = 0;
};

}  // namespace zerodrop::server

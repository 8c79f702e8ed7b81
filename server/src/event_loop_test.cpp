// Unit tests for the event loop's dispatch: an event fetched in a batch is not delivered once
// its watch was removed earlier in the same batch (issue 13, item 10).
#include "zerodrop/server/event_loop.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>

namespace zerodrop::server {
namespace {

// A pipe that is readable (one byte written), watched by a handler that on its first event
// removes and closes the *other* watch's pipe — as on_ready_pipe closes the exec error pipe.
struct PipeWatch final : IoHandler {
  EventLoop* loop = nullptr;
  int rd = -1, wr = -1;
  PipeWatch* other = nullptr;
  int calls = 0;
  int read_errno = 0;
  void on_io(std::uint32_t) override {
    ++calls;
    char b;
    if (::read(rd, &b, 1) < 0) read_errno = errno;
    if (other != nullptr && other->rd >= 0) {
      loop->remove(other->rd);
      ::close(other->rd);
      other->rd = -1;
    }
  }
};

void open_readable(PipeWatch& w) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
  w.rd = p[0];
  w.wr = p[1];
  ASSERT_EQ(::write(w.wr, "x", 1), 1);
}

TEST(EventLoop, AnEventForAWatchRemovedEarlierInTheBatchIsNotDispatched) {
  EventLoop loop;
  PipeWatch a, b;
  open_readable(a);
  open_readable(b);
  a.loop = b.loop = &loop;
  a.other = &b;
  b.other = &a;
  ASSERT_TRUE(loop.add(a.rd, EPOLLIN, &a));
  ASSERT_TRUE(loop.add(b.rd, EPOLLIN, &b));
  // Both are ready before the wait: one batch holds both events, in either order. Whichever
  // runs first removes the other; the other must not run (it would read a closed fd).
  loop.run_once(0);
  EXPECT_EQ(a.calls + b.calls, 1);
  EXPECT_EQ(a.read_errno, 0);
  EXPECT_EQ(b.read_errno, 0);
  for (PipeWatch* w : {&a, &b}) {
    if (w->rd >= 0) ::close(w->rd);
    ::close(w->wr);
  }
}

// The same handler object re-registered in the same batch (a new restart reusing its pipe
// watch) sees only events of its new registration, from the next batch on.
TEST(EventLoop, AWatchReAddedInTheSameBatchGetsNoStaleEvent) {
  EventLoop loop;
  PipeWatch a, b;
  open_readable(a);
  open_readable(b);
  struct Replacer final : IoHandler {
    EventLoop* loop = nullptr;
    PipeWatch* victim = nullptr;
    bool done = false;
    void on_io(std::uint32_t) override {
      if (done) return;
      done = true;
      loop->remove(victim->rd);
      ::close(victim->rd);
      ::close(victim->wr);
      int p[2];
      ASSERT_EQ(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);  // empty: not readable
      victim->rd = p[0];
      victim->wr = p[1];
      loop->add(victim->rd, EPOLLIN, victim);
    }
  } replacer;
  replacer.loop = &loop;
  replacer.victim = &b;
  // `a`'s pipe drives the replacer; `b` is the victim. Run until the replacer has acted;
  // if b's old event came first in that batch it legitimately ran once before the replacement.
  ASSERT_TRUE(loop.add(a.rd, EPOLLIN, &replacer));
  ASSERT_TRUE(loop.add(b.rd, EPOLLIN, &b));
  loop.run_once(0);
  ASSERT_TRUE(replacer.done);
  const int before = b.calls;
  EXPECT_LE(before, 1);
  EXPECT_EQ(b.read_errno, 0);
  loop.run_once(0);  // the new pipe is empty: no event
  EXPECT_EQ(b.calls, before);
  EXPECT_EQ(b.read_errno, 0);
  ::close(a.rd);
  ::close(a.wr);
  ::close(b.rd);
  ::close(b.wr);
}

}  // namespace
}  // namespace zerodrop::server

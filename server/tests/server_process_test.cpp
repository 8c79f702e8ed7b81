// Tests of the test guard itself: it must fail fast when the server dies during start, and on
// scope exit it must leave no process of the group behind (grandchildren included).
#include "server_process.hpp"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

namespace zerodrop::server::testing {
namespace {

TEST(ServerProcessGuard, FailsFastWhenTheServerDiesDuringStart) {
  auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<ServerProcess> s;
  EXPECT_NONFATAL_FAILURE(
      s = std::make_unique<ServerProcess>(ServerOptions{.binary = "/bin/false"}),
      "server did not start");
  EXPECT_FALSE(s->started());
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_LT(ms, 5000) << "did not wait for the 10 s start deadline";
}

TEST(ServerProcessGuard, EndsEveryProcessOfTheGroupIncludingOrphans) {
  TempDir dir;
  const std::string script = dir.file("fake-server");
  // A "server" that leaves a background grandchild and ignores SIGTERM: only the group
  // SIGKILL after the grace ends it.
  write_file(script,
             "#!/bin/sh\n"
             "trap '' TERM\n"
             "sleep 30 &\n"
             "echo \"listening on 127.0.0.1:1 pid=$$ generation=1\"\n"
             "echo \"grandchild=$!\"\n"
             "while :; do sleep 1; done\n",
             0755);
  pid_t grandchild = 0;
  pid_t server = 0;
  {
    ServerProcess s({.binary = script});
    ASSERT_TRUE(s.started());
    server = s.pid();
    auto line = s.wait_stdout("grandchild=");
    ASSERT_TRUE(line);
    grandchild = std::stoi(line->substr(line->find('=') + 1));
    ASSERT_TRUE(process_exists(grandchild));
  }
  EXPECT_FALSE(process_exists(server));
  EXPECT_FALSE(process_exists(grandchild));
}

}  // namespace
}  // namespace zerodrop::server::testing

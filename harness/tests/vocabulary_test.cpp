// The name tables: each lookup, and every invariant has its check.
#include "zerodrop/vocabulary.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <set>

#include "zerodrop/checks.hpp"

namespace zerodrop {
namespace {

TEST(Vocabulary, Signals) {
  ASSERT_NE(find_signal("HUP"), nullptr);
  EXPECT_EQ(find_signal("SIGHUP"), find_signal("HUP"));
  EXPECT_EQ(signal_number("TERM"), SIGTERM);
  EXPECT_EQ(signal_number("USR2"), SIGUSR2);
  EXPECT_EQ(signal_number("FOO"), 0);
  EXPECT_EQ(find_signal("SIG"), nullptr);
  for (const char* s : {"TERM", "INT", "USR2", "KILL", "QUIT"})
    EXPECT_TRUE(is_stop_signal(s)) << s;
  for (const char* s : {"HUP", "USR1", "WINCH", "CONT", "FOO"})
    EXPECT_FALSE(is_stop_signal(s)) << s;
  std::set<int> numbers;
  for (const auto& d : signals())
    EXPECT_TRUE(numbers.insert(d.number).second) << d.name;
}

TEST(Vocabulary, Outcomes) {
  EXPECT_STREQ(to_string(Outcome::kEofOnReusedKeepalive), "eof_on_reused_keepalive");
  EXPECT_TRUE(is_outcome_name("refused"));
  EXPECT_FALSE(is_outcome_name("refused "));
  EXPECT_THROW(outcome_from_string("nope"), std::runtime_error);
}

TEST(Vocabulary, EveryInvariantHasItsCheckNamedAfterIt) {
  for (const auto& d : kInvariants) {
    ASSERT_NE(check_for(d.invariant), nullptr) << d.name;
    Expect e;
    e.messages = {"hello"};
    EXPECT_EQ(check_for(d.invariant)(History{}, e, Timeline{}).name, d.name);
  }
  EXPECT_TRUE(is_invariant_name("settles"));
  EXPECT_FALSE(is_invariant_name("settle"));
}

}  // namespace
}  // namespace zerodrop

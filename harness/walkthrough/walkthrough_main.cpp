// zerodrop-walkthrough: `zerodrop walkthrough` as a program of its own, for the ctest tests
// (they must not depend on the rest of the CLI). `zerodrop-walkthrough ARGS` is exactly
// `zerodrop walkthrough ARGS`.
#include <string>
#include <vector>

#include "walkthrough.hpp"

int main(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  std::string name = "walkthrough";
  args[0] = name.data();
  return zerodrop::walkthrough::run_walkthrough_cli(argc, args.data());
}

#include "walkthrough.hpp"

#include <cstdio>

namespace zerodrop::walkthrough {

// Placeholder until the walkthrough lands: fails loudly rather than pretending to pass.
int run_walkthrough_cli(int /*argc*/, char** /*argv*/) {
  std::fputs("zerodrop walkthrough: not built yet\n", stderr);
  return 1;
}

}  // namespace zerodrop::walkthrough

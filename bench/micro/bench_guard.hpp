// bench_guard — runs a benchmark body and turns any exception (a server that did not start, a
// failed syscall) into state.SkipWithError with its message, so one broken benchmark is
// reported as an error, the others still run, and the smoke tests (which fail on "ERROR
// OCCURRED") see it.
#pragma once

#include <benchmark/benchmark.h>

#include <exception>
#include <string>

namespace zerodrop::bench {

template <class Body>
void guarded(benchmark::State& state, Body&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    static thread_local std::string message;  // SkipWithError keeps the pointer
    message = e.what();
    state.SkipWithError(message.c_str());
  }
}

}  // namespace zerodrop::bench

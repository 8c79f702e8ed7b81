// run step 5, finish: every process of the run ends (TERM, then KILL: Launcher::end_all), and
// the history's events are the Recorder's, in time order.
#include <algorithm>

#include "steps.hpp"

namespace zerodrop::run {

void finish(Run& r, Launcher& L) {
  L.end_all(1000);
  L.poll();
  r.h.events = r.recorder->events();
  std::stable_sort(
      r.h.events.begin(), r.h.events.end(),
      [](const LifecycleEvent& a, const LifecycleEvent& b) { return a.t_ns < b.t_ns; });
}

}  // namespace zerodrop::run

// run step 6, check: the scenario's invariants on the history, and whether the run itself can
// be trusted (checks/validity.cpp). The checks build their Timeline here, once, at the end.
#include "steps.hpp"

namespace zerodrop::run {

void check(Run& r) {
  r.results = run_checks(r.h, r.sc.expect);
  r.validity = check_validity(r.h, build_timeline(r.h));
}

}  // namespace zerodrop::run

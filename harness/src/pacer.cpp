// The open-loop schedule (Pacer: request i is due at i / rate, whatever the server does) and the
// deterministic mix of request kinds (KindPicker: smooth weighted round-robin). See pacer.hpp.
#include "zerodrop/pacer.hpp"

#include <cmath>

namespace zerodrop {

std::uint64_t Pacer::count() const {
  double n = std::ceil(static_cast<double>(duration_ns_) * rate_ / 1e9);
  auto c = static_cast<std::uint64_t>(n);
  while (c > 0 && due_ns(c - 1) >= duration_ns_)
    --c;
  while (due_ns(c) < duration_ns_)
    ++c;
  return c;
}

KindPicker::KindPicker(const std::vector<RequestKind>& kinds) {
  for (auto& k : kinds) {
    weights_.push_back(k.weight);
    current_.push_back(0);
    total_ += k.weight;
  }
}

std::size_t KindPicker::next() {
  std::size_t best = 0;
  for (std::size_t i = 0; i < weights_.size(); ++i) {
    current_[i] += weights_[i];
    if (current_[i] > current_[best]) best = i;
  }
  current_[best] -= total_;
  return best;
}

}  // namespace zerodrop

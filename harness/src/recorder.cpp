// See zerodrop/recorder.hpp.
#include "zerodrop/recorder.hpp"

#include <algorithm>
#include <iterator>

namespace zerodrop {

void Recorder::record(EventKind k, long pid, long other, const std::string& detail) {
  record_at(clock_.now_ns(), k, pid, other, detail);
}

void Recorder::record_at(std::int64_t t_ns, EventKind k, long pid, long other,
                         const std::string& detail) {
  LifecycleEvent e{t_ns, to_string(k), pid, other, detail};
  if (writer_ != nullptr) writer_->write(e);  // streamed as it happens; readers sort by time
  std::lock_guard lk(mu_);
  auto [last, fresh] = latest_.try_emplace(k, t_ns);
  if (!fresh) last->second = std::max(last->second, t_ns);
  auto at = events_.end();
  while (at != events_.begin() && std::prev(at)->t_ns > t_ns)
    --at;
  events_.insert(at, std::move(e));
}

void Recorder::request(const RequestRecord& r) {
  if (writer_ != nullptr) writer_->write(r);
}

void Recorder::flush() {
  if (writer_ != nullptr) writer_->flush();
}

std::int64_t Recorder::latest_ns(EventKind k) const {
  std::lock_guard lk(mu_);
  auto it = latest_.find(k);
  return it == latest_.end() ? -1 : it->second;
}

std::vector<LifecycleEvent> Recorder::events() const {
  std::lock_guard lk(mu_);
  return events_;
}

}  // namespace zerodrop

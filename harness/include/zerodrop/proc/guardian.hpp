// proc/guardian — kills a run's processes when the harness dies without cleaning up.
//
// Contract: PR_SET_PDEATHSIG covers only the processes the harness forks itself; later
// generations are forked by the server, and if the harness is SIGKILLed they would be
// re-parented to init and live on. A Guardian is a shell (spawned by proc::spawn, without a death
// signal) in its own process group, immune to INT/TERM/HUP, blocked reading a pipe whose only
// write end this object holds: when the harness dies, however it dies, the read returns EOF and
// the shell SIGKILLs every process whose environment holds `tag` (e.g. ZERODROP_RUN=<workdir>).
// dismiss() (once the harness has seen every process of the run end) tells it "done" first, so
// it exits without its scan of every /proc/*/environ (over a second on a busy machine). The
// destructor closes the pipe (the guardian then scans, unless dismissed) and reaps it unless
// the owner's reaper already did (forget()). A guardian that cannot start is logged, not fatal.
#pragma once

#include <sys/types.h>

#include <string>

namespace zerodrop::proc {

class Guardian {
 public:
  explicit Guardian(const std::string& tag);
  ~Guardian();
  Guardian(const Guardian&) = delete;
  Guardian& operator=(const Guardian&) = delete;

  pid_t pid() const { return pid_; }
  void dismiss();               // every tagged process is known to have ended
  void forget() { pid_ = -1; }  // reaped by someone else (it died early)

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
};

}  // namespace zerodrop::proc

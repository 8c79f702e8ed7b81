// What the three parts of the walkthrough share, and the helpers they use.
//
// Contract: a Session is built by run_walkthrough() once the options are valid: a transcript,
// the reaper (we are a subreaper for the whole run), the viewer (browser or HTTP client), a
// scratch directory removed at the end, and the two server builds. Each run_*_part() prints its
// steps and checks into the transcript, ends every process it started before returning, and
// returns true when none of its checks failed. It may throw std::exception for a step that
// could not run at all (the caller records that as a failed check).
#pragma once

#include <sys/types.h>

#include <string>

#include "options.hpp"
#include "page_load.hpp"
#include "process.hpp"
#include "transcript.hpp"

namespace zerodrop::walkthrough {

struct Session {
  Transcript& t;
  Reaper& reaper;
  const Options& options;
  Viewer viewer;
  std::string scratch;
  std::string gin_binary;
  std::string q1mi_binary;
};

bool run_restart_part(Session& s);
bool run_shutdown_part(Session& s);
bool run_supervisor_part(Session& s);

// Copies src to dst the way a deploy should: to a temporary name in dst's directory, then
// rename(2) over dst, so a process running the old dst keeps its (now unlinked) inode.
void install_binary(const std::string& src, const std::string& dst);
ino_t inode_of(const std::string& path);  // 0 when it cannot be stat'ed
std::string proc_exe(pid_t pid);          // readlink /proc/PID/exe, "?" on error
long ms_between(Clock::time_point a, Clock::time_point b);
// How the viewer is shown in a command line of the transcript.
std::string viewer_command(const Viewer& v, int port, const std::string& path);
std::string quoted(const std::string& s);  // "\"hello gin!\"" or "(nothing)"

}  // namespace zerodrop::walkthrough

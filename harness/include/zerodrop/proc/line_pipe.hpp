// proc/line_pipe — the read end of a server's stdout or stderr pipe, as lines.
//
// Contract: LinePipe owns `fd` (made non-blocking; closed on destruction or at EOF) and read()
// drains what is there without blocking: every byte read is first written through to `tee_fd`
// when one is given (the server's stderr still lands in server.log, byte for byte, as it passes
// through the harness; a failed write is logged with its syscall, once), then complete lines are
// returned without their '\n'. At EOF (every writer — every generation — closed it) a last
// unterminated line is returned too, and open() turns false. grow() asks the kernel for a larger
// pipe buffer (F_SETPIPE_SZ; failure logged), so that a chatty server is not blocked on its log
// while the harness is busy elsewhere for a moment.
#pragma once

#include <string>
#include <vector>

namespace zerodrop::proc {

class LinePipe {
 public:
  LinePipe(int fd, int tee_fd, std::string name);
  ~LinePipe();
  LinePipe(const LinePipe&) = delete;
  LinePipe& operator=(const LinePipe&) = delete;

  int fd() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  std::vector<std::string> read();
  void grow(int bytes);

 private:
  int fd_ = -1, tee_fd_ = -1;
  bool tee_failed_ = false;
  std::string name_, buf_;
};

}  // namespace zerodrop::proc

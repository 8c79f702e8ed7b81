// See page_load.hpp.
#include "page_load.hpp"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <system_error>

#include "dom_text.hpp"
#include "process.hpp"

namespace zerodrop::walkthrough {

std::vector<std::string> chromium_argv(const std::string& browser, const std::string& user_data_dir,
                                       const std::string& url) {
  return {browser,
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--user-data-dir=" + user_data_dir,
          "--dump-dom",
          url};
}

namespace {

std::string url_for(int port, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(port) + path;
}

class HttpPageLoad final : public PageLoad {
 public:
  HttpPageLoad(int port, std::string path) {
    result_.started = Clock::now();
    thread_ = std::thread([this, port, path = std::move(path)] {
      HttpResult r = http_get(port, path, std::chrono::milliseconds(30000));
      std::lock_guard lk(mu_);
      result_.finished = true;
      result_.ended = Clock::now();
      result_.answered_by = r.pid;
      if (r.transport_ok && r.status == 200)
        result_.text = r.body;
      else
        result_.error = r.describe();
      done_ = true;
      cv_.notify_all();
    });
  }
  ~HttpPageLoad() override { thread_.join(); }  // bounded by the client's 30 s timeout
  bool done() override { return done_; }
  PageResult wait(Clock::time_point deadline) override {
    std::unique_lock lk(mu_);
    cv_.wait_until(lk, deadline, [&] { return done_.load(); });
    return result_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> done_{false};
  PageResult result_;
  std::thread thread_;
};

class BrowserPageLoad final : public PageLoad {
 public:
  BrowserPageLoad(Reaper& reaper, const std::string& browser, int port, const std::string& path,
                  const std::string& scratch_dir)
      : reaper_(reaper) {
    std::string tmpl = scratch_dir + "/chromium-profile-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr)
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + tmpl);
    profile_ = tmpl;
    SpawnSpec spec;
    spec.argv = chromium_argv(browser, profile_, url_for(port, path));
    // Everything Chromium writes stays in the fresh profile directory, its crash database
    // included (it would go to ~/.config otherwise).
    spec.extra_env = {"HOME=" + profile_, "XDG_CONFIG_HOME=" + profile_ + "/.config",
                      "XDG_CACHE_HOME=" + profile_ + "/.cache"};
    spec.capture_stdout = true;
    spec.capture_stderr = true;
    result_.started = Clock::now();
    if (::pipe2(stop_pipe_, O_CLOEXEC) < 0)
      throw std::system_error(errno, std::generic_category(), "pipe2");
    spawned_ = spawn(spec);
    reaper_.child_added();
    reader_ = std::thread([this] { read_all(); });
  }

  ~BrowserPageLoad() override {
    // Its crash handlers leave the group and outlive it briefly; if one still writes here, the
    // scratch directory's removal at the end (after every descendant is gone) cleans up.
    finish();
    std::error_code ec;
    std::filesystem::remove_all(profile_, ec);
  }

  bool done() override { return reaper_.exit_of(spawned_.pid).has_value(); }

  PageResult wait(Clock::time_point deadline) override {
    auto exit = reaper_.wait_exit(spawned_.pid, deadline);
    finish();
    PageResult r = result_;
    if (!exit) {
      r.error = "the browser was still loading at the deadline";
      return r;
    }
    r.finished = true;
    r.ended = exit->when;
    r.text = page_text(out_);
    if (r.text.empty()) {
      // Chromium exits 0 even when the load failed; its log line says why.
      size_t p = err_.find("Page load failed");
      r.error = p != std::string::npos ? err_.substr(p, err_.find('\n', p) - p)
                                       : "the browser showed nothing (" + exit->describe() + ")";
    }
    return r;
  }

 private:
  // Ends the browser's process group (its helpers may hold the pipes) and collects the output.
  void finish() {
    if (finished_) return;
    finished_ = true;
    end_group(spawned_.pid, std::chrono::milliseconds(1000));
    // A helper that left the group could still hold the pipes open: don't wait for their EOF.
    ssize_t ignored = ::write(stop_pipe_[1], "x", 1);
    (void)ignored;
    reader_.join();
    for (int fd : {spawned_.stdout_fd, spawned_.stderr_fd, stop_pipe_[0], stop_pipe_[1]})
      ::close(fd);
  }

  void read_all() {
    int fds[2] = {spawned_.stdout_fd, spawned_.stderr_fd};
    std::string* sinks[2] = {&out_, &err_};
    int open = 2;
    while (open > 0) {
      pollfd p[3] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
      if (::poll(p, 3, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      // Stop only once nothing is left to read: the output may still be in the pipe.
      if (p[2].revents != 0 && p[0].revents == 0 && p[1].revents == 0) return;
      for (int i = 0; i < 2; ++i) {
        if (fds[i] < 0 || p[i].revents == 0) continue;
        char buf[4096];
        ssize_t n = ::read(fds[i], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          fds[i] = -1;
          --open;
        } else if (sinks[i]->size() < (1u << 20)) {
          sinks[i]->append(buf, static_cast<size_t>(n));
        }
      }
    }
  }

  Reaper& reaper_;
  std::string profile_;
  Spawned spawned_;
  int stop_pipe_[2] = {-1, -1};
  PageResult result_;
  std::string out_, err_;  // written by reader_ only until it is joined
  bool finished_ = false;
  std::thread reader_;
};

}  // namespace

std::unique_ptr<PageLoad> PageLoad::start(Reaper& reaper, const Viewer& viewer, int port,
                                          const std::string& path, const std::string& scratch_dir) {
  if (viewer.uses_browser())
    return std::make_unique<BrowserPageLoad>(reaper, viewer.browser_path, port, path, scratch_dir);
  return std::make_unique<HttpPageLoad>(port, path);
}

}  // namespace zerodrop::walkthrough

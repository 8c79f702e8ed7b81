// replace_binary's file swap: a copy renamed into place, never a half-copied binary.
#include "zerodrop/nemesis.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace zerodrop {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const char* name) {
  fs::path d = fs::temp_directory_path() / (std::string(name) + "-" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(ReplaceFile, CopiesContentAndMode) {
  const fs::path d = fresh_dir("zerodrop-replace-ok");
  std::ofstream(d / "new") << "new binary";
  std::ofstream(d / "bin") << "old binary";
  ASSERT_EQ(::chmod((d / "new").c_str(), 0750), 0);
  replace_file(d / "new", d / "bin");
  EXPECT_EQ(slurp(d / "bin"), "new binary");
  struct stat st {};
  ASSERT_EQ(::stat((d / "bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_FALSE(fs::exists(d / "bin.zerodrop-new"));
  fs::remove_all(d);
}

// read() fails (the source is a directory: EISDIR): the error names read(), the target is
// untouched and no partial copy is left beside it.
TEST(ReplaceFile, AReadErrorNamesReadAndLeavesNoPartialCopy) {
  const fs::path d = fresh_dir("zerodrop-replace-bad");
  fs::create_directories(d / "not-a-file");
  std::ofstream(d / "bin") << "old binary";
  try {
    replace_file(d / "not-a-file", d / "bin");
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("read(", 0), 0u) << e.what();
  }
  EXPECT_EQ(slurp(d / "bin"), "old binary");
  EXPECT_FALSE(fs::exists(d / "bin.zerodrop-new"));
  fs::remove_all(d);
}

}  // namespace
}  // namespace zerodrop

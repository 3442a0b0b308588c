// A directory under $TMPDIR (or /tmp) that is removed, with everything in it, when the
// object goes away. The one way tests get scratch space.
#pragma once

#include <filesystem>
#include <string>

namespace berth::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // path() / name, as a string.
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The content of `path`, or "" when it cannot be read. Also for a file of /proc whose
// process goes away while it is read: the read then fails with ESRCH, which an ifstream
// reports by throwing.
std::string readFile(const std::string& path);

// Writes `content` to `path`, replacing it. Aborts the test program on failure.
void writeFile(const std::string& path, const std::string& content);

// Flips one bit in every occurrence of `marker` in the file at `path`, as damage on disk
// would. Returns how many it found.
int damageFile(const std::string& path, const std::string& marker);

}  // namespace berth::testing

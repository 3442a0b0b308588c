// Durable agent state under --work_dir: what must survive `kill -9` of the agent.
//
// Each record is a file written atomically (temporary file, fsync, rename, fsync of the
// directory): when write() returns, the new content survives a crash and a reader sees
// either the old content or the new, never a mix. Each file carries its length and a
// CRC-32 of its content, so a torn or damaged file is reported as such instead of being
// misread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.h"

namespace berth::agent {

class CheckpointStore {
 public:
  // `root` is created on first write.
  explicit CheckpointStore(std::string root) : root_(std::move(root)) {}

  // Replaces record `name` (a relative path such as "containers/c-1/state") with `data`.
  Status write(const std::string& name, std::string_view data) const;

  // The content last written: kNotFound when there is none, kInvalidArgument naming the
  // file when it is torn or corrupt.
  Result<std::string> read(const std::string& name) const;

  // Names of the entries directly under `dir` (relative to the root), sorted; empty when
  // `dir` does not exist.
  Result<std::vector<std::string>> list(const std::string& dir) const;

  // Removes a record or a directory of records. Succeeds if absent.
  Status remove(const std::string& name) const;

  const std::string& root() const { return root_; }

 private:
  std::string path(const std::string& name) const { return root_ + "/" + name; }
  std::string root_;
};

}  // namespace berth::agent

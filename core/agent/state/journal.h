// Durable agent state under --work_dir: what must survive `kill -9` of the agent, and a
// crash of the host.
//
// A journal of key/value records in one file. put() and erase() append a record and
// fdatasync it: when they return, the change is on disk. One appended record costs one
// data flush, a fraction of the file, fsync, rename and directory fsync of a file per key
// (docs/benchmarks.md). Every record carries a CRC-32 of its header and key and one of its
// value, so damage is found and named instead of misread:
//   - a record cut short at the end of the file (the agent died while writing it): the
//     change never happened, and the key's record before it stands;
//   - a record whose value is damaged: its key is reported as damaged and left out;
//   - a damaged header: the bytes up to the next intact record are reported and skipped.
// The file is rewritten with only the live records when it opens and whenever the dead ones
// outweigh them, so it stays proportional to the live state.
//
// Not thread-safe: one owner calls it (the containerizer's executor). Only flush() runs on a
// thread of the journal's own, which touches nothing else.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/common/result.h"

namespace berth::agent {

// Flushes directory `dir`, so that the files created and renamed in it last.
Status syncDirectory(const std::string& dir);

class Journal {
 public:
  struct Contents {
    std::map<std::string, std::string> records;  // key -> its latest intact value
    std::map<std::string, std::string> damaged;  // key -> why its latest record is unusable
    std::vector<std::string> problems;           // damage that names no key, torn records
  };

  // Reads the journal at `path` without changing it; a missing file reads as empty.
  // Fails only when the file cannot be read.
  static Result<Contents> read(const std::string& path);

  explicit Journal(std::string path);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Reads the journal as read() does, rewrites it with the intact records only, and opens
  // it for appending. When it found damage, the file as it was is kept beside it as
  // `<path>.damaged` for inspection. Call once, before put() and erase().
  Result<Contents> open();

  // Sets `key` (not empty, at most 4 KiB) to `value` (at most 64 MiB); durable on return.
  // On failure the journal is as before the call.
  Status put(std::string_view key, std::string_view value);

  // put() in two steps, for a caller with work to overlap with the flush: write() appends
  // the record, which from then on survives the agent being killed; flush() makes every
  // record written before it survive a crash of the host too, on a thread of the journal's
  // own, and calls `done` there once they do, or with the error when the flush failed
  // (those records may then survive a crash or not). Flushes asked for while one runs are
  // served together by the next. Never blocks; `done` must not block either.
  Status write(std::string_view key, std::string_view value);
  void flush(std::function<void(Status)> done);

  // Removes `key`; durable on return. Nothing is written for a key that is not there.
  Status erase(std::string_view key);
  // erase() without the flush, as write() is put() without it; flush() makes it durable.
  Status writeErase(std::string_view key);

  const std::string& path() const { return path_; }

 private:
  // Appends a record, flushed when `sync`; on failure the file is as before.
  Status append(char type, std::string_view key, std::string_view value, bool sync);
  Status set(std::string_view key, std::string_view value, bool sync);
  Status unset(std::string_view key, bool sync);
  // Writes the live records to a new file and renames it over the journal.
  Status rewrite();
  // rewrite() once the dead records outweigh the live ones.
  void compactIfWorthIt();

  // Runs the flushes asked for, each batch with one fdatasync of the newest descriptor
  // asked with: a rewrite in between synced the file it replaced, records and all.
  void flushLoop();

  const std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;                                     // bytes in the file
  std::map<std::string, std::string, std::less<>> live_;  // what rewrite() keeps
  uint64_t live_bytes_ = 0;                               // their size as records

  struct FlushRequest {
    int fd;  // a duplicate of fd_ when asked, closed by the flusher
    std::function<void(Status)> done;
  };
  std::mutex flush_mutex_;
  std::condition_variable flush_wake_;
  std::vector<FlushRequest> flushes_;  // asked for, not yet started
  bool stopping_ = false;
  std::thread flusher_;  // started by the first flush()
};

}  // namespace berth::agent

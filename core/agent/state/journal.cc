#include "core/agent/state/journal.h"

#include <fcntl.h>
#include <glog/logging.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace berth::agent {

namespace {

// A record: magic, header CRC, then the header it covers (type, key length, value length,
// value CRC, key), then the value. Integers are little-endian.
constexpr char kMagic[4] = {'B', 'J', '0', '1'};
constexpr size_t kHeaderSize = 4 + 4 + 1 + 4 + 4 + 4;
constexpr char kPut = 'P';
constexpr char kErase = 'E';
constexpr size_t kMaxKey = 4096;
constexpr size_t kMaxValue = 64u << 20;
// Rewrite once the file holds this much and at least twice the live records.
constexpr uint64_t kRewriteAfter = 1u << 20;

uint32_t crc(std::string_view data, uint32_t start = 0) {
  return static_cast<uint32_t>(
      crc32(start, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

void putU32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint32_t getU32(const char* in) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i)
    value |= static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return value;
}

std::string record(char type, std::string_view key, std::string_view value) {
  std::string out(kMagic, sizeof(kMagic));
  putU32(out, 0);  // the header CRC, once the header is complete
  out.push_back(type);
  putU32(out, static_cast<uint32_t>(key.size()));
  putU32(out, static_cast<uint32_t>(value.size()));
  putU32(out, crc(value));
  out.append(key);
  const uint32_t header_crc = crc(std::string_view(out).substr(8));
  for (int i = 0; i < 4; ++i)
    out[4 + i] = static_cast<char>((header_crc >> (8 * i)) & 0xff);
  out.append(value);
  return out;
}

// A record's header as found at some offset of the file.
struct Header {
  char type = 0;
  uint32_t key_size = 0;
  uint32_t value_size = 0;
  uint32_t value_crc = 0;
  std::string_view key;
  size_t size() const { return kHeaderSize + key_size + value_size; }
};

enum class Parsed {
  kIntact,
  kCutShort,  // the file ends within the header or key: possibly a torn write
  kDamaged,
};

// The header at `at`, read into *header when intact.
Parsed parseHeader(std::string_view data, size_t at, Header* header) {
  const std::string_view rest = data.substr(at);
  if (rest.size() < kHeaderSize) {
    return rest.substr(0, 4) == std::string_view(kMagic, std::min(rest.size(), sizeof(kMagic)))
               ? Parsed::kCutShort
               : Parsed::kDamaged;
  }
  if (std::memcmp(rest.data(), kMagic, 4) != 0) return Parsed::kDamaged;
  const char* p = rest.data();
  header->type = p[8];
  header->key_size = getU32(p + 9);
  header->value_size = getU32(p + 13);
  header->value_crc = getU32(p + 17);
  if ((header->type != kPut && header->type != kErase) || header->key_size == 0 ||
      header->key_size > kMaxKey || header->value_size > kMaxValue) {
    return Parsed::kDamaged;
  }
  if (rest.size() - kHeaderSize < header->key_size) return Parsed::kCutShort;
  header->key = rest.substr(kHeaderSize, header->key_size);
  return crc(rest.substr(8, kHeaderSize - 8 + header->key_size)) == getU32(p + 4)
             ? Parsed::kIntact
             : Parsed::kDamaged;
}

// The offset of the next intact header after `from`, or npos.
size_t nextHeader(std::string_view data, size_t from) {
  Header ignored;
  for (size_t at = data.find(std::string_view(kMagic, 4), from); at != std::string_view::npos;
       at = data.find(std::string_view(kMagic, 4), at + 1)) {
    if (parseHeader(data, at, &ignored) == Parsed::kIntact) return at;
  }
  return std::string_view::npos;
}

struct Scan {
  Journal::Contents contents;
  bool damage = false;  // beyond a torn last record
};

Scan scan(std::string_view data, const std::string& path) {
  Scan result;
  Journal::Contents& out = result.contents;
  size_t at = 0;
  while (at < data.size()) {
    Header header;
    const Parsed parsed = parseHeader(data, at, &header);
    if (parsed != Parsed::kIntact) {
      // Cut short at the very end is a write the agent did not finish; anything else,
      // including a complete header that fails its check, is damage.
      const size_t next = nextHeader(data, at + 1);
      if (next == std::string_view::npos && parsed == Parsed::kCutShort) {
        out.problems.push_back(path + " ends with " + std::to_string(data.size() - at) +
                               " bytes of an incomplete record, dropped: the agent stopped "
                               "while writing it");
        break;
      }
      const size_t end = next == std::string_view::npos ? data.size() : next;
      out.problems.push_back(path + ": bytes " + std::to_string(at) + " to " + std::to_string(end) +
                             " are damaged and skipped");
      result.damage = true;
      at = end;
      continue;
    }
    const std::string key(header.key);
    if (data.size() - at < header.size()) {
      out.problems.push_back(path + ": the last record, for '" + key +
                             "', is incomplete and dropped: the agent stopped while writing it, "
                             "so the change never happened");
      break;
    }
    const std::string_view value =
        data.substr(at + kHeaderSize + header.key_size, header.value_size);
    if (crc(value) != header.value_crc) {
      out.records.erase(key);
      out.damaged[key] = path + ": the record of '" + key + "' at byte " + std::to_string(at) +
                         " is corrupt (checksum mismatch)";
      result.damage = true;
    } else if (header.type == kPut) {
      out.records[key] = std::string(value);
      out.damaged.erase(key);
    } else {
      out.records.erase(key);
      out.damaged.erase(key);
    }
    at += header.size();
  }
  return result;
}

Result<std::string> readAll(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::string();
    return errnoError("open '" + path + "'", errno);
  }
  std::string content;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return errnoError("read '" + path + "'", err);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

Status writeAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoError("write '" + path + "'", errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return okStatus();
}

}  // namespace

Status syncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const int synced = fd >= 0 ? ::fsync(fd) : -1;
  const int err = errno;
  if (fd >= 0) ::close(fd);
  if (synced != 0) return errnoError("fsync '" + dir + "'", err);
  return okStatus();
}

Result<Journal::Contents> Journal::read(const std::string& path) {
  auto data = readAll(path);
  if (!data) return data.error();
  return scan(*data, path).contents;
}

Journal::Journal(std::string path) : path_(std::move(path)) {}

Journal::~Journal() {
  {
    std::lock_guard lock(flush_mutex_);
    stopping_ = true;
  }
  flush_wake_.notify_one();
  if (flusher_.joinable()) flusher_.join();  // after the flushes already asked for
  if (fd_ >= 0) ::close(fd_);
}

Result<Journal::Contents> Journal::open() {
  if (fd_ >= 0) return Error(ErrorCode::kFailedPrecondition, path_ + " is already open");
  std::error_code ec;
  const std::string dir = std::filesystem::path(path_).parent_path().string();
  std::filesystem::create_directories(dir, ec);
  if (ec) return errnoError("create '" + dir + "'", ec.value());
  auto data = readAll(path_);
  if (!data) return data.error();
  Scan found = scan(*data, path_);
  if (found.damage) {
    // The evidence stays for whoever investigates; the rewrite below drops the damage.
    const std::string copy = path_ + ".damaged";
    const int fd = ::open(copy.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || !writeAll(fd, *data, copy)) {
      LOG(WARNING) << "Cannot keep a copy of the damaged " << path_ << " as " << copy;
    }
    if (fd >= 0) ::close(fd);
  }
  for (const auto& [key, value] : found.contents.records) {
    live_.emplace(key, value);
    live_bytes_ += kHeaderSize + key.size() + value.size();
  }
  if (Status rewritten = rewrite(); !rewritten) return rewritten.error();
  return std::move(found.contents);
}

Status Journal::rewrite() {
  // Written beside the journal and renamed over it, so that a crash leaves one or the
  // other whole; the directory is synced so that the rename itself lasts.
  const std::string temporary = path_ + ".tmp";
  const int fd = ::open(temporary.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return errnoError("create '" + temporary + "'", errno);
  std::string content;
  for (const auto& [key, value] : live_)
    content += record(kPut, key, value);
  Status written = writeAll(fd, content, temporary);
  if (written && ::fsync(fd) != 0) written = errnoError("fsync '" + temporary + "'", errno);
  if (written && ::rename(temporary.c_str(), path_.c_str()) != 0) {
    written = errnoError("rename '" + temporary + "' to '" + path_ + "'", errno);
  }
  if (!written) {
    ::close(fd);
    ::unlink(temporary.c_str());
    return written;
  }
  // Renamed: the new file is the journal now, and appends go to it whatever happens next.
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  size_ = content.size();
  return syncDirectory(std::filesystem::path(path_).parent_path().string());
}

Status Journal::append(char type, std::string_view key, std::string_view value, bool sync) {
  if (fd_ < 0) return Error(ErrorCode::kFailedPrecondition, path_ + " is not open");
  if (key.empty() || key.size() > kMaxKey) {
    return Error(ErrorCode::kInvalidArgument,
                 "a journal key must have 1 to " + std::to_string(kMaxKey) + " bytes");
  }
  if (value.size() > kMaxValue) {
    return Error(ErrorCode::kInvalidArgument, "the value of '" + std::string(key) + "' exceeds " +
                                                  std::to_string(kMaxValue >> 20) + " MiB");
  }
  const std::string bytes = record(type, key, value);
  Status written = writeAll(fd_, bytes, path_);
  // fdatasync: the data and the file's new size, without the timestamps fsync would add.
  if (written && sync && ::fdatasync(fd_) != 0) {
    written = errnoError("fdatasync '" + path_ + "'", errno);
  }
  if (!written) {
    // Leave no partial record for the next append to follow.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      LOG(ERROR) << "Cannot cut " << path_
                 << " back after a failed write: " << std::strerror(errno);
    }
    return written;
  }
  size_ += bytes.size();
  return okStatus();
}

Status Journal::put(std::string_view key, std::string_view value) {
  return set(key, value, true);
}

Status Journal::write(std::string_view key, std::string_view value) {
  return set(key, value, false);
}

void Journal::flush(std::function<void(Status)> done) {
  if (fd_ < 0) return done(Error(ErrorCode::kFailedPrecondition, path_ + " is not open"));
  // A duplicate, so that a rewrite closing fd_ meanwhile leaves the flusher a valid one.
  const int fd = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return done(errnoError("duplicate the descriptor of '" + path_ + "'", errno));
  {
    std::lock_guard lock(flush_mutex_);
    flushes_.push_back({fd, std::move(done)});
    if (!flusher_.joinable()) flusher_ = std::thread([this] { flushLoop(); });
  }
  flush_wake_.notify_one();
}

void Journal::flushLoop() {
  std::unique_lock lock(flush_mutex_);
  for (;;) {
    flush_wake_.wait(lock, [&] { return stopping_ || !flushes_.empty(); });
    if (flushes_.empty()) return;
    std::vector<FlushRequest> batch = std::exchange(flushes_, {});
    lock.unlock();
    Status flushed = okStatus();
    if (::fdatasync(batch.back().fd) != 0) {
      flushed = errnoError("fdatasync '" + path_ + "'", errno);
    }
    for (FlushRequest& request : batch) {
      ::close(request.fd);
      request.done(flushed);
    }
    lock.lock();
  }
}

Status Journal::set(std::string_view key, std::string_view value, bool sync) {
  if (Status s = append(kPut, key, value, sync); !s) return s;
  auto it = live_.find(key);
  if (it != live_.end()) {
    live_bytes_ -= kHeaderSize + key.size() + it->second.size();
    it->second = std::string(value);
  } else {
    live_.emplace(std::string(key), std::string(value));
  }
  live_bytes_ += kHeaderSize + key.size() + value.size();
  compactIfWorthIt();
  return okStatus();
}

Status Journal::erase(std::string_view key) {
  return unset(key, true);
}

Status Journal::writeErase(std::string_view key) {
  return unset(key, false);
}

Status Journal::unset(std::string_view key, bool sync) {
  auto it = live_.find(key);
  if (it == live_.end()) return okStatus();
  if (Status s = append(kErase, key, "", sync); !s) return s;
  live_bytes_ -= kHeaderSize + key.size() + it->second.size();
  live_.erase(it);
  compactIfWorthIt();
  return okStatus();
}

void Journal::compactIfWorthIt() {
  if (size_ <= kRewriteAfter || size_ <= 2 * live_bytes_) return;
  // The change is durable already; a journal that stays long is no reason to fail it.
  if (Status s = rewrite(); !s) {
    LOG(WARNING) << "Cannot compact " << path_ << ": " << s.error().message();
  }
}

}  // namespace berth::agent

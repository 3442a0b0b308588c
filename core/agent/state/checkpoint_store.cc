#include "core/agent/state/checkpoint_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace berth::agent {

namespace {

// "BERTHCK1", then the content's length (8 bytes, little-endian) and CRC-32 (4 bytes).
constexpr char kMagic[8] = {'B', 'E', 'R', 'T', 'H', 'C', 'K', '1'};
constexpr size_t kHeaderSize = sizeof(kMagic) + 8 + 4;

uint32_t crc(std::string_view data) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

void putLittleEndian(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t getLittleEndian(const char* in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i)
    value |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return value;
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

Status fsyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return errnoError("open '" + path + "'", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return errnoError("fsync '" + path + "'", err);
  return okStatus();
}

}  // namespace

Status CheckpointStore::write(const std::string& name, std::string_view data) const {
  const std::string target = path(name);
  const std::string dir = std::filesystem::path(target).parent_path().string();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return errnoError("create '" + dir + "'", ec.value());

  std::string file(kMagic, sizeof(kMagic));
  putLittleEndian(file, data.size(), 8);
  putLittleEndian(file, crc(data), 4);
  file.append(data);

  // The temporary file lives beside the target so that rename() stays on one filesystem.
  std::string temporary = target + ".tmp-XXXXXX";
  const int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
  if (fd < 0) return errnoError("create a temporary file beside '" + target + "'", errno);
  Status written = writeAll(fd, file, temporary);
  if (written && ::fsync(fd) != 0) written = errnoError("fsync '" + temporary + "'", errno);
  ::close(fd);
  if (written && ::rename(temporary.c_str(), target.c_str()) != 0) {
    written = errnoError("rename '" + temporary + "' to '" + target + "'", errno);
  }
  if (!written) {
    ::unlink(temporary.c_str());
    return written;
  }
  // The rename itself is durable only once the directory is.
  return fsyncPath(dir, O_RDONLY | O_DIRECTORY);
}

Result<std::string> CheckpointStore::read(const std::string& name) const {
  const std::string file = path(name);
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errnoError("open '" + file + "'", errno);
  std::string content;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return errnoError("read '" + file + "'", err);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);

  const auto corrupt = [&](const std::string& why) {
    return Error(ErrorCode::kInvalidArgument, "checkpoint '" + file + "' is " + why);
  };
  if (content.size() < kHeaderSize || std::memcmp(content.data(), kMagic, sizeof(kMagic)) != 0) {
    return corrupt("not a Berth checkpoint (torn or foreign)");
  }
  const uint64_t length = getLittleEndian(content.data() + sizeof(kMagic), 8);
  const uint32_t expected = static_cast<uint32_t>(getLittleEndian(content.data() + 16, 4));
  if (content.size() - kHeaderSize != length) {
    return corrupt("torn: " + std::to_string(content.size() - kHeaderSize) + " of " +
                   std::to_string(length) + " bytes");
  }
  std::string data = content.substr(kHeaderSize);
  if (crc(data) != expected) return corrupt("corrupt: checksum mismatch");
  return data;
}

Result<std::vector<std::string>> CheckpointStore::list(const std::string& dir) const {
  std::vector<std::string> names;
  std::error_code ec;
  const std::string full = path(dir);
  if (!std::filesystem::exists(full, ec)) return names;
  for (const auto& entry : std::filesystem::directory_iterator(full, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".tmp-") == std::string::npos) names.push_back(name);
  }
  if (ec) return errnoError("list '" + full + "'", ec.value());
  std::sort(names.begin(), names.end());
  return names;
}

Status CheckpointStore::remove(const std::string& name) const {
  std::error_code ec;
  std::filesystem::remove_all(path(name), ec);
  if (ec) return errnoError("remove '" + path(name) + "'", ec.value());
  return okStatus();
}

}  // namespace berth::agent

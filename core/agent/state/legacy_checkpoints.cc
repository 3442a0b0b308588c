#include "core/agent/state/legacy_checkpoints.h"

#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace berth::agent {

namespace {

constexpr char kMagic[8] = {'B', 'E', 'R', 'T', 'H', 'C', 'K', '1'};
constexpr size_t kHeaderSize = sizeof(kMagic) + 8 + 4;

uint64_t littleEndian(const char* in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i)
    value |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return value;
}

// The content of one old checkpoint file, or why it cannot be used.
Result<std::string> readLegacy(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(ErrorCode::kNotFound, "cannot read '" + file + "'");
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  if (bytes.size() < kHeaderSize || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return Error(ErrorCode::kInvalidArgument, "'" + file + "' is not a Berth checkpoint");
  }
  const std::string content = bytes.substr(kHeaderSize);
  const uint32_t expected = static_cast<uint32_t>(littleEndian(bytes.data() + 16, 4));
  const uint32_t actual = static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(content.data()), static_cast<uInt>(content.size())));
  if (content.size() != littleEndian(bytes.data() + 8, 8) || actual != expected) {
    return Error(ErrorCode::kInvalidArgument, "'" + file + "' is torn or corrupt");
  }
  return content;
}

}  // namespace

Status importLegacyCheckpoints(const std::string& meta_dir, Journal& journal,
                               Journal::Contents& contents) {
  const std::filesystem::path dir = std::filesystem::path(meta_dir) / "containers";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return okStatus();
  // Any listing error stops recovery: going on would take the old containers for orphans.
  std::filesystem::directory_iterator entries(dir, ec);
  for (; !ec && entries != std::filesystem::directory_iterator(); entries.increment(ec)) {
    const std::string id = entries->path().filename().string();
    if (contents.records.count(id) != 0 || contents.damaged.count(id) != 0) continue;
    auto content = readLegacy((entries->path() / "state").string());
    if (!content) {
      contents.damaged[id] = content.error().message();
      continue;
    }
    if (Status put = journal.put(id, *content); !put) return put;
    contents.records[id] = *content;
  }
  if (ec) return errnoError("list '" + dir.string() + "'", ec.value());
  const std::filesystem::path kept = std::filesystem::path(meta_dir) / "containers.imported";
  std::filesystem::remove_all(kept, ec);
  if (ec) return errnoError("remove '" + kept.string() + "'", ec.value());
  std::filesystem::rename(dir, kept, ec);
  if (ec) return errnoError("rename '" + dir.string() + "' after importing it", ec.value());
  // The rename lasts only once the directory holding it is flushed.
  return syncDirectory(meta_dir);
}

}  // namespace berth::agent

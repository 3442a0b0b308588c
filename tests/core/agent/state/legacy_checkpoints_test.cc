#include "core/agent/state/legacy_checkpoints.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>

#include "tests/support/temp_dir.h"

namespace berth::agent {
namespace {

// A checkpoint file as the agent wrote them before the journal.
std::string legacyFile(const std::string& content) {
  std::string out = "BERTHCK1";
  const uint64_t size = content.size();
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((size >> (8 * i)) & 0xff));
  const uint32_t crc = static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(content.data()), static_cast<uInt>(content.size())));
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return out + content;
}

TEST(LegacyCheckpointsTest, AnUpgradedAgentKeepsItsContainers) {
  testing::TempDir dir;
  const std::string meta = dir.file("meta");
  for (const char* id : {"old", "torn", "both"})
    std::filesystem::create_directories(meta + "/containers/" + id);
  testing::writeFile(meta + "/containers/old/state", legacyFile("old state"));
  testing::writeFile(meta + "/containers/torn/state", legacyFile("torn state").substr(0, 25));
  testing::writeFile(meta + "/containers/both/state", legacyFile("stale"));

  Journal journal(meta + "/containers.journal");
  auto contents = journal.open();
  ASSERT_TRUE(contents);
  ASSERT_TRUE(journal.put("both", "newer"));
  contents->records["both"] = "newer";
  ASSERT_TRUE(importLegacyCheckpoints(meta, journal, *contents));

  EXPECT_EQ(contents->records.at("old"), "old state");
  EXPECT_EQ(contents->records.at("both"), "newer") << "the journal's record wins";
  ASSERT_EQ(contents->damaged.count("torn"), 1u);
  EXPECT_NE(contents->damaged.at("torn").find("torn or corrupt"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(meta + "/containers"));
  EXPECT_TRUE(std::filesystem::exists(meta + "/containers.imported/torn/state"))
      << "kept for inspection";

  auto reread = Journal::read(meta + "/containers.journal");
  ASSERT_TRUE(reread);
  EXPECT_EQ(reread->records.at("old"), "old state");
  // Nothing left to import the next time.
  ASSERT_TRUE(importLegacyCheckpoints(meta, journal, *contents));
}

}  // namespace
}  // namespace berth::agent

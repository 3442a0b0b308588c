#include "core/agent/state/checkpoint_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace berth::agent {
namespace {

class CheckpointStoreTest : public ::testing::Test {
 protected:
  std::string raw(const std::string& name) {
    std::ifstream in(dir_.file("meta/" + name), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void overwrite(const std::string& name, const std::string& bytes) {
    testing::writeFile(dir_.file("meta/" + name), bytes);
  }

  testing::TempDir dir_;
  CheckpointStore store_{dir_.file("meta")};
};

TEST_F(CheckpointStoreTest, RoundTripAndReplace) {
  const std::string binary("a\0b\xff", 4);
  ASSERT_TRUE(store_.write("containers/c-1/state", binary));
  EXPECT_EQ(*store_.read("containers/c-1/state"), binary);
  ASSERT_TRUE(store_.write("containers/c-1/state", "second"));
  EXPECT_EQ(*store_.read("containers/c-1/state"), "second");
  ASSERT_TRUE(store_.write("containers/c-1/state", ""));
  EXPECT_EQ(*store_.read("containers/c-1/state"), "");
  // No temporary files are left behind.
  EXPECT_EQ(*store_.list("containers/c-1"), std::vector<std::string>{"state"});
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.file("meta/containers/c-1")),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(CheckpointStoreTest, MissingRecordIsNotFound) {
  auto missing = store_.read("containers/nope/state");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

TEST_F(CheckpointStoreTest, TornFileIsReportedNotMisread) {
  ASSERT_TRUE(store_.write("x", "a fairly long checkpoint payload"));
  const std::string full = raw("x");
  overwrite("x", full.substr(0, full.size() - 5));
  auto torn = store_.read("x");
  ASSERT_FALSE(torn);
  EXPECT_EQ(torn.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(torn.error().message().find("is torn: 27 of 32 bytes"), std::string::npos)
      << torn.error().message();

  overwrite("x", full.substr(0, 6));
  EXPECT_NE(store_.read("x").error().message().find("not a Berth checkpoint"), std::string::npos);
}

TEST_F(CheckpointStoreTest, FlippedBitIsReported) {
  ASSERT_TRUE(store_.write("x", "payload"));
  std::string bytes = raw("x");
  bytes.back() ^= 0x01;
  overwrite("x", bytes);
  auto corrupt = store_.read("x");
  ASSERT_FALSE(corrupt);
  EXPECT_NE(corrupt.error().message().find("checksum mismatch"), std::string::npos);
}

TEST_F(CheckpointStoreTest, ListAndRemove) {
  EXPECT_TRUE(store_.list("containers")->empty());
  ASSERT_TRUE(store_.write("containers/b/state", "1"));
  ASSERT_TRUE(store_.write("containers/a/state", "2"));
  EXPECT_EQ(*store_.list("containers"), (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(store_.remove("containers/a"));
  EXPECT_EQ(*store_.list("containers"), std::vector<std::string>{"b"});
  EXPECT_TRUE(store_.remove("containers/never"));
}

TEST_F(CheckpointStoreTest, UnwritableRootIsAnError) {
  testing::writeFile(dir_.file("file"), "x");
  CheckpointStore blocked(dir_.file("file") + "/meta");
  Status s = blocked.write("a", "b");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("create '"), std::string::npos) << s.error().message();
}

}  // namespace
}  // namespace berth::agent

#include "core/net/recordio.h"

#include <gtest/gtest.h>

namespace berth::net {
namespace {

TEST(RecordIoTest, EncodesLengthNewlineBytes) {
  EXPECT_EQ(encodeRecord("hello"), "5\nhello");
  EXPECT_EQ(encodeRecord(""), "0\n");
  EXPECT_EQ(encodeRecord(std::string(12, 'x')), "12\n" + std::string(12, 'x'));
}

TEST(RecordIoTest, DecodesWholeStream) {
  RecordIoDecoder decoder;
  auto records = decoder.decode(encodeRecord("{\"a\":1}") + encodeRecord("") + encodeRecord("b"));
  ASSERT_TRUE(records) << records.error().message();
  EXPECT_EQ(*records, (std::vector<std::string>{"{\"a\":1}", "", "b"}));
  EXPECT_TRUE(decoder.atBoundary());
}

TEST(RecordIoTest, DecodesAcrossEverySplitPoint) {
  const std::string stream = encodeRecord("first record") + encodeRecord("second\nwith newline");
  for (size_t split = 0; split <= stream.size(); ++split) {
    RecordIoDecoder decoder;
    auto a = decoder.decode(stream.substr(0, split));
    auto b = decoder.decode(stream.substr(split));
    ASSERT_TRUE(a && b) << "split at " << split;
    std::vector<std::string> all = *a;
    all.insert(all.end(), b->begin(), b->end());
    EXPECT_EQ(all, (std::vector<std::string>{"first record", "second\nwith newline"}))
        << "split at " << split;
  }
}

TEST(RecordIoTest, ByteAtATime) {
  const std::string stream = encodeRecord("abc") + encodeRecord("defgh");
  RecordIoDecoder decoder;
  std::vector<std::string> all;
  for (char c : stream) {
    auto got = decoder.decode(std::string_view(&c, 1));
    ASSERT_TRUE(got);
    all.insert(all.end(), got->begin(), got->end());
  }
  EXPECT_EQ(all, (std::vector<std::string>{"abc", "defgh"}));
}

TEST(RecordIoTest, PartialRecordIsNotABoundary) {
  RecordIoDecoder decoder;
  ASSERT_TRUE(decoder.decode("5\nhel"));
  EXPECT_FALSE(decoder.atBoundary());
  auto rest = decoder.decode("lo");
  ASSERT_TRUE(rest);
  EXPECT_EQ(*rest, std::vector<std::string>{"hello"});
  EXPECT_TRUE(decoder.atBoundary());
}

TEST(RecordIoTest, RejectsGarbageLengthAndStaysFailed) {
  RecordIoDecoder decoder;
  auto bad = decoder.decode("1x\nab");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("decimal record length"), std::string::npos);
  EXPECT_FALSE(decoder.decode("1\na"));
}

TEST(RecordIoTest, RejectsEmptyAndHugeLengths) {
  EXPECT_FALSE(RecordIoDecoder().decode("\nabc"));
  RecordIoDecoder small(10);
  auto big = small.decode("11\n");
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message().find("exceeds the 10-byte limit"), std::string::npos);
  EXPECT_FALSE(RecordIoDecoder().decode(std::string(25, '9') + "\n"));
}

}  // namespace
}  // namespace berth::net

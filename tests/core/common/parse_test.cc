#include "core/common/parse.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(ParseTest, Bools) {
  for (const char* yes : {"true", "TRUE", "1", "yes", "on"})
    EXPECT_TRUE(*parseBool(yes)) << yes;
  for (const char* no : {"false", "False", "0", "no", "off"})
    EXPECT_FALSE(*parseBool(no)) << no;
  auto bad = parseBool("maybe");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "expected true or false, got 'maybe'");
  EXPECT_FALSE(parseBool(""));
}

TEST(ParseTest, Integers) {
  EXPECT_EQ(*parseInt("42", 0, 100), 42);
  EXPECT_EQ(*parseInt("-3", -5, 5), -3);
  EXPECT_FALSE(parseInt("", 0, 10));
  EXPECT_FALSE(parseInt("4x", 0, 10));
  EXPECT_FALSE(parseInt(" 4", 0, 10));
  auto out = parseInt("101", 0, 100);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().message(), "'101' is outside [0, 100]");
  EXPECT_FALSE(parseInt("99999999999999999999999", 0, 100));
}

TEST(ParseTest, Durations) {
  using namespace std::chrono_literals;
  EXPECT_EQ(*parseDuration("30secs"), 30s);
  EXPECT_EQ(*parseDuration("100ms"), 100ms);
  EXPECT_EQ(*parseDuration("1.5mins"), 90s);
  EXPECT_EQ(*parseDuration("2hrs"), 2h);
  EXPECT_EQ(*parseDuration("5ns"), 5ns);
  for (const char* bad : {"", "30", "secs", "30 secs", "30seconds", "-1secs", "1..2ms"}) {
    auto r = parseDuration(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message().find("expected a duration"), std::string::npos);
  }
}

}  // namespace
}  // namespace berth

#include "core/common/result.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace berth {
namespace {

Result<int> half(int n) {
  if (n % 2 != 0) return Error(ErrorCode::kInvalidArgument, std::to_string(n) + " is odd");
  return n / 2;
}

TEST(ResultTest, CarriesValueOrError) {
  auto ok = half(4);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 2);

  auto bad = half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message(), "3 is odd");
}

TEST(ResultTest, ContextIsPrefixed) {
  Error e = half(3).error().withContext("halving 'x'").withContext("BERTH_X");
  EXPECT_EQ(e.message(), "BERTH_X: halving 'x': 3 is odd");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
}

TEST(ResultTest, VoidResult) {
  Status ok = okStatus();
  EXPECT_TRUE(ok);
  Status bad = Error(ErrorCode::kTimeout, "late");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kTimeout);
}

TEST(ResultTest, ErrnoErrorsAreClassified) {
  EXPECT_EQ(errnoError("open x", ENOENT).code(), ErrorCode::kNotFound);
  EXPECT_EQ(errnoError("mount", EPERM).code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(errnoError("mount", EPERM).message(), "mount: Operation not permitted");
  EXPECT_EQ(errnoError("write", ENOSPC).code(), ErrorCode::kIo);
}

}  // namespace
}  // namespace berth

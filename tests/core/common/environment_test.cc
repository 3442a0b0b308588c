#include "core/common/environment.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace berth {
namespace {

TEST(EnvironmentTest, MapLookupAndPrefix) {
  Environment env({{"A_X", "1"}, {"A_Y", ""}, {"B", "2"}});
  EXPECT_EQ(env.get("A_X"), "1");
  EXPECT_EQ(env.get("A_Y"), "");
  EXPECT_EQ(env.get("C"), std::nullopt);
  EXPECT_EQ(env.namesWithPrefix("A_"), (std::vector<std::string>{"A_X", "A_Y"}));
}

TEST(EnvironmentTest, ProcessSnapshot) {
  ::setenv("BERTH_ENVIRONMENT_TEST", "a=b", 1);
  Environment env = Environment::process();
  ::unsetenv("BERTH_ENVIRONMENT_TEST");
  // Values containing '=' survive, and the snapshot does not follow later changes.
  EXPECT_EQ(env.get("BERTH_ENVIRONMENT_TEST"), "a=b");
}

}  // namespace
}  // namespace berth

// Why: Result is how every expected failure travels; SLUICE_TRY must propagate the first error.
#include "base/result.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return Error(Errc::invalid_argument, "not positive: " + std::to_string(v));
  return v;
}

Result<int> add_two(int a, int b) {
  SLUICE_TRY(parse_positive(a));
  SLUICE_TRY(parse_positive(b));
  return a + b;
}

TEST(Result, CarriesValueOrError) {
  auto good = add_two(1, 2);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 3);
  auto bad = add_two(1, -5);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), Errc::invalid_argument);
  EXPECT_EQ(bad.error().to_string(), "invalid argument: not positive: -5");
}

TEST(Result, StatusDefaultsToOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  Status failed = Error(Errc::timeout, "slow");
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code(), Errc::timeout);
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  Result<int> r = Error(Errc::io, "x");
  EXPECT_DEATH((void)r.value(), "invariant broken");
}

}  // namespace
}  // namespace sluice

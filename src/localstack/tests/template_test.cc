// Why: a config template and its caller drifting apart must fail loudly, not start a server with
// a literal "@DATA_DIR@" in its configuration.
#include "localstack/template.h"

#include <gtest/gtest.h>

namespace sluice::localstack {
namespace {

TEST(Template, ReplacesEveryPlaceholder) {
  auto r = render_template("a=@A@ b=@B_2@ @A@", {{"A", "1"}, {"B_2", "two"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "a=1 b=two 1");
}

TEST(Template, MissingValueIsAnErrorNamingIt) {
  auto r = render_template("x=@MISSING@", {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("@MISSING@"), std::string::npos);
}

TEST(Template, LeavesOtherAtSignsAlone) {
  auto r = render_template("user@host @ @@ @lower@", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "user@host @ @@ @lower@");
}

}  // namespace
}  // namespace sluice::localstack

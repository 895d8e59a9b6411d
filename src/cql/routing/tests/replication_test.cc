// Why: a keyspace whose replication is misread is routed to hosts that are not its replicas; the
// maps here are shaped as system_schema.keyspaces stores them.
#include "cql/routing/replication.h"

#include <gtest/gtest.h>

namespace sluice::cql {
namespace {

TEST(Replication, ParsesSimpleStrategyByFullAndShortName) {
  auto full =
      parse_replication({{"class", "org.apache.cassandra.locator.SimpleStrategy"}, {"replication_factor", "3"}});
  ASSERT_TRUE(full.ok()) << full.error().to_string();
  EXPECT_EQ(full->kind, StrategyKind::simple);
  EXPECT_EQ(full->replication_factor, 3);
  EXPECT_EQ(full->to_string(), "SimpleStrategy(3)");

  auto short_name = parse_replication({{"class", "SimpleStrategy"}, {"replication_factor", "1"}, {"future", "x"}});
  ASSERT_TRUE(short_name.ok());
  EXPECT_EQ(short_name->replication_factor, 1);
}

TEST(Replication, ParsesNetworkTopologyStrategySortedByDatacenter) {
  auto r = parse_replication({{"class", "org.apache.cassandra.locator.NetworkTopologyStrategy"},
                              {"eu-west", "2"},
                              {"DC1", "3"},
                              {"dc0", "0"}});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->kind, StrategyKind::network_topology);
  EXPECT_EQ(r->datacenters, (std::vector<DatacenterFactor>{{"DC1", 3}, {"dc0", 0}, {"eu-west", 2}}));
  EXPECT_EQ(r->to_string(), "NetworkTopologyStrategy(DC1: 3, dc0: 0, eu-west: 2)");

  auto none = parse_replication({{"class", "NetworkTopologyStrategy"}});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->datacenters.empty());
}

TEST(Replication, TransientFormCountsEveryReplica) {
  auto r = parse_replication({{"class", "NetworkTopologyStrategy"}, {"dc1", "3/1"}});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->datacenters, (std::vector<DatacenterFactor>{{"dc1", 3}}));
  auto s = parse_replication({{"class", "SimpleStrategy"}, {"replication_factor", "2/0"}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->replication_factor, 2);
}

TEST(Replication, LocalAndEverywhere) {
  auto local = parse_replication({{"class", "org.apache.cassandra.locator.LocalStrategy"}});
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->kind, StrategyKind::local);
  EXPECT_EQ(local->to_string(), "LocalStrategy");
  auto everywhere = parse_replication({{"class", "org.apache.cassandra.locator.EverywhereStrategy"}});
  ASSERT_TRUE(everywhere.ok());
  EXPECT_EQ(everywhere->kind, StrategyKind::everywhere);
}

TEST(Replication, RefusesWhatItCannotRouteBy) {
  auto code = [](const std::map<std::string, std::string>& m) {
    auto r = parse_replication(m);
    return r.ok() ? std::string("ok") : std::string(errc_name(r.error().code()));
  };
  const std::string invalid_argument(errc_name(Errc::invalid_argument));
  EXPECT_EQ(code({}), invalid_argument);
  EXPECT_EQ(code({{"class", "org.apache.cassandra.locator.MetaStrategy"}}), invalid_argument);
  EXPECT_EQ(code({{"class", "com.example.CustomStrategy"}}), invalid_argument);
  EXPECT_EQ(code({{"class", "SimpleStrategy"}}), invalid_argument);
  EXPECT_EQ(code({{"class", "NetworkTopologyStrategy"}, {"replication_factor", "3"}}), invalid_argument);
  for (const char* bad : {"", "x", "-1", "3x", " 3", "3/", "/1", "3/x", "3/4", "3/-1", "99999999999"}) {
    EXPECT_EQ(code({{"class", "SimpleStrategy"}, {"replication_factor", bad}}), invalid_argument) << bad;
    EXPECT_EQ(code({{"class", "NetworkTopologyStrategy"}, {"dc1", bad}}), invalid_argument) << bad;
  }
  auto r = parse_replication({{"class", "NetworkTopologyStrategy"}, {"dc1", "three"}});
  EXPECT_NE(r.error().message().find("dc1"), std::string::npos) << r.error().message();
}

TEST(Replication, ParsesTheCqlshLiteral) {
  auto r = parse_replication_literal(
      "{'class': 'org.apache.cassandra.locator.NetworkTopologyStrategy', 'dc1': '3', 'dc2': '2'}");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->datacenters, (std::vector<DatacenterFactor>{{"dc1", 3}, {"dc2", 2}}));

  auto s = parse_replication_literal(" {\n'class':'SimpleStrategy' ,'replication_factor' : '3'} ");
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(s->replication_factor, 3);
}

TEST(CqlStringMap, HandlesEscapesEmptyMapsAndMalformedText) {
  auto m = parse_cql_string_map("{'it''s': '', '': 'x'}");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(*m, (std::map<std::string, std::string>{{"it's", ""}, {"", "x"}}));
  auto empty = parse_cql_string_map("{ }");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  for (const char* bad : {"", "{", "}", "{'a': 'b'", "{'a' 'b'}", "{'a': 'b',}", "{'a': b}", "{'a: 'b'}",
                          "{'a': 'b'} x", "{'a': 'b', 'a': 'c'}", "['a']", "{'a': 'b'}}"}) {
    auto r = parse_cql_string_map(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), Errc::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace sluice::cql

// Why: routing, consistency and failover tests need a real multi-node ring. The cluster3 fixture
// must be one ring of three (not three lone nodes), and every node must answer CQL.
#include <algorithm>
#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "cql/client/connection.h"
#include "support/stack.h"

namespace sluice {
namespace {

std::vector<std::string> peers_of(int index) {
  auto conn = cql::Connection::open(testing::cluster3_options(index));
  if (!conn.ok()) {
    ADD_FAILURE() << conn.error().to_string();
    return {};
  }
  auto r = (*conn)->query("SELECT peer FROM system.peers_v2");
  if (!r.ok()) {
    ADD_FAILURE() << r.error().to_string();
    return {};
  }
  auto& rows = std::get<cql::Rows>(*r);
  std::vector<std::string> peers;
  for (std::size_t i = 0; i < rows.row_count; ++i) peers.push_back(std::get<cql::Inet>(*rows.cell(i, 0)).to_string());
  std::sort(peers.begin(), peers.end());
  return peers;
}

TEST(Cluster3, EveryNodeAnswersAndNodeOneSeesTheOtherTwo) {
  SLUICE_REQUIRE_CLUSTER3();
  auto addresses = testing::cluster3_addresses();
  ASSERT_EQ(addresses.size(), 3U);
  for (int i = 1; i <= 3; ++i) {
    auto conn = cql::Connection::open(testing::cluster3_options(i));
    ASSERT_TRUE(conn.ok()) << addresses[static_cast<std::size_t>(i - 1)] << ": " << conn.error().to_string();
    auto r = (*conn)->query("SELECT listen_address FROM system.local");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(std::get<cql::Inet>(*std::get<cql::Rows>(*r).cell(0, 0)).to_string(),
              addresses[static_cast<std::size_t>(i - 1)]);
  }
  EXPECT_EQ(peers_of(1), (std::vector<std::string>{addresses[1], addresses[2]}));
  EXPECT_EQ(peers_of(3), (std::vector<std::string>{addresses[0], addresses[1]}));
}

// Killing and restarting a node is exercised under load by cql_cluster_test.cc.

}  // namespace
}  // namespace sluice

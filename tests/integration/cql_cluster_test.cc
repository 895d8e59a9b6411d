// Why: token-aware routing and the retry rules only show on a real multi-node ring. On the
// three-node fixture cluster (127.0.4.1-3): every request goes straight to its replica (per-node
// counts equal ownership computed independently from token() and the ring's own tokens), and a
// node killed in the middle of a QUORUM write load (RF 3) costs no idempotent write; once it is
// back, traffic returns to it.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fmt/format.h>
#include <map>
#include <thread>

#include "cql/client/connection.h"
#include "cql/client/session.h"
#include "support/stack.h"

namespace sluice {
namespace {

using namespace cql;  // NOLINT(google-build-using-namespace): a test of this namespace

std::shared_ptr<Session> connect_cluster() {
  SessionOptions o;
  o.contact_points = testing::cluster3_addresses();
  o.port = testing::cluster3_options(1).port;
  o.request_timeout = std::chrono::milliseconds(4000);
  o.reconnect_base_delay = std::chrono::milliseconds(200);
  o.reconnect_max_delay = std::chrono::milliseconds(2000);
  auto s = Session::connect(o);
  EXPECT_TRUE(s.ok()) << s.error().to_string();
  return s.ok() ? *s : nullptr;
}

std::map<std::string, std::uint64_t> requests_by_host(Session& s) {
  std::map<std::string, std::uint64_t> out;
  for (const auto& h : s.hosts()) out[h.address] = h.requests;
  return out;
}

std::int64_t parse_token(const Value& v) { return std::stoll(std::get<std::string>(v)); }

TEST(CqlCluster, RequestsGoToTheirReplica) {
  SLUICE_REQUIRE_CLUSTER3();
  auto s = connect_cluster();
  ASSERT_TRUE(s);
  ASSERT_EQ(s->hosts().size(), 3U);
  auto ks = testing::unique_name("route");
  ASSERT_TRUE(s->execute(Statement(fmt::format(
                  "CREATE KEYSPACE {} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}", ks)))
                  .ok());
  ASSERT_TRUE(s->execute(Statement(fmt::format("CREATE TABLE {}.t (id bigint PRIMARY KEY, v int)", ks))).ok());
  auto insert = s->prepare(fmt::format("INSERT INTO {}.t (id, v) VALUES (?, ?)", ks));
  ASSERT_TRUE(insert.ok());

  // The ring as the nodes describe themselves, read by this test: token -> node address.
  std::map<std::int64_t, std::string> ring;
  for (int node = 1; node <= 3; ++node) {
    // One blocking connection to exactly this node: system.local is per node.
    auto direct = Connection::open(testing::cluster3_options(node));
    ASSERT_TRUE(direct.ok()) << direct.error().to_string();
    auto local = (*direct)->query("SELECT tokens FROM system.local");
    ASSERT_TRUE(local.ok());
    auto tokens = std::get<Rows>(*local).cell(0, 0);
    ASSERT_TRUE(tokens.ok());
    for (const auto& t : std::get<Set>(*tokens).items) ring[parse_token(t)] = testing::cluster3_addresses()[node - 1];
  }
  ASSERT_FALSE(ring.empty());

  constexpr int kKeys = 600;
  auto before = requests_by_host(*s);
  for (int id = 0; id < kKeys; ++id) {
    ASSERT_TRUE(s->execute(Statement(*insert, {std::int64_t{id}, std::int32_t{id}})).ok());
  }
  auto after = requests_by_host(*s);
  // Where each key belongs: Cassandra's token() and the ring, both read by this test.
  std::map<std::string, std::uint64_t> expected;
  for (int id = 0; id < kKeys; ++id) {
    auto token = s->execute(Statement(fmt::format("SELECT token(id) FROM {}.t WHERE id = ?", ks), {std::int64_t{id}}));
    ASSERT_TRUE(token.ok());
    ASSERT_EQ(token->size(), 1U);
    auto t = *token->row(0).get<std::int64_t>(0);
    auto owner = ring.lower_bound(t);
    if (owner == ring.end()) owner = ring.begin();  // wraps around
    expected[fmt::format("{}:{}", owner->second, testing::cluster3_options(1).port)] += 1;
  }
  for (const auto& [host, count] : expected) {
    EXPECT_EQ(after[host] - before[host], count) << host;
  }
  EXPECT_EQ(expected.size(), 3U) << "every node owns some of 600 keys";
  (void)s->execute(Statement(fmt::format("DROP KEYSPACE {}", ks)));
}

TEST(CqlCluster, NodeKilledUnderQuorumWritesLosesNoIdempotentWrite) {
  SLUICE_REQUIRE_CLUSTER3();
  auto s = connect_cluster();
  ASSERT_TRUE(s);
  auto ks = testing::unique_name("kill");
  ASSERT_TRUE(s->execute(Statement(fmt::format(
                  "CREATE KEYSPACE {} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 3}}", ks)))
                  .ok());
  ASSERT_TRUE(s->execute(Statement(fmt::format("CREATE TABLE {}.t (id bigint PRIMARY KEY, v bigint)", ks))).ok());
  auto insert = s->prepare(fmt::format("INSERT INTO {}.t (id, v) VALUES (?, ?)", ks));
  ASSERT_TRUE(insert.ok()) << insert.error().to_string();
  const std::string victim = fmt::format("{}:{}", testing::cluster3_addresses()[1], testing::cluster3_options(2).port);

  std::atomic<std::int64_t> next_id{0};
  std::atomic<std::int64_t> failed{0};
  std::atomic<bool> stop{false};
  std::mutex first_error_mu;
  std::string first_error;
  // 32 writers, each keeping one QUORUM write in flight.
  std::vector<std::thread> writers;
  for (int w = 0; w < 32; ++w) {
    writers.emplace_back([&] {
      while (!stop) {
        std::int64_t id = next_id.fetch_add(1);
        auto r = s->execute(Statement(*insert, {id, id * 7}).set_consistency(Consistency::quorum).set_idempotent());
        if (!r.ok()) {
          failed.fetch_add(1);
          std::lock_guard lock(first_error_mu);
          if (first_error.empty()) first_error = r.error().to_string();
        }
      }
    });
  }
  auto wait_writes = [&](std::int64_t more) {
    auto target = next_id.load() + more;
    while (next_id.load() < target && failed.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  };
  wait_writes(2000);
  auto before_kill = requests_by_host(*s);
  EXPECT_GT(before_kill[victim], 0U) << "the victim took traffic before the kill";
  ASSERT_TRUE(testing::kill_cluster_node(2).ok());
  wait_writes(3000);  // the load goes on through the failure
  auto host_state = [&](bool want_up) {
    for (const auto& h : s->hosts()) {
      if (h.address == victim) return h.up == want_up;
    }
    return false;
  };
  EXPECT_TRUE(host_state(false)) << "the session noticed the node is down";
  auto restarted = testing::restart_cluster_node(2);
  ASSERT_TRUE(restarted.ok()) << restarted.error().to_string();
  // Traffic returns: wait (bounded) for the session to reconnect and send it requests again.
  auto at_restart = requests_by_host(*s)[victim];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && requests_by_host(*s)[victim] < at_restart + 500) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop = true;
  for (auto& t : writers) t.join();
  EXPECT_EQ(failed.load(), 0) << first_error;
  EXPECT_GE(requests_by_host(*s)[victim], at_restart + 500) << "traffic returned to the restarted node";

  // Every acknowledged write is there, read at QUORUM (idempotent writes may have landed twice:
  // same cell, same value).
  std::int64_t written = next_id.load();
  // Paged, so that no single request has to scan the whole table within the server's timeout.
  std::int64_t rows = 0;
  bool values_right = true;
  auto pages = s->pages(Statement(fmt::format("SELECT id, v FROM {}.t", ks)).set_consistency(Consistency::quorum)
                            .set_page_size(2000));
  auto st = pages.for_each([&](Row row) {
    ++rows;
    values_right = values_right && *row.get<std::int64_t>(1) == *row.get<std::int64_t>(0) * 7;
  });
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(rows, written);
  EXPECT_TRUE(values_right);
  (void)s->execute(Statement(fmt::format("DROP KEYSPACE {}", ks)));
}

}  // namespace
}  // namespace sluice

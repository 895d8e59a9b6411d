// Why: the foundation's CQL connection is what the readiness check and the first pipeline stand
// on. Against the real Cassandra: DDL, prepared writes with bound values, typed reads, pipelined
// writes counted back, and server errors decoded with their CQL code.
#include <gtest/gtest.h>

#include "cql/client/connection.h"
#include "support/stack.h"

namespace sluice {
namespace {

TEST(CqlConnection, WritesAndReadsTypedRows) {
  SLUICE_REQUIRE_CASSANDRA();
  testing::TestKeyspace ks("cqlconn");
  auto& db = ks.connection();
  ASSERT_TRUE(db.query("CREATE TABLE " + ks.name() +
                       ".t (id int PRIMARY KEY, name text, big bigint, d double, flag boolean, at timestamp, b blob)")
                  .ok());
  auto insert = db.prepare("INSERT INTO " + ks.name() + ".t (id, name, big, d, flag, at, b) VALUES (?, ?, ?, ?, ?, ?, ?)");
  ASSERT_TRUE(insert.ok()) << insert.error().to_string();
  EXPECT_EQ(insert->bind_columns.size(), 7U);
  ASSERT_EQ(insert->partition_key_indexes.size(), 1U);
  EXPECT_EQ(insert->partition_key_indexes[0], 0);
  auto w = db.execute(*insert, {.values = {std::int32_t{1}, std::string("grüße"), std::int64_t{1} << 50, 2.5, true,
                                           cql::Timestamp{1700000000123}, cql::Blob{std::string("\x00\xff", 2)}}});
  ASSERT_TRUE(w.ok()) << w.error().to_string();

  auto r = db.query("SELECT id, name, big, d, flag, at, b FROM " + ks.name() + ".t WHERE id = ?",
                    {.values = {std::int32_t{1}}});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  auto& rows = std::get<cql::Rows>(*r);
  ASSERT_EQ(rows.row_count, 1U);
  EXPECT_EQ(std::get<std::string>(*rows.cell(0, 1)), "grüße");
  EXPECT_EQ(std::get<std::int64_t>(*rows.cell(0, 2)), std::int64_t{1} << 50);
  EXPECT_EQ(std::get<double>(*rows.cell(0, 3)), 2.5);
  EXPECT_EQ(std::get<bool>(*rows.cell(0, 4)), true);
  EXPECT_EQ(std::get<cql::Timestamp>(*rows.cell(0, 5)).millis, 1700000000123);
  EXPECT_EQ(std::get<cql::Blob>(*rows.cell(0, 6)).bytes, std::string("\x00\xff", 2));
}

TEST(CqlConnection, PipelinedWritesAllLand) {
  SLUICE_REQUIRE_CASSANDRA();
  testing::TestKeyspace ks("cqlpipe");
  auto& db = ks.connection();
  ASSERT_TRUE(db.query("CREATE TABLE " + ks.name() + ".t (p int, c int, v text, PRIMARY KEY (p, c))").ok());
  auto insert = db.prepare("INSERT INTO " + ks.name() + ".t (p, c, v) VALUES (?, ?, ?)");
  ASSERT_TRUE(insert.ok());
  std::vector<cql::QueryParams> params;
  for (int i = 0; i < 5000; ++i) {
    params.push_back({.consistency = cql::Consistency::one, .values = {std::int32_t{i % 10}, std::int32_t{i},
                                                                       std::string("v") + std::to_string(i)}});
  }
  auto results = db.execute_pipelined(*insert, params, 128);
  ASSERT_EQ(results.size(), params.size());
  for (auto& res : results) ASSERT_TRUE(res.ok()) << res.error().to_string();
  std::int64_t total = 0;
  for (int p = 0; p < 10; ++p) {
    auto c = db.query("SELECT COUNT(*) FROM " + ks.name() + ".t WHERE p = ?", {.values = {std::int32_t{p}}});
    ASSERT_TRUE(c.ok());
    total += std::get<std::int64_t>(*std::get<cql::Rows>(*c).cell(0, 0));
  }
  EXPECT_EQ(total, 5000);
}

TEST(CqlConnection, ServerErrorsAreTyped) {
  SLUICE_REQUIRE_CASSANDRA();
  auto conn = cql::Connection::open(testing::cassandra_options());
  ASSERT_TRUE(conn.ok());
  auto syntax = (*conn)->query("SELEC nonsense");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.error().code(), Errc::server);
  EXPECT_EQ(syntax.error().detail(), 0x2000);
  auto invalid = (*conn)->query("SELECT * FROM no_such_keyspace_xyz.t");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().detail(), 0x2200);
  // The connection is still usable after server errors.
  EXPECT_TRUE((*conn)->query("SELECT release_version FROM system.local").ok());
}

TEST(CqlConnection, ProbeAnswersSupportedOptions) {
  SLUICE_REQUIRE_CASSANDRA();
  auto supported = cql::Connection::probe(testing::cassandra_options());
  ASSERT_TRUE(supported.ok()) << supported.error().to_string();
  ASSERT_TRUE(supported->count("CQL_VERSION"));
  ASSERT_TRUE(supported->count("PROTOCOL_VERSIONS"));
}

TEST(CqlConnection, RefusedPortIsUnavailable) {
  auto conn = cql::Connection::open({.host = "127.0.0.1", .port = 1});
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.error().code(), Errc::unavailable);
}

}  // namespace
}  // namespace sluice

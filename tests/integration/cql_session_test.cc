// Why: the Session is the driver the sink and every other part stands on. Against the real local
// Cassandra: protocol negotiation and compression, every CQL type written and read back through
// prepared statements, 100,000 rows paged, batches of every kind with prepared and plain
// statements mixed, lightweight transactions with serial consistency, typed server errors,
// schema metadata, and the token of 1,000 varied keys equal to what Cassandra computes.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <future>
#include <fmt/format.h>
#include <random>
#include <set>
#include <thread>

#include "cql/client/connection.h"
#include "cql/client/policies.h"
#include "cql/client/session.h"
#include "cql/routing/partition_key.h"
#include "support/stack.h"

namespace sluice {
namespace {

using namespace cql;  // NOLINT(google-build-using-namespace): a test of this namespace

SessionOptions local_options() {
  auto conn = testing::cassandra_options();
  SessionOptions o;
  o.contact_points = {conn.host};
  o.port = conn.port;
  return o;
}

std::shared_ptr<Session> connect(SessionOptions o = local_options()) {
  auto s = Session::connect(std::move(o));
  EXPECT_TRUE(s.ok()) << s.error().to_string();
  return s.ok() ? *s : nullptr;
}

// A keyspace for one test, made and dropped through the session under test.
class SessionKeyspace {
 public:
  SessionKeyspace(Session& s, std::string_view prefix) : session_(s), name_(testing::unique_name(prefix)) {
    auto r = s.execute(Statement(fmt::format(
        "CREATE KEYSPACE {} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}", name_)));
    EXPECT_TRUE(r.ok()) << r.error().to_string();
  }
  ~SessionKeyspace() { (void)session_.execute(Statement(fmt::format("DROP KEYSPACE IF EXISTS {}", name_))); }
  const std::string& name() const { return name_; }

 private:
  Session& session_;
  std::string name_;
};

TEST(CqlSession, NegotiatesV5AndKnowsTheCluster) {
  SLUICE_REQUIRE_CASSANDRA();
  auto s = connect();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->protocol_version(), ProtocolVersion::v5);
  auto hosts = s->hosts();
  ASSERT_EQ(hosts.size(), 1U);
  EXPECT_TRUE(hosts[0].up);
  EXPECT_EQ(hosts[0].datacenter, "datacenter1");
  EXPECT_FALSE(hosts[0].host_id.empty());
  EXPECT_EQ(hosts[0].release_version.substr(0, 2), "5.");
  auto r = s->execute(Statement("SELECT release_version FROM system.local"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ(*r->row(0).get<std::string>("release_version"), hosts[0].release_version);
}

// Every combination of protocol version and compression answers the same query.
TEST(CqlSession, V4AndV5WithAndWithoutLz4) {
  SLUICE_REQUIRE_CASSANDRA();
  for (auto version : {ProtocolVersion::v4, ProtocolVersion::v5}) {
    for (auto compression : {Compression::none, Compression::lz4}) {
      auto o = local_options();
      o.max_protocol_version = version;
      o.compression = compression;
      auto s = connect(o);
      ASSERT_TRUE(s) << "v" << static_cast<int>(version) << (compression == Compression::lz4 ? " lz4" : "");
      EXPECT_EQ(s->protocol_version(), version);
      // Big enough that lz4 has something to do and that v5 slices it over several segments.
      auto r = s->execute(Statement("SELECT keyspace_name, table_name, column_name, type FROM system_schema.columns"));
      ASSERT_TRUE(r.ok()) << r.error().to_string();
      EXPECT_GT(r->size(), 100U);
    }
  }
}

TEST(CqlSession, EveryTypeRoundTrips) {
  SLUICE_REQUIRE_CASSANDRA();
  auto s = connect();
  ASSERT_TRUE(s);
  SessionKeyspace ks(*s, "types");
  const auto& k = ks.name();
  ASSERT_TRUE(s->execute(Statement(fmt::format("CREATE TYPE {}.addr (street text, no int)", k))).ok());
  auto created = s->execute(Statement(fmt::format(
      "CREATE TABLE {}.t (id int PRIMARY KEY, a ascii, b bigint, bl blob, bo boolean, de decimal, do double, "
      "fl float, i int, ts timestamp, u uuid, te text, vi varint, tu timeuuid, ine inet, da date, ti time, "
      "sm smallint, tiny tinyint, du duration, li list<int>, se set<text>, ma map<text, bigint>, "
      "tup tuple<int, text>, ad frozen<addr>, ve vector<float, 3>, nested map<text, frozen<list<int>>>)",
      k)));
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  const char* columns = "id, a, b, bl, bo, de, do, fl, i, ts, u, te, vi, tu, ine, da, ti, sm, tiny, du, li, se, ma, "
                        "tup, ad, ve, nested";
  auto insert = s->prepare(fmt::format("INSERT INTO {}.t ({}) VALUES ({})", k, columns,
                                       "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"));
  ASSERT_TRUE(insert.ok()) << insert.error().to_string();
  std::vector<Value> values{
      std::int32_t{7},
      std::string("plain ascii"),
      std::int64_t{-9007199254740993},
      Blob{std::string("\x00\x01\xfe\xff", 4)},
      true,
      *Decimal::from_string("-12345678901234567890.000123"),
      -0.1,
      3.25F,
      std::int32_t{-2147483647},
      Timestamp{-86400000},
      *Uuid::from_string("8d7f2b9e-4b1a-4c6e-9a2f-0123456789ab"),
      std::string("grüße, 世界"),
      *Varint::from_string("-170141183460469231731687303715884105729"),
      *Uuid::from_string("e7a4b3a0-6f0e-11ee-8c99-0242ac120002"),
      *Inet::from_string("2001:db8::ff00:42:8329"),
      Date::from_days_since_epoch(-719162),
      Time{86399999999999},
      std::int16_t{-32768},
      std::int8_t{-128},
      Duration{.months = 14, .days = 3, .nanos = 4000000001},
      List{{std::int32_t{3}, std::int32_t{1}, std::int32_t{2}}},
      Set{{std::string("a"), std::string("b")}},
      Map{{{std::string("k1"), std::int64_t{1}}, {std::string("k2"), std::int64_t{-2}}}},
      Tuple{{std::int32_t{5}, Null{}}},
      Udt{{std::string("Main St"), std::int32_t{12}}},
      Vector{{1.5F, -2.0F, 0.25F}},
      Map{{{std::string("x"), List{{std::int32_t{1}, std::int32_t{2}}}}}},
  };
  auto w = s->execute(Statement(*insert, values));
  ASSERT_TRUE(w.ok()) << w.error().to_string();
  auto r = s->execute(Statement(fmt::format("SELECT {} FROM {}.t WHERE id = ?", columns, k), {std::int32_t{7}}));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 1U);
  Row row = r->row(0);
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto got = row.value(i);
    ASSERT_TRUE(got.ok()) << r->columns()[i].name << ": " << got.error().to_string();
    EXPECT_EQ(*got, values[i]) << r->columns()[i].name << ": " << to_display(*got) << " vs " << to_display(values[i]);
  }
  // Typed getters, by name.
  EXPECT_EQ(*row.get<std::string>("te"), "grüße, 世界");
  EXPECT_EQ(row.get<std::string>("i").error().code(), Errc::invalid_argument);
  // A null cell.
  ASSERT_TRUE(s->execute(Statement(fmt::format("INSERT INTO {}.t (id) VALUES (8)", k))).ok());
  auto n = s->execute(Statement(fmt::format("SELECT te FROM {}.t WHERE id = 8", k)));
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(n->row(0).is_null(0));
  EXPECT_EQ(n->row(0).get<std::string>(0).error().code(), Errc::not_found);
  // A value of the wrong type is refused before anything is sent, naming the column.
  auto bad = values;
  bad[8] = std::string("not an int");
  auto refused = s->execute(Statement(*insert, bad));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), Errc::invalid_argument);
  EXPECT_NE(refused.error().message().find("(i)"), std::string::npos) << refused.error().message();

  // The schema metadata saw the table and the user type.
  auto meta = s->keyspace(k);
  ASSERT_TRUE(meta);
  ASSERT_EQ(meta->tables.size(), 1U);
  EXPECT_EQ(meta->tables[0].columns.size(), values.size());
  EXPECT_EQ(meta->tables[0].columns[0].name, "id");
  EXPECT_EQ(meta->tables[0].columns[0].kind, "partition_key");
  ASSERT_EQ(meta->user_types.size(), 1U);
  EXPECT_EQ(meta->user_types[0].fields.size(), 2U);
}

TEST(CqlSession, HundredThousandRowsPagedThrough) {
  SLUICE_REQUIRE_CASSANDRA();
  auto s = connect();
  ASSERT_TRUE(s);
  SessionKeyspace ks(*s, "paging");
  ASSERT_TRUE(s->execute(Statement(fmt::format("CREATE TABLE {}.t (p int, c int, v bigint, PRIMARY KEY (p, c))",
                                               ks.name())))
                  .ok());
  auto insert = s->prepare(fmt::format("INSERT INTO {}.t (p, c, v) VALUES (?, ?, ?)", ks.name()));
  ASSERT_TRUE(insert.ok());
  constexpr int kRows = 100000;
  constexpr int kPartitions = 10;
  std::vector<Future<ResultSet>> window;
  std::size_t failures = 0;
  for (int i = 0; i < kRows; ++i) {
    window.push_back(s->execute_async(
        Statement(*insert, {std::int32_t{i % kPartitions}, std::int32_t{i}, std::int64_t{i} * 3}).set_idempotent()));
    if (window.size() == 512 || i == kRows - 1) {
      for (auto& f : window) failures += f.get().ok() ? 0 : 1;
      window.clear();
    }
  }
  ASSERT_EQ(failures, 0U);
  for (int p = 0; p < kPartitions; ++p) {
    // One partition at a time with small pages: many pages, each resumed from its paging state.
    auto pages = s->pages(Statement(fmt::format("SELECT c, v FROM {}.t WHERE p = ?", ks.name()), {std::int32_t{p}})
                              .set_page_size(1000));
    std::int64_t count = 0, sum = 0;
    int last = -1;
    bool ordered = true;
    auto st = pages.for_each([&](Row row) {
      int c = *row.get<std::int32_t>(0);
      ordered = ordered && c > last;
      last = c;
      ++count;
      sum += *row.get<std::int64_t>(1);
    });
    ASSERT_TRUE(st.ok()) << st.error().to_string();
    EXPECT_TRUE(ordered);
    EXPECT_EQ(count, kRows / kPartitions);
    std::int64_t expected = 0;
    for (int i = p; i < kRows; i += kPartitions) expected += std::int64_t{i} * 3;
    EXPECT_EQ(sum, expected) << "partition " << p;
  }
  // And the whole table in pages of 5000.
  std::int64_t total = 0;
  int page_count = 0;
  auto all = s->pages(Statement(fmt::format("SELECT p FROM {}.t", ks.name())).set_page_size(5000));
  while (true) {
    auto page = all.next();
    if (!page.ok()) {
      ASSERT_EQ(page.error().code(), Errc::not_found) << page.error().to_string();
      break;
    }
    ++page_count;
    total += static_cast<std::int64_t>(page->size());
  }
  EXPECT_EQ(total, kRows);
  EXPECT_GE(page_count, kRows / 5000);
}

TEST(CqlSession, BatchesLoggedUnloggedCounterMixed) {
  SLUICE_REQUIRE_CASSANDRA();
  auto s = connect();
  ASSERT_TRUE(s);
  SessionKeyspace ks(*s, "batch");
  const auto& k = ks.name();
  ASSERT_TRUE(s->execute(Statement(fmt::format("CREATE TABLE {}.t (p int, c int, v text, PRIMARY KEY (p, c))", k))).ok());
  ASSERT_TRUE(s->execute(Statement(fmt::format("CREATE TABLE {}.n (p int PRIMARY KEY, hits counter)", k))).ok());
  auto insert = s->prepare(fmt::format("INSERT INTO {}.t (p, c, v) VALUES (?, ?, ?)", k));
  ASSERT_TRUE(insert.ok());

  Batch logged(BatchType::logged);
  logged.add(*insert, {std::int32_t{1}, std::int32_t{1}, std::string("prepared")})
      .add(fmt::format("INSERT INTO {}.t (p, c, v) VALUES (?, ?, ?)", k), {std::int32_t{1}, std::int32_t{2}, std::string("plain")})
      .add(fmt::format("INSERT INTO {}.t (p, c, v) VALUES (1, 3, 'literal')", k));
  auto r = s->execute(logged);
  ASSERT_TRUE(r.ok()) << r.error().to_string();

  Batch unlogged(BatchType::unlogged);
  for (int c = 10; c < 20; ++c) unlogged.add(*insert, {std::int32_t{2}, std::int32_t{c}, std::string("u")});
  ASSERT_TRUE(s->execute(unlogged).ok());

  auto bump = s->prepare(fmt::format("UPDATE {}.n SET hits = hits + ? WHERE p = ?", k));
  ASSERT_TRUE(bump.ok());
  Batch counters(BatchType::counter);
  counters.add(*bump, {std::int64_t{5}, std::int32_t{1}}).add(*bump, {std::int64_t{-2}, std::int32_t{1}});
  counters.add(fmt::format("UPDATE {}.n SET hits = hits + 10 WHERE p = 2", k));
  ASSERT_TRUE(s->execute(counters).ok());

  auto rows = s->execute(Statement(fmt::format("SELECT c, v FROM {}.t WHERE p = 1", k)));
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3U);
  EXPECT_EQ(*rows->row(0).get<std::string>(1), "prepared");
  EXPECT_EQ(*rows->row(1).get<std::string>(1), "plain");
  EXPECT_EQ(*rows->row(2).get<std::string>(1), "literal");
  auto count = s->execute(Statement(fmt::format("SELECT COUNT(*) FROM {}.t WHERE p = 2", k)));
  EXPECT_EQ(*count->row(0).get<std::int64_t>(0), 10);
  auto hits = s->execute(Statement(fmt::format("SELECT p, hits FROM {}.n", k)));
  ASSERT_EQ(hits->size(), 2U);
  std::map<int, std::int64_t> by_p;
  for (Row row : *hits) by_p[*row.get<std::int32_t>(0)] = *row.get<std::int64_t>(1);
  EXPECT_EQ(by_p[1], 3);
  EXPECT_EQ(by_p[2], 10);

  // A counter update in a logged batch is refused by the server with a typed error.
  Batch wrong(BatchType::logged);
  wrong.add(*bump, {std::int64_t{1}, std::int32_t{1}});
  auto refused = s->execute(wrong);
  ASSERT_FALSE(refused.ok());
  ASSERT_NE(server_error_of(refused.error()), nullptr);
  EXPECT_EQ(server_error_of(refused.error())->code, ServerErrorCode::invalid);
}

TEST(CqlSession, LightweightTransactionsWithSerialConsistency) {
  SLUICE_REQUIRE_CASSANDRA();
  auto s = connect();
  ASSERT_TRUE(s);
  SessionKeyspace ks(*s, "lwt");
  ASSERT_TRUE(s->execute(Statement(fmt::format("CREATE TABLE {}.acct (id text PRIMARY KEY, balance bigint)", ks.name()))).ok());
  auto create = s->prepare(fmt::format("INSERT INTO {}.acct (id, balance) VALUES (?, ?) IF NOT EXISTS", ks.name()));
  ASSERT_TRUE(create.ok());
  auto first = s->execute(Statement(*create, {std::string("alice"), std::int64_t{100}}).set_serial_consistency(Consistency::serial));
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_TRUE(first->applied());
  auto again = s->execute(Statement(*create, {std::string("alice"), std::int64_t{5}}).set_serial_consistency(Consistency::local_serial));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->applied());
  EXPECT_EQ(*again->row(0).get<std::int64_t>("balance"), 100);  // the row that stopped it

  auto debit = s->prepare(fmt::format("UPDATE {}.acct SET balance = ? WHERE id = ? IF balance = ?", ks.name()));
  ASSERT_TRUE(debit.ok());
  auto ok = s->execute(Statement(*debit, {std::int64_t{70}, std::string("alice"), std::int64_t{100}})
                           .set_serial_consistency(Consistency::serial));
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->applied());
  auto stale = s->execute(Statement(*debit, {std::int64_t{40}, std::string("alice"), std::int64_t{100}})
                              .set_serial_consistency(Consistency::serial));
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(stale->applied());
  auto read = s->execute(Statement(fmt::format("SELECT balance FROM {}.acct WHERE id = 'alice'", ks.name()))
                             .set_consistency(Consistency::serial));
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  EXPECT_EQ(*read->row(0).get<std::int64_t>(0), 70);
}

TEST(CqlSession, ServerErrorsAreTyped) {
  SLUICE_REQUIRE_CASSANDRA();
  auto s = connect();
  ASSERT_TRUE(s);
  auto syntax = s->execute(Statement("SELEC nothing"));
  ASSERT_FALSE(syntax.ok());
  ASSERT_NE(server_error_of(syntax.error()), nullptr);
  EXPECT_EQ(server_error_of(syntax.error())->code, ServerErrorCode::syntax_error);
  auto invalid = s->execute(Statement("SELECT * FROM system.local WHERE nonexistent = 1"));
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(server_error_of(invalid.error())->code, ServerErrorCode::invalid);
  auto exists = s->execute(Statement("CREATE KEYSPACE system WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"));
  ASSERT_FALSE(exists.ok());
  const ServerError* e = server_error_of(exists.error());
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->code == ServerErrorCode::already_exists || e->code == ServerErrorCode::unauthorized ||
              e->code == ServerErrorCode::invalid)
      << e->to_string();
  // Unavailable with its fields: QUORUM of RF 3 on a single node.
  SessionKeyspace ks(*s, "unavail");
  ASSERT_TRUE(s->execute(Statement(fmt::format(
                  "ALTER KEYSPACE {} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 3}}", ks.name())))
                  .ok());
  ASSERT_TRUE(s->execute(Statement(fmt::format("CREATE TABLE {}.t (id int PRIMARY KEY)", ks.name()))).ok());
  auto unavailable = s->execute(
      Statement(fmt::format("INSERT INTO {}.t (id) VALUES (1)", ks.name())).set_consistency(Consistency::quorum));
  ASSERT_FALSE(unavailable.ok());
  const ServerError* u = server_error_of(unavailable.error());
  ASSERT_NE(u, nullptr) << unavailable.error().to_string();
  EXPECT_EQ(u->code, ServerErrorCode::unavailable);
  EXPECT_EQ(u->required, 2);
  EXPECT_EQ(u->alive_or_received, 1);
}

// The token sluice computes for a bound statement's partition key equals Cassandra's token() for
// 1,000 keys of every partition key type, single and composite.
TEST(CqlSession, TokensOfThousandKeysMatchCassandra) {
  SLUICE_REQUIRE_CASSANDRA();
  auto s = connect();
  ASSERT_TRUE(s);
  SessionKeyspace ks(*s, "tokens");
  const auto& k = ks.name();
  ASSERT_TRUE(s->execute(Statement(fmt::format(
                  "CREATE TABLE {}.single (k blob PRIMARY KEY)", k))).ok());
  ASSERT_TRUE(s->execute(Statement(fmt::format(
                  "CREATE TABLE {}.composite (a int, b text, c uuid, d bigint, e timestamp, f boolean, g double, "
                  "h inet, i smallint, j date, PRIMARY KEY ((a, b, c, d, e, f, g, h, i, j)))", k))).ok());
  std::mt19937_64 rng(12345);
  auto single = s->prepare(fmt::format("SELECT token(k) FROM {}.single WHERE k = ?", k));
  auto composite = s->prepare(fmt::format(
      "SELECT token(a, b, c, d, e, f, g, h, i, j) FROM {}.composite WHERE a = ? AND b = ? AND c = ? AND d = ? AND "
      "e = ? AND f = ? AND g = ? AND h = ? AND i = ? AND j = ?", k));
  ASSERT_TRUE(single.ok() && composite.ok());
  auto insert_single = s->prepare(fmt::format("INSERT INTO {}.single (k) VALUES (?)", k));
  auto insert_composite = s->prepare(fmt::format(
      "INSERT INTO {}.composite (a, b, c, d, e, f, g, h, i, j) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", k));
  ASSERT_TRUE(insert_single.ok() && insert_composite.ok());
  int checked = 0;
  for (int n = 0; n < 500; ++n) {
    // Blobs of every length 0..40 with high bytes (Cassandra's sign-extended tail).
    std::string blob(static_cast<std::size_t>(n % 41), '\0');
    for (auto& ch : blob) ch = static_cast<char>(rng());
    if (blob.empty()) blob = "x";  // an empty partition key is refused by Cassandra
    std::vector<Value> key{Blob{blob}};
    ASSERT_TRUE(s->execute(Statement(*insert_single, key)).ok());
    auto got = s->execute(Statement(*single, key));
    ASSERT_TRUE(got.ok()) << got.error().to_string();
    auto token = partition_token(std::vector<Bytes>{as_bytes(blob)});
    ASSERT_EQ(*got->row(0).get<std::int64_t>(0), *token) << "blob of " << blob.size();
    ++checked;
  }
  for (int n = 0; n < 500; ++n) {
    Uuid u;
    for (auto& b : u.bytes) b = static_cast<std::uint8_t>(rng());
    std::string text(static_cast<std::size_t>(n % 23), 'a');
    for (auto& ch : text) ch = static_cast<char>('a' + rng() % 26);
    std::vector<Value> key{static_cast<std::int32_t>(rng()), text, u, static_cast<std::int64_t>(rng()),
                           Timestamp{static_cast<std::int64_t>(rng() % 4000000000000ULL)}, (rng() & 1U) != 0,
                           static_cast<double>(static_cast<std::int32_t>(rng())) / 7.0,
                           *Inet::from_string(fmt::format("10.{}.{}.{}", rng() % 256, rng() % 256, rng() % 256)),
                           static_cast<std::int16_t>(rng()), Date::from_days_since_epoch(static_cast<std::int32_t>(rng() % 40000))};
    ASSERT_TRUE(s->execute(Statement(*insert_composite, key)).ok());
    auto got = s->execute(Statement(*composite, key));
    ASSERT_TRUE(got.ok()) << got.error().to_string();
    ASSERT_EQ(got->size(), 1U);
    std::vector<std::string> cells;
    for (std::size_t i = 0; i < key.size(); ++i) cells.push_back(*encode_cell(insert_composite->bind_columns()[i].type, key[i]));
    std::vector<Bytes> parts;
    for (const auto& c : cells) parts.push_back(as_bytes(c));
    ASSERT_EQ(*got->row(0).get<std::int64_t>(0), *partition_token(parts)) << "composite key " << n;
    ++checked;
  }
  // The key types not covered above, in a second composite key.
  ASSERT_TRUE(s->execute(Statement(fmt::format(
                  "CREATE TABLE {}.more (a tinyint, b float, c decimal, d varint, e timeuuid, f time, g ascii, "
                  "h frozen<list<int>>, i frozen<tuple<int, text>>, PRIMARY KEY ((a, b, c, d, e, f, g, h, i)))", k))).ok());
  auto insert_more = s->prepare(fmt::format(
      "INSERT INTO {}.more (a, b, c, d, e, f, g, h, i) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", k));
  auto token_more = s->prepare(fmt::format(
      "SELECT token(a, b, c, d, e, f, g, h, i) FROM {}.more WHERE a = ? AND b = ? AND c = ? AND d = ? AND e = ? "
      "AND f = ? AND g = ? AND h = ? AND i = ?", k));
  ASSERT_TRUE(insert_more.ok() && token_more.ok());
  for (int n = 0; n < 50; ++n) {
    Uuid timeuuid = *Uuid::from_string("e7a4b3a0-6f0e-11ee-8c99-0242ac120002");
    timeuuid.bytes[0] = static_cast<std::uint8_t>(rng());
    timeuuid.bytes[15] = static_cast<std::uint8_t>(rng());
    std::vector<Value> key{static_cast<std::int8_t>(rng()), static_cast<float>(static_cast<std::int16_t>(rng())) / 3.0F,
                           *Decimal::from_string(fmt::format("{}.{}", static_cast<std::int32_t>(rng()), rng() % 1000)),
                           *Varint::from_string(fmt::format("-{}{}", rng(), rng())), timeuuid,
                           Time{static_cast<std::int64_t>(rng() % 86400000000000ULL)}, std::string(fmt::format("k{}", rng())),
                           List{{std::int32_t{n}, static_cast<std::int32_t>(rng())}},
                           Tuple{{static_cast<std::int32_t>(rng()), std::string("t")}}};
    ASSERT_TRUE(s->execute(Statement(*insert_more, key)).ok());
    auto got = s->execute(Statement(*token_more, key));
    ASSERT_TRUE(got.ok()) << got.error().to_string();
    ASSERT_EQ(got->size(), 1U);
    std::vector<std::string> cells;
    for (std::size_t i = 0; i < key.size(); ++i) cells.push_back(*encode_cell(insert_more->bind_columns()[i].type, key[i]));
    std::vector<Bytes> parts;
    for (const auto& c : cells) parts.push_back(as_bytes(c));
    ASSERT_EQ(*got->row(0).get<std::int64_t>(0), *partition_token(parts)) << "key " << n;
    ++checked;
  }
  EXPECT_EQ(checked, 1050);
}

// Prepared SELECTs skip the result metadata on v5 (the statement has it): rows still read by
// name, and after ALTER TABLE the server's new metadata wins.
TEST(CqlSession, PreparedReadsWithoutMetadataAndAfterAlter) {
  SLUICE_REQUIRE_CASSANDRA();
  auto s = connect();
  ASSERT_TRUE(s);
  SessionKeyspace ks(*s, "skipmeta");
  ASSERT_TRUE(s->execute(Statement(fmt::format("CREATE TABLE {}.t (id int PRIMARY KEY, a text)", ks.name()))).ok());
  ASSERT_TRUE(s->execute(Statement(fmt::format("INSERT INTO {}.t (id, a) VALUES (1, 'x')", ks.name()))).ok());
  auto select = s->prepare(fmt::format("SELECT * FROM {}.t WHERE id = ?", ks.name()));
  ASSERT_TRUE(select.ok());
  auto r = s->execute(Statement(*select, {std::int32_t{1}}));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r->row(0).get<std::string>("a"), "x");
  ASSERT_TRUE(s->execute(Statement(fmt::format("ALTER TABLE {}.t ADD b bigint", ks.name()))).ok());
  ASSERT_TRUE(s->execute(Statement(fmt::format("UPDATE {}.t SET b = 5 WHERE id = 1", ks.name()))).ok());
  auto after = s->execute(Statement(*select, {std::int32_t{1}}));
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  ASSERT_EQ(after->columns().size(), 3U);
  EXPECT_EQ(*after->row(0).get<std::int64_t>("b"), 5);
  EXPECT_EQ(*after->row(0).get<std::string>("a"), "x");
}

// A server that forgot a prepared statement answers UNPREPARED; the session prepares it again
// on that host and resends, and the caller sees only success. Dropping and re-creating the table
// makes Cassandra forget the statement (same text, same id).
TEST(CqlSession, UnpreparedIsPreparedAgainTransparently) {
  SLUICE_REQUIRE_CASSANDRA();
  auto s = connect();
  ASSERT_TRUE(s);
  SessionKeyspace ks(*s, "reprep");
  const std::string create = fmt::format("CREATE TABLE {}.t (id int PRIMARY KEY, v text)", ks.name());
  ASSERT_TRUE(s->execute(Statement(create)).ok());
  auto insert = s->prepare(fmt::format("INSERT INTO {}.t (id, v) VALUES (?, ?)", ks.name()));
  ASSERT_TRUE(insert.ok());
  ASSERT_TRUE(s->execute(Statement(*insert, {std::int32_t{1}, std::string("before")})).ok());
  ASSERT_TRUE(s->execute(Statement(fmt::format("DROP TABLE {}.t", ks.name()))).ok());
  ASSERT_TRUE(s->execute(Statement(create)).ok());
  auto again = s->execute(Statement(*insert, {std::int32_t{2}, std::string("after")}));
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  auto r = s->execute(Statement(fmt::format("SELECT v FROM {}.t WHERE id = 2", ks.name())));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ(*r->row(0).get<std::string>(0), "after");
}

// The control connection is REGISTERed for events: a table created by another client shows up
// in the session's schema metadata without the session asking.
TEST(CqlSession, SchemaEventsRefreshMetadata) {
  SLUICE_REQUIRE_CASSANDRA();
  auto s = connect();
  ASSERT_TRUE(s);
  SessionKeyspace ks(*s, "events");
  auto other = Connection::open(testing::cassandra_options());
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->query(fmt::format("CREATE TABLE {}.by_other (id int PRIMARY KEY, note text)", ks.name())).ok());
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    auto meta = s->keyspace(ks.name());
    seen = meta && meta->tables.size() == 1 && meta->tables[0].name == "by_other" && meta->tables[0].columns.size() == 2;
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(seen) << "the SCHEMA_CHANGE event did not refresh the metadata within 5 s";
}

// A client timestamp per request, never going back: rewrites of one cell in quick succession
// keep the last value written.
TEST(CqlSession, ClientTimestampsAreMonotonic) {
  SLUICE_REQUIRE_CASSANDRA();
  auto s = connect();
  ASSERT_TRUE(s);
  SessionKeyspace ks(*s, "ts");
  ASSERT_TRUE(s->execute(Statement(fmt::format("CREATE TABLE {}.t (id int PRIMARY KEY, v int)", ks.name()))).ok());
  auto write = s->prepare(fmt::format("INSERT INTO {}.t (id, v) VALUES (0, ?)", ks.name()));
  ASSERT_TRUE(write.ok());
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(s->execute(Statement(*write, {std::int32_t{i}})).ok());
  auto r = s->execute(Statement(fmt::format("SELECT v, writetime(v) FROM {}.t WHERE id = 0", ks.name())));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->row(0).get<std::int32_t>(0), 199);
}

// Per-statement keyspace (v5) and the session's own default keyspace.
TEST(CqlSession, KeyspacePerStatementAndPerSession) {
  SLUICE_REQUIRE_CASSANDRA();
  auto s = connect();
  ASSERT_TRUE(s);
  SessionKeyspace ks(*s, "ksopt");
  ASSERT_TRUE(s->execute(Statement(fmt::format("CREATE TABLE {}.t (id int PRIMARY KEY)", ks.name()))).ok());
  ASSERT_TRUE(s->execute(Statement("INSERT INTO t (id) VALUES (1)").set_keyspace(ks.name())).ok());
  auto o = local_options();
  o.keyspace = ks.name();
  auto scoped = connect(o);
  ASSERT_TRUE(scoped);
  auto r = scoped->execute(Statement("SELECT id FROM t"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->size(), 1U);
}

// co_await on a Future, in a plain C++20 coroutine.
struct Task {
  struct promise_type {
    Task get_return_object() { return {}; }
    std::suspend_never initial_suspend() { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
};

Task count_rows(Session& s, std::promise<std::size_t>& out) {
  auto r = co_await s.execute_async(Statement("SELECT * FROM system_schema.keyspaces"));
  out.set_value(r.ok() ? r->size() : 0);
}

TEST(CqlSession, FuturesWorkWithCoroutines) {
  SLUICE_REQUIRE_CASSANDRA();
  auto s = connect();
  ASSERT_TRUE(s);
  std::promise<std::size_t> out;
  count_rows(*s, out);
  EXPECT_GE(out.get_future().get(), 5U);
}

}  // namespace
}  // namespace sluice

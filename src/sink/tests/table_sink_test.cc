// TableSink without a server: planning against table metadata and turning records into rows.
#include "sink/table_sink.h"

#include <gtest/gtest.h>

namespace sluice::sink {
namespace {

using cql::DataType;
using cql::TypeId;

cql::TableMetadata readings_table() {
  cql::TableMetadata t;
  t.name = "readings";
  t.columns = {{"sensor", "partition_key", 0, DataType::simple(TypeId::varchar)},
               {"ts", "clustering", 0, DataType::simple(TypeId::timestamp)},
               {"temp", "regular", -1, DataType::simple(TypeId::double_)},
               {"note", "regular", -1, DataType::simple(TypeId::varchar)},
               {"src", "regular", -1, DataType::simple(TypeId::bigint)}};
  return t;
}

std::string pipeline_yaml(const std::string& sink_extra, const std::string& mapping) {
  return R"(name: p
cassandra: {keyspace: ks}
sources:
  - name: s
    topics: [t]
sinks:
  - from: s
    table: readings
    mapping: )" + mapping + "\n" + sink_extra + R"(
error_policy: none
)";
}

struct Fixture {
  config::Pipeline pipeline;
  TableSink sink;
  std::unique_ptr<SourceDecoder> decoder;
};

Fixture make(const std::string& extra = "",
             const std::string& mapping = "{sensor: value.id, ts: value.ts, temp: value.t, note: value.n, src: offset}") {
  auto p = config::parse_pipeline(pipeline_yaml(extra, mapping), "p.yaml");
  EXPECT_TRUE(p.ok()) << p.error().message();
  auto table = readings_table();
  auto sink = TableSink::plan(p->sinks[0], p->sources[0], &table);
  EXPECT_TRUE(sink.ok()) << sink.error().message();
  auto decoder = SourceDecoder::make(p->sources[0]);
  return Fixture{std::move(*p), std::move(*sink), std::move(*decoder)};
}

RecordView record(std::optional<std::string_view> value, std::int64_t offset = 1234, std::int64_t ts = 1700000000000) {
  RecordView r;
  r.topic = "t";
  r.partition = 2;
  r.offset = offset;
  r.timestamp_ms = ts;
  r.value = value;
  r.key = "k1";
  return r;
}

Result<RowWrite> build(Fixture& f, const RecordView& r, std::int64_t now = 1700000001000) {
  SLUICE_TRY(f.decoder->decode(r, f.sink.needs_key(), f.sink.needs_value()));
  return f.sink.build(*f.decoder, r, now);
}

TEST(TableSinkPlan, WritesAnInsertWithDeterministicWritetimeAndADelete) {
  auto f = make();
  EXPECT_EQ(f.sink.upsert_cql(), "INSERT INTO ks.readings (sensor, ts, temp, note, src) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?");
  EXPECT_EQ(f.sink.delete_cql(), "DELETE FROM ks.readings USING TIMESTAMP ? WHERE sensor = ? AND ts = ?");
}

TEST(TableSinkPlan, RefusesUnknownColumnsMissingKeysAndImpossibleExpressions) {
  auto p = config::parse_pipeline(pipeline_yaml("", "{ts: value.ts, nope: value.x, temp: topic, src: timestamp}"), "p.yaml");
  ASSERT_TRUE(p.ok()) << p.error().message();
  auto table = readings_table();
  auto sink = TableSink::plan(p->sinks[0], p->sources[0], &table);
  ASSERT_FALSE(sink.ok());
  const auto& m = sink.error().message();
  EXPECT_NE(m.find("p.yaml:9: table ks.readings, column nope: no such column"), std::string::npos) << m;
  EXPECT_NE(m.find("column sensor: primary key column (partition_key) is not mapped"), std::string::npos) << m;
  EXPECT_NE(m.find("column temp: 'topic' cannot fill a double column"), std::string::npos) << m;
  EXPECT_EQ(m.find("column src"), std::string::npos) << m;  // timestamp into bigint is fine

  auto missing = TableSink::plan(p->sinks[0], p->sources[0], nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("table ks.readings does not exist"), std::string::npos);
}

TEST(TableSinkPlan, CounterTablesNeedConsent) {
  auto p = config::parse_pipeline(pipeline_yaml("", "{sensor: value.id}"), "p.yaml");
  ASSERT_TRUE(p.ok());
  cql::TableMetadata t;
  t.name = "readings";
  t.columns = {{"sensor", "partition_key", 0, DataType::simple(TypeId::varchar)},
               {"n", "regular", -1, DataType::simple(TypeId::counter)}};
  auto sink = TableSink::plan(p->sinks[0], p->sources[0], &t);
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.error().message().find("counters_at_least_once"), std::string::npos);
}

TEST(TableSinkBuild, ARecordBecomesBoundValues) {
  auto f = make();
  auto row = build(f, record(R"({"id":"s1","ts":"2026-11-20T10:00:00Z","t":21.5,"n":"ok"})"));
  ASSERT_TRUE(row.ok()) << row.error().message();
  EXPECT_EQ(row->kind, RowWrite::Kind::upsert);
  ASSERT_EQ(row->values.size(), 6U);
  EXPECT_EQ(row->values[0], cql::Value(std::string("s1")));
  EXPECT_EQ(row->values[1], cql::Value(cql::Timestamp{1795168800000}));
  EXPECT_EQ(row->values[2], cql::Value(21.5));
  EXPECT_EQ(row->values[4], cql::Value(std::int64_t{1234}));
  // writetime: record timestamp in microseconds plus offset mod 1000 as the tie-break
  EXPECT_EQ(row->values[5], cql::Value(std::int64_t{1700000000000 * 1000 + 234}));
  EXPECT_FALSE(row->partition_key.empty());
}

TEST(TableSinkBuild, NullsAreUnsetAndTheTieBreakOrdersOneMillisecond) {
  auto f = make();
  auto a = build(f, record(R"({"id":"s1","ts":1,"t":null})", 1000));
  auto b = build(f, record(R"({"id":"s1","ts":1,"t":1.0})", 1001));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->values[2], cql::Value(cql::Unset{}));
  EXPECT_EQ(a->values[3], cql::Value(cql::Unset{}));  // missing field
  EXPECT_LT(std::get<std::int64_t>(a->values[5]), std::get<std::int64_t>(b->values[5]));
}

TEST(TableSinkBuild, TombstonesAndKeyOnlyRecordsDelete) {
  auto f = make("", "{sensor: key, ts: value.ts, temp: value.t}");
  auto key_only = build(f, record(R"({"ts":5})"));
  ASSERT_TRUE(key_only.ok()) << key_only.error().message();
  EXPECT_EQ(key_only->kind, RowWrite::Kind::remove);
  ASSERT_EQ(key_only->values.size(), 3U);
  EXPECT_EQ(key_only->values[1], cql::Value(std::string("k1")));
  EXPECT_EQ(key_only->values[2], cql::Value(cql::Timestamp{5}));

  auto tombstone = build(f, record(std::nullopt));
  ASSERT_FALSE(tombstone.ok());  // ts comes from the value, which a tombstone does not have
  EXPECT_EQ(tombstone.error().detail(), static_cast<int>(FailureClass::mapping));
  EXPECT_NE(tombstone.error().message().find("cannot delete: primary key column ts"), std::string::npos);

  auto off = make("    deletes: false", "{sensor: key, ts: value.ts, temp: value.t}");
  auto skipped = build(off, record(std::nullopt));
  ASSERT_TRUE(skipped.ok());
  EXPECT_EQ(skipped->kind, RowWrite::Kind::skip);
}

TEST(TableSinkBuild, ConversionFailuresNameTheColumn) {
  auto f = make();
  auto row = build(f, record(R"({"id":"s1","ts":1,"t":"warm"})"));
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.error().detail(), static_cast<int>(FailureClass::convert));
  EXPECT_NE(row.error().message().find("column temp (double) from value.t"), std::string::npos) << row.error().message();
  auto no_key = build(f, record(R"({"ts":1})"));
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.error().detail(), static_cast<int>(FailureClass::mapping));
}

TEST(TableSinkBuild, TtlFixedPerRecordAndAbsoluteExpiry) {
  auto fixed = make("    ttl: 1h");
  EXPECT_NE(fixed.sink.upsert_cql().find("USING TIMESTAMP ? AND TTL ?"), std::string::npos);
  auto row = build(fixed, record(R"({"id":"s","ts":1})"));
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->values.back(), cql::Value(std::int32_t{3600}));

  auto field = make("    ttl: {field: value.__ttl, unit: milliseconds}");
  row = build(field, record(R"({"id":"s","ts":1,"__ttl":1500})"));
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->values.back(), cql::Value(std::int32_t{2}));  // rounded up

  auto expiry = make("    ttl: {expire_after: 7d, from: value.ts}");
  const std::int64_t now = 1700000000000;
  row = build(expiry, record(R"({"id":"s","ts":1699999000000})"), now);
  ASSERT_TRUE(row.ok()) << row.error().message();
  EXPECT_EQ(row->values.back(), cql::Value(std::int32_t{7 * 86400 - 1000}));
  row = build(expiry, record(R"({"id":"s","ts":1000})"), now);  // expired long ago
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->kind, RowWrite::Kind::skip);
  EXPECT_EQ(row->skip_reason, "expired");
}

TEST(TableSinkBuild, WritetimeFromAField) {
  auto f = make("    writetime: {field: value.at, unit: seconds}");
  auto row = build(f, record(R"({"id":"s","ts":1,"at":1700000000})", 42));
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->values.back(), cql::Value(std::int64_t{1700000000LL * 1000000 + 42}));
  auto micros = make("    writetime: {field: value.at, unit: microseconds}");
  row = build(micros, record(R"({"id":"s","ts":1,"at":1700000000123456})", 42));
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->values.back(), cql::Value(std::int64_t{1700000000123456}));
}

}  // namespace
}  // namespace sluice::sink

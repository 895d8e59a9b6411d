#include "config/pipeline.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace sluice::config {
namespace {

constexpr const char* kMinimal = R"(name: iot
cassandra:
  keyspace: iot
sources:
  - name: readings
    topics: [readings]
sinks:
  - from: readings
    table: by_sensor
    mapping: {sensor: value.sensor, ts: value.ts}
dead_letters:
  topic: dlq
)";

TEST(PipelineConfig, ReadsTheDefaults) {
  auto p = parse_pipeline(kMinimal, "p.yaml");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->name, "iot");
  EXPECT_EQ(p->kafka.group_id, "sluice-iot");
  EXPECT_EQ(p->kafka.bootstrap_servers, "127.0.0.1:9092");
  ASSERT_EQ(p->sinks.size(), 1U);
  const auto& s = p->sinks[0];
  EXPECT_EQ(s.qualified_table(), "iot.by_sensor");
  EXPECT_EQ(s.consistency, cql::Consistency::local_quorum);
  EXPECT_TRUE(s.deletes);
  EXPECT_TRUE(s.null_to_unset);
  EXPECT_TRUE(s.writetime.from_record);
  EXPECT_EQ(s.ttl.kind, TtlConfig::Kind::none);
  ASSERT_EQ(s.mapping.size(), 2U);
  EXPECT_EQ(s.mapping[0].column, "sensor");
  EXPECT_EQ(s.mapping[0].expr.kind, Expr::Kind::value);
  EXPECT_EQ(s.mapping[0].expr.path, std::vector<std::string>{"sensor"});
  EXPECT_EQ(p->error_policy, ErrorPolicy::all);
  EXPECT_TRUE(p->admin.enabled);
  EXPECT_EQ(p->admin.port, 9187);
}

TEST(PipelineConfig, ReadsEveryKey) {
  auto p = parse_pipeline(R"(name: full
kafka:
  bootstrap_servers: "k1:9093,k2:9093"
  group_id: g
  tls: {ca_file: ca.pem}
  sasl: {mechanism: SCRAM-SHA-512, username: u, password_env: KPASS}
  properties: {fetch.max.bytes: "1000"}
cassandra:
  contact_points: [10.0.0.1, 10.0.0.2]
  port: 9142
  local_datacenter: dc1
  keyspace: KS
  username: app
  password_file: /run/secrets/c
  tls: {ca_file: c.pem}
  compression: none
  io_threads: 2
  connections_per_host: 3
sources:
  - name: s
    topic_pattern: "^orders\\..*"
    start: "2026-11-20T00:00:00Z"
    format: avro
    key_format: json
    avro: {wire: plain, schema_file: o.avsc}
    time: {zone: Europe/Paris, epoch_unit: seconds}
sinks:
  - from: s
    table: other.Orders
    mapping: "id=key.id, total = value.total, seen=now(), src=header.origin"
    ttl: {expire_after: 7d, from: value.ts}
    writetime: {field: value.__timestamp, unit: microseconds}
    deletes: false
    null_to_unset: false
    consistency: local_one
dead_letters: {topic: dlq, table: dead}
error_policy: driver
write: {max_batch_bytes: 4000, max_batch_rows: 8, max_in_flight: 64, max_buffered_records: 1000, commit_interval_ms: 500, request_timeout_ms: 2000}
admin: {listen: "0.0.0.0:9999"}
)", "f.yaml");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->kafka.sasl->password.env, "KPASS");
  EXPECT_EQ(p->kafka.properties.at("fetch.max.bytes"), "1000");
  EXPECT_EQ(p->cassandra.contact_points.size(), 2U);
  EXPECT_EQ(p->cassandra.keyspace, "ks");  // folded like CQL folds unquoted names
  EXPECT_FALSE(p->cassandra.lz4);
  EXPECT_EQ(p->sources[0].start.kind, StartPosition::Kind::time);
  EXPECT_EQ(p->sources[0].start.time_ms, 1795132800000);
  EXPECT_EQ(p->sources[0].format, Format::avro);
  EXPECT_FALSE(p->sources[0].avro.confluent_wire);
  EXPECT_EQ(p->sources[0].time.epoch_unit, codec::TimeUnit::seconds);
  const auto& s = p->sinks[0];
  EXPECT_EQ(s.qualified_table(), "other.orders");
  ASSERT_EQ(s.mapping.size(), 4U);
  EXPECT_EQ(s.mapping[0].expr.kind, Expr::Kind::key);
  EXPECT_EQ(s.mapping[2].expr.kind, Expr::Kind::now);
  EXPECT_EQ(s.mapping[3].expr.header, "origin");
  EXPECT_EQ(s.ttl.kind, TtlConfig::Kind::expire_after);
  EXPECT_EQ(s.ttl.seconds, 7 * 86400);
  EXPECT_FALSE(s.writetime.from_record);
  EXPECT_EQ(s.writetime.unit, codec::TimeUnit::microseconds);
  EXPECT_FALSE(s.deletes);
  EXPECT_EQ(s.consistency, cql::Consistency::local_one);
  EXPECT_EQ(p->dead_letters.table, "ks.dead");
  EXPECT_EQ(p->error_policy, ErrorPolicy::driver);
  EXPECT_EQ(p->write.max_batch_rows, 8U);
  EXPECT_EQ(p->admin.address, "0.0.0.0");
  EXPECT_EQ(p->admin.port, 9999);
}

TEST(PipelineConfig, EveryProblemIsReportedWithItsLine) {
  auto p = parse_pipeline(R"(name: bad
cassandra:
  keyspace: ks
  password: hunter2
sources:
  - name: s
    topics: [t]
    formt: json
sinks:
  - from: nobody
    table: "bad table"
    mapping: {id: value., "x;y": key, t: bogus}
    consistency: SERIAL
error_policy: sometimes
)", "bad.yaml");
  ASSERT_FALSE(p.ok());
  const auto& m = p.error().message();
  for (const char* expected : {
           "bad.yaml:4: passwords are not written in the pipeline file",
           "bad.yaml:8: unknown key 'formt' in a source",
           "bad.yaml:10: from: no source is named 'nobody'",
           "bad.yaml:11: table: identifier 'bad table' is not",
           "bad.yaml:12: 'value.': empty field name in the path",
           "identifier 'x;y' is not",
           "'bogus': not an expression",
           "bad.yaml:13: consistency 'SERIAL' is not a write consistency level",
           "bad.yaml:14: error_policy 'sometimes'",
       }) {
    EXPECT_NE(m.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n" << m;
  }
  EXPECT_EQ(m.find("hunter2"), std::string::npos);
}

TEST(PipelineConfig, DeadLettersAreRequiredUnlessThePolicyStops) {
  std::string text = kMinimal;
  text = text.substr(0, text.find("dead_letters"));
  auto p = parse_pipeline(text, "p.yaml");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("set dead_letters.topic"), std::string::npos);
  EXPECT_TRUE(parse_pipeline(text + "error_policy: none\n", "p.yaml").ok());
}

TEST(PipelineConfig, IdentifiersAndDurations) {
  EXPECT_TRUE(check_identifier("sensor_id").ok());
  EXPECT_FALSE(check_identifier("select").ok());
  EXPECT_FALSE(check_identifier("1abc").ok());
  EXPECT_FALSE(check_identifier("a\"b").ok());
  EXPECT_FALSE(check_identifier(std::string(49, 'a')).ok());
  EXPECT_TRUE(check_identifier(std::string(48, 'a')).ok());
  EXPECT_EQ(*parse_duration_seconds("7d"), 7 * 86400);
  EXPECT_EQ(*parse_duration_seconds("90"), 90);
  EXPECT_FALSE(parse_duration_seconds("7y").ok());
  EXPECT_FALSE(parse_duration_seconds("-1s").ok());
}

TEST(PipelineConfig, SecretsComeFromTheEnvironmentOrPrivateFiles) {
  ::setenv("SLUICE_TEST_SECRET", "s3cret", 1);
  EXPECT_EQ(*Secret{.env = "SLUICE_TEST_SECRET"}.resolve(), "s3cret");
  auto missing = Secret{.env = "SLUICE_TEST_NO_SUCH_SECRET"}.resolve();
  ASSERT_FALSE(missing.ok());
  auto path = std::filesystem::temp_directory_path() / "sluice_secret_test";
  {
    std::ofstream(path) << "from-file\n";
  }
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(*Secret{.file = path.string()}.resolve(), "from-file");
  std::filesystem::permissions(path, std::filesystem::perms::group_read, std::filesystem::perm_options::add);
  auto open = Secret{.file = path.string()}.resolve();
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.error().message().find("chmod 600"), std::string::npos);
  EXPECT_EQ(open.error().message().find("from-file"), std::string::npos);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace sluice::config

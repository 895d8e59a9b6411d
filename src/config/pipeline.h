// The pipeline file (docs/pipeline.md) as typed values.
//
// parse_pipeline reads YAML into these structs and checks everything that needs no server: known
// keys only, types, ranges, identifiers, expressions, references between sections. Every error
// names the file, the line and what is wrong. What needs the live schema (do the columns exist,
// can this expression fill that column) is checked by sink::compile against Cassandra.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "codec/convert.h"
#include "cql/protocol/frame.h"

namespace sluice::config {

// Where a value came from, for messages: "pipeline.yaml:12".
struct Location {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
  std::string to_string() const;
};

// A secret is never written in the pipeline file: it names an environment variable or a file
// (which must not be readable by group or others).
struct Secret {
  std::string env;
  std::string file;
  bool empty() const { return env.empty() && file.empty(); }
  // The secret's value. Errors name the variable or file, never the value.
  Result<std::string> resolve() const;
};

// TLS files (PEM), for Kafka and for Cassandra.
struct TlsFiles {
  std::string ca_file;              // the CA that signed the servers' certificates
  std::string cert_file, key_file;  // optional: a client certificate (mutual TLS)
};
struct KafkaSasl {
  std::string mechanism;  // PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
  std::string username;
  Secret password;
};
struct KafkaConfig {
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string group_id;  // default sluice-<name>
  std::optional<TlsFiles> tls;
  std::optional<KafkaSasl> sasl;
  std::map<std::string, std::string> properties;
};

struct CassandraConfig {
  std::vector<std::string> contact_points{"127.0.0.1"};
  std::uint16_t port = 9042;
  std::string local_datacenter;
  std::string keyspace;
  std::string username;
  Secret password;
  std::optional<TlsFiles> tls;
  bool lz4 = true;
  std::size_t io_threads = 1;
  std::size_t connections_per_host = 1;
};

enum class Format { json, avro, string, bytes };
std::string_view format_name(Format f);

struct AvroConfig {
  bool confluent_wire = true;
  std::string schemas_dir;  // confluent wire
  std::string schema_file;  // plain wire
};

struct StartPosition {
  enum class Kind { earliest, latest, time } kind = Kind::earliest;
  std::int64_t time_ms = 0;
};

struct SourceConfig {
  std::string name;
  std::vector<std::string> topics;
  std::string topic_pattern;  // a regex; librdkafka subscribes with a leading ^
  StartPosition start;
  Format format = Format::json;
  Format key_format = Format::string;
  AvroConfig avro;
  codec::TimeSettings time;
  Location at;
};

// One mapping expression: where a column's value comes from.
struct Expr {
  enum class Kind { value, key, header, topic, partition, offset, timestamp, now };
  Kind kind = Kind::value;
  std::vector<std::string> path;  // value/key: the field path (empty: the whole value or key)
  std::string header;             // header: its name
  std::string text;               // as written, for messages
  Location at;
};
// Parses "value.a.b", "key", "key.id", "header.trace-id", "topic", "partition", "offset",
// "timestamp", "now()".
Result<Expr> parse_expr(std::string_view text);

struct MappingEntry {
  std::string column;  // a CQL identifier (or a named bind of a custom query), lower case
  Expr expr;
};

struct TtlConfig {
  enum class Kind { none, fixed, field, expire_after } kind = Kind::none;
  std::int64_t seconds = 0;  // fixed; expire_after: the retention
  Expr field;                // field: the TTL; expire_after: the event time
  codec::TimeUnit unit = codec::TimeUnit::seconds;  // field: unit of the TTL value
};

struct WritetimeConfig {
  bool from_record = true;  // the Kafka record's timestamp
  Expr field;
  codec::TimeUnit unit = codec::TimeUnit::milliseconds;
};

struct SinkConfig {
  std::string from;      // a source name
  std::string keyspace;  // resolved: the table's or cassandra.keyspace
  std::string table;
  std::vector<MappingEntry> mapping;
  TtlConfig ttl;
  WritetimeConfig writetime;
  bool deletes = true;
  bool null_to_unset = true;
  cql::Consistency consistency = cql::Consistency::local_quorum;
  std::string query;  // custom CQL with named binds; empty: INSERT of the mapped columns
  bool counters_at_least_once = false;
  Location at;
  std::string qualified_table() const { return keyspace + "." + table; }
};

enum class ErrorPolicy { all, driver, none };
std::string_view error_policy_name(ErrorPolicy p);

struct DeadLetterConfig {
  std::string topic;
  std::string table;  // in cassandra.keyspace unless qualified
};

struct WriteConfig {
  std::size_t max_batch_bytes = 5000;
  std::size_t max_batch_rows = 32;
  std::size_t max_in_flight = 256;
  std::size_t max_buffered_records = 50000;
  std::int64_t commit_interval_ms = 1000;
  std::int64_t request_timeout_ms = 12000;
};

struct AdminConfig {
  std::string address = "127.0.0.1";
  std::uint16_t port = 9187;
  bool enabled = true;
};

struct Pipeline {
  std::string file;
  std::string name;
  KafkaConfig kafka;
  CassandraConfig cassandra;
  std::vector<SourceConfig> sources;
  std::vector<SinkConfig> sinks;
  DeadLetterConfig dead_letters;
  ErrorPolicy error_policy = ErrorPolicy::all;
  WriteConfig write;
  AdminConfig admin;

  const SourceConfig* source(std::string_view name) const;
};

// Every problem found, one per line, each starting "file:line: ". Errc::invalid_argument.
Result<Pipeline> parse_pipeline(std::string_view yaml_text, std::string_view file_name);
Result<Pipeline> load_pipeline(const std::string& path);

// A CQL identifier sluice accepts unquoted: [A-Za-z_][A-Za-z0-9_]*, at most 48 characters, not
// a reserved word. Cassandra folds it to lower case; so does sluice.
Status check_identifier(std::string_view name);
// One of CQL's reserved words (any case): not usable unquoted as a keyspace, table or column name.
bool is_reserved_word(std::string_view name);
// "7d", "12h", "30m", "45s", "500" (seconds).
Result<std::int64_t> parse_duration_seconds(std::string_view text);

}  // namespace sluice::config

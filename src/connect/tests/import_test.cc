// Why: `sluice import-connect` is how Kafka Connect users arrive. Its output must be a pipeline file
// sluice reads (only keys docs/pipeline.md lists, valid YAML), every setting must either be carried
// over or be reported with a reason, behaviour changes must be spelled out, and no secret from the
// connector configuration may leak into anything it writes.
#include "connect/import.h"

#include "config/pipeline.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace sluice::connect {
namespace {

std::string read_config(const std::string& name) {
  std::ifstream f(std::string(SLUICE_CONNECT_CONFIGS_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(f.good()) << name;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Imported {
  ImportResult r;
  YAML::Node y;
};

Imported import_named(const std::string& name) {
  auto r = import_connector_config(read_config(name), name);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  if (!r.ok()) return {};
  Imported out{*r, {}};
  try {
    out.y = YAML::Load(out.r.pipeline_yaml);
  } catch (const YAML::Exception& e) {
    ADD_FAILURE() << name << ": " << e.what() << "\n" << out.r.pipeline_yaml;
  }
  return out;
}

Imported import_text(std::string_view text, std::string_view name = "inline.properties") {
  auto r = import_connector_config(text, name);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  if (!r.ok()) return {};
  Imported out{*r, {}};
  out.y = YAML::Load(out.r.pipeline_yaml);
  return out;
}

std::vector<std::string> keys(const YAML::Node& map) {
  std::vector<std::string> out;
  for (const auto& kv : map) out.push_back(kv.first.as<std::string>());
  return out;
}

using Strings = std::vector<std::string>;

bool has(const Strings& list, const std::string& exact) {
  return std::find(list.begin(), list.end(), exact) != list.end();
}

bool any_contains(const Strings& list, const std::string& part) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& s) { return s.find(part) != std::string::npos; });
}

std::string str(const YAML::Node& n) { return n.as<std::string>(); }

std::map<std::string, std::string> mapping_of(const YAML::Node& sink) {
  std::map<std::string, std::string> out;
  for (const auto& kv : sink["mapping"]) out[kv.first.as<std::string>()] = kv.second.as<std::string>();
  return out;
}

const std::vector<std::string> kAllConfigs = {
    "datastax-basic.properties", "datastax-full.json",        "datastax-avro-regex.properties",
    "datastax-flat.json",        "datastax-astra.properties", "lenses-basic.properties",
    "lenses-multi.json"};

// Every key sluice's pipeline file has (docs/pipeline.md); the importer may use no other.
void expect_known_keys(const YAML::Node& y, const std::string& name) {
  const std::set<std::string> top = {"name",         "kafka",        "cassandra", "sources", "sinks",
                                     "dead_letters", "error_policy", "write",     "admin"};
  const std::set<std::string> kafka = {"bootstrap_servers", "group_id", "tls", "sasl", "properties"};
  const std::set<std::string> cassandra = {"contact_points", "port",         "local_datacenter",    "keyspace",
                                           "username",       "password_env", "password_file",       "tls",
                                           "compression",    "io_threads",   "connections_per_host"};
  const std::set<std::string> cassandra_tls = {"ca_file", "cert_file", "key_file"};
  const std::set<std::string> source = {"name",   "topics",     "topic_pattern", "start",
                                        "format", "key_format", "avro",          "time"};
  const std::set<std::string> avro = {"wire", "schemas", "schema_file"};
  const std::set<std::string> time = {"zone", "timestamp_format", "date_format", "time_format", "epoch_unit"};
  const std::set<std::string> sink = {"from",    "table",         "mapping",     "ttl",   "writetime",
                                      "deletes", "null_to_unset", "consistency", "query", "counters_at_least_once"};
  const std::set<std::string> field_unit = {"field", "unit"};
  const std::set<std::string> dead_letters = {"topic", "table"};
  const std::set<std::string> write = {"max_batch_bytes",      "max_batch_rows",     "max_in_flight",
                                       "max_buffered_records", "commit_interval_ms", "request_timeout_ms"};
  auto check = [&](const YAML::Node& map, const std::set<std::string>& allowed, const std::string& where) {
    ASSERT_TRUE(map.IsMap()) << name << ": " << where;
    for (const auto& k : keys(map)) EXPECT_TRUE(allowed.count(k) == 1) << name << ": " << where << "." << k;
  };
  check(y, top, "");
  if (y["kafka"]) check(y["kafka"], kafka, "kafka");
  if (y["cassandra"]) {
    check(y["cassandra"], cassandra, "cassandra");
    if (y["cassandra"]["tls"]) check(y["cassandra"]["tls"], cassandra_tls, "cassandra.tls");
  }
  for (const auto& s : y["sources"]) {
    check(s, source, "sources[]");
    if (s["avro"]) check(s["avro"], avro, "sources[].avro");
    if (s["time"]) check(s["time"], time, "sources[].time");
  }
  for (const auto& k : y["sinks"]) {
    check(k, sink, "sinks[]");
    if (k["ttl"] && k["ttl"].IsMap()) check(k["ttl"], field_unit, "sinks[].ttl");
    if (k["writetime"] && k["writetime"].IsMap()) check(k["writetime"], field_unit, "sinks[].writetime");
  }
  if (y["dead_letters"]) check(y["dead_letters"], dead_letters, "dead_letters");
  if (y["write"]) check(y["write"], write, "write");
}

// --- every example -----------------------------------------------------------------------------

TEST(ImportExamples, EveryExampleIsValidYamlWithOnlyDocumentedKeys) {
  for (const auto& name : kAllConfigs) {
    SCOPED_TRACE(name);
    auto imp = import_named(name);
    ASSERT_TRUE(imp.y.IsMap());
    expect_known_keys(imp.y, name);
    EXPECT_TRUE(imp.y["kafka"]["bootstrap_servers"]);
    EXPECT_TRUE(imp.y["cassandra"]["contact_points"].IsSequence());
    EXPECT_TRUE(imp.y["sources"].IsSequence());
    EXPECT_TRUE(imp.y["sinks"].IsSequence());
    // Every sink reads from a source of the file.
    std::set<std::string> sources;
    for (const auto& s : imp.y["sources"]) sources.insert(str(s["name"]));
    for (const auto& k : imp.y["sinks"]) EXPECT_EQ(sources.count(str(k["from"])), 1U) << str(k["from"]);
  }
}

// What sluice itself makes of the output: `sluice run` and `check` read it with this parser.
// lenses-multi.json is translated on purpose with a table that has no keyspace (its KCQL names
// none and the connector sets no key.space), which the user must fill in.
TEST(ImportExamples, TheOutputIsAPipelineFileSluiceAccepts) {
  for (const auto& name : kAllConfigs) {
    SCOPED_TRACE(name);
    auto imp = import_named(name);
    auto parsed = config::parse_pipeline(imp.r.pipeline_yaml, name);
    if (std::string(name) == "lenses-multi.json") {
      ASSERT_FALSE(parsed.ok());
      EXPECT_NE(parsed.error().message().find("has no keyspace and cassandra.keyspace is not set"), std::string::npos)
          << parsed.error().message();
      continue;
    }
    EXPECT_TRUE(parsed.ok()) << parsed.error().message() << "\n" << imp.r.pipeline_yaml;
  }
}

TEST(ImportExamples, OutputIsDeterministic) {
  for (const auto& name : kAllConfigs) {
    const auto text = read_config(name);
    auto a = import_connector_config(text, name);
    auto b = import_connector_config(text, name);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->pipeline_yaml, b->pipeline_yaml) << name;
    EXPECT_EQ(a->untranslated, b->untranslated) << name;
    EXPECT_EQ(a->notes, b->notes) << name;
  }
}

TEST(ImportExamples, NoSecretAppearsAnywhere) {
  // The secrets the example files hold, and any value of a secret-looking key.
  std::vector<std::string> secrets = {"s3cr3t-Pa55!",        "trust-me-123",         "keystore-pw-456",
                                      "registry-secret-789", "AstraCS:abcdefSECRET", "lenses-pw-2468",
                                      "lenses-trust-1357",   "kafka-jaas-pw-999"};
  for (const auto& name : kAllConfigs) {
    const auto text = read_config(name);
    auto settings = name.ends_with(".json") ? parse_connector_json(text) : parse_properties(text);
    ASSERT_TRUE(settings.ok()) << name;
    for (const auto& s : *settings) {
      if (s.key.find("password") != std::string::npos || s.key.find("jaas") != std::string::npos ||
          s.key.find("user.info") != std::string::npos) {
        secrets.push_back(s.value);
      }
    }
  }
  for (const auto& name : kAllConfigs) {
    SCOPED_TRACE(name);
    auto imp = import_named(name);
    for (const auto& secret : secrets) {
      ASSERT_FALSE(secret.empty());
      EXPECT_EQ(imp.r.pipeline_yaml.find(secret), std::string::npos) << secret;
      EXPECT_FALSE(any_contains(imp.r.untranslated, secret)) << secret;
      EXPECT_FALSE(any_contains(imp.r.notes, secret)) << secret;
    }
  }
}

// --- DataStax ------------------------------------------------------------------------------------

TEST(ImportDataStax, Basic) {
  auto imp = import_named("datastax-basic.properties");
  const auto& y = imp.y;
  EXPECT_EQ(keys(y), (Strings{"name", "kafka", "cassandra", "sources", "sinks", "error_policy"}));
  EXPECT_EQ(str(y["name"]), "stocks-sink");
  EXPECT_EQ(keys(y["kafka"]), (Strings{"bootstrap_servers", "group_id"}));
  EXPECT_EQ(str(y["kafka"]["bootstrap_servers"]), "localhost:9092");
  EXPECT_EQ(str(y["kafka"]["group_id"]), "connect-stocks-sink");
  EXPECT_EQ(keys(y["cassandra"]), (Strings{"contact_points", "port", "local_datacenter"}));
  EXPECT_EQ(y["cassandra"]["contact_points"].as<Strings>(), (Strings{"10.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(y["cassandra"]["port"].as<int>(), 9042);
  EXPECT_EQ(str(y["cassandra"]["local_datacenter"]), "datacenter1");

  ASSERT_EQ(y["sources"].size(), 1U);
  const auto src = y["sources"][0];
  EXPECT_EQ(keys(src), (Strings{"name", "topics", "format", "key_format"}));
  EXPECT_EQ(str(src["name"]), "stocks_topic");
  EXPECT_EQ(src["topics"].as<Strings>(), (Strings{"stocks_topic"}));
  EXPECT_EQ(str(src["format"]), "json");
  EXPECT_EQ(str(src["key_format"]), "string");

  ASSERT_EQ(y["sinks"].size(), 1U);
  const auto sink = y["sinks"][0];
  EXPECT_EQ(keys(sink), (Strings{"from", "table", "mapping", "consistency"}));
  EXPECT_EQ(str(sink["from"]), "stocks_topic");
  EXPECT_EQ(str(sink["table"]), "stocks_keyspace.stocks_table");
  // The mapping spans three lines of the file (continuations), in its order.
  EXPECT_EQ(keys(sink["mapping"]), (Strings{"symbol", "ts", "exchange", "industry", "name", "value"}));
  EXPECT_EQ(mapping_of(sink), (std::map<std::string, std::string>{{"symbol", "value.symbol"},
                                                                  {"ts", "value.ts"},
                                                                  {"exchange", "value.exchange"},
                                                                  {"industry", "value.industry"},
                                                                  {"name", "key"},
                                                                  {"value", "value.value"}}));
  EXPECT_EQ(str(sink["consistency"]), "LOCAL_QUORUM");
  EXPECT_EQ(str(y["error_policy"]), "none");

  EXPECT_EQ(imp.r.untranslated,
            (Strings{"tasks.max=1: sluice runs one process per pipeline; its parallelism is write.max_in_flight, not "
                     "tasks"}));
  EXPECT_TRUE(has(imp.r.notes,
                  "error_policy none: Kafka Connect's default (the connector stops at the first record it cannot "
                  "write); sluice's default is all"));
  EXPECT_TRUE(any_contains(imp.r.notes, "kafka.group_id connect-stocks-sink: the consumer group Kafka Connect used"));
  EXPECT_TRUE(any_contains(imp.r.notes, "kafka.bootstrap_servers is a placeholder"));
  EXPECT_EQ(imp.r.notes.size(), 3U);
  // Comments say where each part came from.
  EXPECT_NE(imp.r.pipeline_yaml.find("# topic.stocks_topic.stocks_keyspace.stocks_table.mapping"), std::string::npos);
  EXPECT_NE(imp.r.pipeline_yaml.find("# loadBalancing.localDc"), std::string::npos);
}

TEST(ImportDataStax, FullRestForm) {
  auto imp = import_named("datastax-full.json");
  const auto& y = imp.y;
  EXPECT_EQ(keys(y),
            (Strings{"name", "kafka", "cassandra", "sources", "sinks", "dead_letters", "error_policy", "write"}));
  EXPECT_EQ(str(y["name"]), "iot-sink");
  EXPECT_EQ(keys(y["kafka"]), (Strings{"bootstrap_servers", "group_id", "properties"}));
  EXPECT_EQ(str(y["kafka"]["group_id"]), "connect-iot-sink");
  EXPECT_EQ(keys(y["kafka"]["properties"]), (Strings{"fetch.max.bytes", "fetch.wait.max.ms"}));
  EXPECT_EQ(str(y["kafka"]["properties"]["fetch.max.bytes"]), "52428800");
  EXPECT_EQ(str(y["kafka"]["properties"]["fetch.wait.max.ms"]), "200");

  const auto c = y["cassandra"];
  EXPECT_EQ(keys(c), (Strings{"contact_points", "port", "local_datacenter", "username", "password_env", "tls",
                              "compression", "connections_per_host"}));
  EXPECT_EQ(c["contact_points"].as<Strings>(), (Strings{"cass1.example.com", "cass2.example.com"}));
  EXPECT_EQ(c["port"].as<int>(), 9142);  // a JSON number
  EXPECT_EQ(str(c["local_datacenter"]), "dc-east");
  EXPECT_EQ(str(c["username"]), "sluice_writer");
  EXPECT_EQ(str(c["password_env"]), "CASSANDRA_PASSWORD");
  EXPECT_EQ(keys(c["tls"]), (Strings{"ca_file"}));
  EXPECT_EQ(str(c["tls"]["ca_file"]), "CHANGE-ME/cassandra-ca.pem");
  EXPECT_EQ(str(c["compression"]), "lz4");
  EXPECT_EQ(c["connections_per_host"].as<int>(), 2);
  // The placeholder says what to do about the JKS truststore.
  EXPECT_NE(imp.r.pipeline_yaml.find("# ssl.truststore.path=/etc/kafka/secrets/cassandra.truststore.jks is a Java "
                                     "keystore: export its CA certificate as PEM"),
            std::string::npos);

  ASSERT_EQ(y["sources"].size(), 2U);
  const auto readings = y["sources"][0];
  EXPECT_EQ(keys(readings), (Strings{"name", "topics", "start", "format", "key_format", "time"}));
  EXPECT_EQ(str(readings["name"]), "readings");
  EXPECT_EQ(readings["topics"].as<Strings>(), (Strings{"readings"}));
  EXPECT_EQ(str(readings["start"]), "latest");
  EXPECT_EQ(str(readings["format"]), "json");
  EXPECT_EQ(str(readings["key_format"]), "json");
  EXPECT_EQ(keys(readings["time"]), (Strings{"zone", "timestamp_format", "date_format", "time_format", "epoch_unit"}));
  EXPECT_EQ(str(readings["time"]["zone"]), "Europe/Paris");
  EXPECT_EQ(str(readings["time"]["timestamp_format"]), "%Y-%m-%d %H:%M:%S.%f");
  EXPECT_EQ(str(readings["time"]["date_format"]), "");
  EXPECT_EQ(str(readings["time"]["time_format"]), "%H:%M");
  EXPECT_EQ(str(readings["time"]["epoch_unit"]), "seconds");
  const auto alerts = y["sources"][1];
  EXPECT_EQ(keys(alerts), (Strings{"name", "topics", "start", "format", "key_format", "time"}));
  EXPECT_EQ(str(alerts["name"]), "alerts");
  EXPECT_EQ(keys(alerts["time"]), (Strings{"timestamp_format"}));
  EXPECT_EQ(str(alerts["time"]["timestamp_format"]), "");

  ASSERT_EQ(y["sinks"].size(), 3U);
  const auto by_sensor = y["sinks"][0];
  EXPECT_EQ(keys(by_sensor),
            (Strings{"from", "table", "mapping", "ttl", "writetime", "deletes", "null_to_unset", "consistency"}));
  EXPECT_EQ(str(by_sensor["from"]), "readings");
  EXPECT_EQ(str(by_sensor["table"]), "iot.readings_by_sensor");
  // value.converter.schemas.enable=true: value paths go under the envelope's payload; the key's
  // converter has schemas.enable=false (a JSON boolean), so key paths stay as they are.
  EXPECT_EQ(mapping_of(by_sensor), (std::map<std::string, std::string>{{"sensor_id", "key.sensor"},
                                                                       {"day", "value.payload.day"},
                                                                       {"ts", "value.payload.ts"},
                                                                       {"temperature", "value.payload.temp"},
                                                                       {"trace", "header.trace-id"},
                                                                       {"ingested", "now()"}}));
  EXPECT_EQ(str(by_sensor["ttl"]["field"]), "value.payload.ttl_ms");
  EXPECT_EQ(str(by_sensor["ttl"]["unit"]), "milliseconds");
  EXPECT_EQ(str(by_sensor["writetime"]["field"]), "value.payload.event_ms");
  EXPECT_EQ(str(by_sensor["writetime"]["unit"]), "milliseconds");
  EXPECT_FALSE(by_sensor["deletes"].as<bool>());
  EXPECT_FALSE(by_sensor["null_to_unset"].as<bool>());
  EXPECT_EQ(str(by_sensor["consistency"]), "LOCAL_ONE");

  const auto latest = y["sinks"][1];
  EXPECT_EQ(keys(latest), (Strings{"from", "table", "mapping", "ttl", "consistency"}));
  EXPECT_EQ(str(latest["table"]), "iot.latest_by_sensor");
  EXPECT_EQ(latest["ttl"].as<int>(), 7 * 86400);  // ttl=7, ttlTimeUnit=DAYS
  EXPECT_EQ(str(latest["consistency"]), "QUORUM");

  const auto counts = y["sinks"][2];
  EXPECT_EQ(keys(counts), (Strings{"from", "table", "mapping", "consistency", "query"}));
  EXPECT_EQ(str(counts["from"]), "alerts");
  EXPECT_EQ(str(counts["consistency"]), "LOCAL_QUORUM");  // local_quorum, upper-cased
  EXPECT_EQ(str(counts["query"]), "UPDATE iot.alert_counts SET total = total + :total WHERE sensor_id = :sensor_id");

  EXPECT_EQ(str(y["dead_letters"]["topic"]), "iot-dlq");
  EXPECT_EQ(keys(y["dead_letters"]), (Strings{"topic"}));
  EXPECT_EQ(str(y["error_policy"]), "all");
  EXPECT_EQ(keys(y["write"]), (Strings{"max_batch_rows", "max_in_flight", "request_timeout_ms"}));
  EXPECT_EQ(y["write"]["max_batch_rows"].as<int>(), 16);
  EXPECT_EQ(y["write"]["max_in_flight"].as<int>(), 300);
  EXPECT_EQ(y["write"]["request_timeout_ms"].as<int>(), 20000);

  // One per setting, in the file's order (several string literals per message: split only for width).
  Strings expected;
  expected.push_back(
      "tasks.max=4: sluice runs one process per pipeline; its parallelism is write.max_in_flight, not tasks");
  expected.push_back("jmx=true: sluice exposes its metrics for Prometheus at admin.listen (/metrics), not over JMX");
  expected.push_back(
      "ssl.hostnameValidation=false: sluice always checks that a node's certificate names the address it connects "
      "to; give the nodes certificates that name them");
  expected.push_back(
      "ssl.truststore.path=/etc/kafka/secrets/cassandra.truststore.jks: a Java keystore; sluice needs a PEM "
      "CA file: export the CA certificate with keytool -exportcert -rfc and set cassandra.tls.ca_file to it");
  expected.push_back("ssl.truststore.password=<redacted>: a PEM CA file (cassandra.tls.ca_file) needs no password");
  const std::string keystore_reason =
      ": a Java keystore: export the client certificate and key as PEM files and set cassandra.tls.cert_file and "
      "key_file";
  expected.push_back("ssl.keystore.path=/etc/kafka/secrets/client.keystore.jks" + keystore_reason);
  expected.push_back("ssl.keystore.password=<redacted>" + keystore_reason);
  expected.push_back("ssl.cipherSuites=TLS_AES_128_GCM_SHA256: sluice has no cipher-suite setting");
  expected.push_back(
      "errors.log.enable=true: no equivalent: sluice's dead letters carry each failed record with its "
      "reason");
  expected.push_back(
      "consumer.override.max.poll.records=500: librdkafka has no max.poll.records; sluice bounds what it "
      "holds with write.max_buffered_records");
  expected.push_back(
      "topic.readings.iot.readings_by_sensor.ttl=3600: the mapping's __ttl takes precedence, as in Kafka "
      "Connect");
  expected.push_back(
      "topic.readings.codec.locale=en_US: sluice has no locale setting: it reads dates and times in fixed, "
      "locale-independent forms");
  EXPECT_EQ(imp.r.untranslated, expected);
  EXPECT_TRUE(has(imp.r.notes,
                  "iot.readings_by_sensor: consistencyLevel LOCAL_ONE kept; sluice's default is "
                  "LOCAL_QUORUM"));
  EXPECT_TRUE(has(imp.r.notes, "iot.latest_by_sensor: consistencyLevel QUORUM kept; sluice's default is LOCAL_QUORUM"));
  EXPECT_TRUE(has(imp.r.notes,
                  "cassandra.password_env CASSANDRA_PASSWORD: the password in auth.password is not "
                  "copied into the pipeline file; set the environment variable CASSANDRA_PASSWORD to it "
                  "(or use password_file)"));
  EXPECT_TRUE(has(imp.r.notes, "error_policy all: the more tolerant of ignoreErrors=DRIVER and errors.tolerance=all"));
  EXPECT_TRUE(any_contains(imp.r.notes,
                           "value.converter: records carry JsonConverter's {\"schema\", \"payload\"} "
                           "envelope, so mapping paths read value.payload.<field>"));
  EXPECT_TRUE(any_contains(imp.r.notes, "topic.alerts.codec.timestamp=CQL_TIMESTAMP became ISO-8601"));
  EXPECT_TRUE(any_contains(imp.r.notes, "dead letters go to topic iot-dlq with sluice's headers"));
  EXPECT_TRUE(any_contains(imp.r.notes, "iot.alert_counts: the custom query is kept"));
  EXPECT_FALSE(any_contains(imp.r.notes, "key.converter: records carry"));
}

TEST(ImportDataStax, AvroRegexKerberosAndTransforms) {
  auto imp = import_named("datastax-avro-regex.properties");
  const auto& y = imp.y;
  EXPECT_EQ(keys(y), (Strings{"name", "kafka", "cassandra", "sources", "sinks", "dead_letters", "error_policy"}));
  // Connect only logged and skipped failing records; sluice needs a place for them.
  EXPECT_EQ(str(y["dead_letters"]["topic"]), "avro-sink-dead-letters");
  EXPECT_EQ(str(y["name"]), "avro-sink");
  EXPECT_EQ(keys(y["cassandra"]), (Strings{"contact_points", "local_datacenter", "tls"}));
  EXPECT_EQ(y["cassandra"]["contact_points"].as<Strings>(), (Strings{"dse1.example.com"}));
  EXPECT_EQ(str(y["cassandra"]["local_datacenter"]), "Cassandra");
  EXPECT_EQ(keys(y["cassandra"]["tls"]), (Strings{"ca_file", "cert_file", "key_file"}));

  ASSERT_EQ(y["sources"].size(), 1U);
  const auto src = y["sources"][0];
  EXPECT_EQ(keys(src), (Strings{"name", "topic_pattern", "format", "key_format", "avro", "time"}));
  EXPECT_EQ(str(src["name"]), "avro-sink");
  // topics.regex=sensors\\..* in the file is the Java regex sensors\..*, matched whole.
  EXPECT_EQ(str(src["topic_pattern"]), "^(sensors\\..*)$");
  EXPECT_EQ(str(src["format"]), "avro");
  EXPECT_EQ(str(src["key_format"]), "avro");
  EXPECT_EQ(keys(src["avro"]), (Strings{"wire", "schemas"}));
  EXPECT_EQ(str(src["avro"]["wire"]), "confluent");
  EXPECT_EQ(str(src["avro"]["schemas"]), "schemas/");
  EXPECT_EQ(keys(src["time"]), (Strings{"zone"}));
  EXPECT_EQ(str(src["time"]["zone"]), "+05:30");

  ASSERT_EQ(y["sinks"].size(), 1U);  // readings-v2 is not a table name sluice accepts
  const auto sink = y["sinks"][0];
  EXPECT_EQ(keys(sink), (Strings{"from", "table", "mapping", "consistency"}));
  EXPECT_EQ(str(sink["from"]), "avro-sink");
  EXPECT_EQ(str(sink["table"]), "iot.readings");
  EXPECT_EQ(mapping_of(sink), (std::map<std::string, std::string>{{"sensor", "key.id"}, {"ts", "value.ts"}}));
  EXPECT_EQ(str(sink["consistency"]), "LOCAL_ONE");
  EXPECT_EQ(str(y["error_policy"]), "all");

  const auto& u = imp.r.untranslated;
  EXPECT_TRUE(has(u, "auth.provider=GSSAPI: Kerberos is not supported"));
  EXPECT_TRUE(has(u,
                  "auth.gssapi.principal=connect/host@EXAMPLE.COM: only used by auth.provider=GSSAPI (Kerberos), "
                  "which sluice does not support"));
  EXPECT_TRUE(has(u,
                  "auth.gssapi.keyTab=/etc/security/keytabs/connect.keytab: only used by auth.provider=GSSAPI "
                  "(Kerberos), which sluice does not support"));
  EXPECT_TRUE(has(u, "compression=Snappy: sluice compresses with lz4 (its default) or not at all (none)"));
  EXPECT_TRUE(has(u,
                  "value.converter.schema.registry.url=http://registry:8081: sluice has no schema-registry "
                  "client: put each writer schema in the source's schemas/ directory as <id>.avsc"));
  EXPECT_TRUE(has(u,
                  "key.converter.schema.registry.url=http://registry:8081: sluice has no schema-registry client: "
                  "put each writer schema in the source's schemas/ directory as <id>.avsc"));
  EXPECT_TRUE(has(u, "value.converter.basic.auth.user.info=<redacted>: a converter setting with no sluice equivalent"));
  EXPECT_TRUE(has(u,
                  "transforms=unwrap: single message transforms are not supported: express the change in the "
                  "mapping or the query"));
  EXPECT_TRUE(any_contains(u, "transforms.unwrap.type=io.debezium.transforms.ExtractNewRecordState: single message"));
  EXPECT_TRUE(any_contains(u,
                           "datastax-java-driver.advanced.metrics.session.enabled=[cql-requests]: a DataStax Java "
                           "driver setting"));
  EXPECT_FALSE(any_contains(u, "ssl.openssl.keyCertChain"));  // PEM files: carried over for mutual TLS
  EXPECT_EQ(str(y["cassandra"]["tls"]["cert_file"]), "/etc/ssl/connect.pem");
  EXPECT_EQ(str(y["cassandra"]["tls"]["key_file"]), "/etc/ssl/connect.key");
  EXPECT_TRUE(has(u,
                  "topic.sensors.iot.readings.mapping (\"Temp\"=value.temp): sluice accepts only "
                  "[A-Za-z_][A-Za-z0-9_]* up to 48 characters (quoted names are refused)"));
  EXPECT_TRUE(has(u,
                  "topic.sensors.iot.readings.ttlTimeUnit=HOURS: sluice reads a TTL field in seconds, "
                  "milliseconds, microseconds or nanoseconds; the mapping's __ttl was not translated"));
  EXPECT_TRUE(has(u,
                  "topic.sensors.iot.readings-v2.mapping=sensor=key.id: `readings-v2`: sluice accepts only "
                  "[A-Za-z_][A-Za-z0-9_]* up to 48 characters (quoted names are refused)"));
  EXPECT_TRUE(has(u,
                  "topic.sensors.codec.unit=DAYS: sluice's epoch_unit is seconds, milliseconds, microseconds or "
                  "nanoseconds"));
  EXPECT_TRUE(any_contains(u, "tasks.max=2: "));
  EXPECT_EQ(u.size(), 17U);

  EXPECT_TRUE(any_contains(imp.r.notes, "topics.regex sensors\\..* became topic_pattern ^(sensors\\..*)$"));
  EXPECT_TRUE(any_contains(imp.r.notes, "Avro records are read in the Confluent wire format: put every writer schema"));
  EXPECT_TRUE(any_contains(imp.r.notes, "the sink reads every topic of the topics.regex source avro-sink"));
  EXPECT_TRUE(has(imp.r.notes,
                  "iot.readings: consistencyLevel not set, DataStax's default LOCAL_ONE kept; sluice's "
                  "default is LOCAL_QUORUM"));
  EXPECT_TRUE(any_contains(imp.r.notes, "cassandra.tls.ca_file is a placeholder"));
  EXPECT_TRUE(has(imp.r.notes,
                  "dead_letters.topic avro-sink-dead-letters added: sluice's error_policy all sends each "
                  "failing record to dead letters, where Kafka Connect only logged and skipped it; create "
                  "the topic, or name another"));
}

TEST(ImportDataStax, FlatJsonStringConverterAndUnits) {
  auto imp = import_named("datastax-flat.json");
  const auto& y = imp.y;
  EXPECT_EQ(keys(y), (Strings{"name", "kafka", "cassandra", "sources", "sinks", "dead_letters", "error_policy"}));
  // Connect only logged and skipped failing records; sluice needs a place for them.
  EXPECT_EQ(str(y["dead_letters"]["topic"]), "datastax-flat-dead-letters");
  EXPECT_EQ(str(y["name"]), "datastax-flat");  // no name: the file's
  EXPECT_EQ(keys(y["kafka"]), (Strings{"bootstrap_servers"}));
  EXPECT_EQ(keys(y["cassandra"]), (Strings{"contact_points"}));
  EXPECT_EQ(y["cassandra"]["contact_points"].as<Strings>(), (Strings{"localhost"}));

  ASSERT_EQ(y["sources"].size(), 2U);
  const auto orders = y["sources"][0];
  EXPECT_EQ(str(orders["name"]), "orders.v1");  // a topic name with a dot
  EXPECT_EQ(orders["topics"].as<Strings>(), (Strings{"orders.v1"}));
  // StringConverter, but the mapping reads fields: DataStax parsed the text as JSON.
  EXPECT_EQ(str(orders["format"]), "json");
  EXPECT_EQ(str(orders["key_format"]), "string");
  EXPECT_EQ(keys(orders["time"]), (Strings{"timestamp_format"}));
  EXPECT_EQ(str(orders["time"]["timestamp_format"]), "");
  const auto returns = y["sources"][1];
  EXPECT_EQ(keys(returns), (Strings{"name", "topics", "format", "key_format", "time"}));
  EXPECT_EQ(keys(returns["time"]), (Strings{"time_format"}));

  ASSERT_EQ(y["sinks"].size(), 2U);
  const auto o = y["sinks"][0];
  EXPECT_EQ(keys(o), (Strings{"from", "table", "mapping", "ttl", "consistency"}));
  EXPECT_EQ(str(o["from"]), "orders.v1");
  EXPECT_EQ(str(o["table"]), "shop.orders");
  EXPECT_EQ(mapping_of(o), (std::map<std::string, std::string>{{"order_id", "key"},
                                                               {"customer", "value.customer.id"},
                                                               {"total", "value.total"},
                                                               {"source", "header.origin"}}));
  EXPECT_EQ(o["ttl"].as<int>(), 0);  // ttl=-1: none
  const auto r = y["sinks"][1];
  EXPECT_EQ(str(r["table"]), "shop.returns");
  EXPECT_EQ(r["ttl"].as<int>(), 1);             // 1500 ms, rounded down
  EXPECT_EQ(str(y["error_policy"]), "driver");  // ignoreErrors=true (deprecated: DRIVER)

  EXPECT_EQ(imp.r.untranslated,
            (Strings{"topic.refunds.shop.refunds.mapping=order_id=value.order: topic refunds is not in topics, so "
                     "Kafka Connect never read it",
                     "topic.returns.codec.date=dd/MM/yy: the Java pattern has the pattern letters `yy`, which have no "
                     "strftime equivalent sluice reads",
                     "maxNumberOfRecordsInBatch=0: not a whole number from 1 to 1000000"}));
  EXPECT_TRUE(has(imp.r.notes,
                  "topic.returns.shop.returns: ttl 1500 MILLISECONDS is not a whole number of seconds; "
                  "rounded down to 1 s"));
  EXPECT_TRUE(
      has(imp.r.notes, "error_policy driver: the more tolerant of ignoreErrors=true and errors.tolerance=none"));
  EXPECT_TRUE(any_contains(imp.r.notes, "no name in the configuration: the pipeline is called datastax-flat"));
  EXPECT_TRUE(has(imp.r.notes,
                  "source orders.v1: value.converter is StringConverter but the mapping reads value "
                  "fields, which the connector parsed as JSON: format json"));
}

TEST(ImportDataStax, AstraBytesAndFrameworkSettings) {
  auto imp = import_named("datastax-astra.properties");
  const auto& y = imp.y;
  EXPECT_EQ(keys(y), (Strings{"name", "kafka", "cassandra", "sources", "sinks", "dead_letters", "error_policy"}));
  EXPECT_EQ(keys(y["cassandra"]), (Strings{"contact_points", "username", "password_env"}));
  EXPECT_EQ(str(y["cassandra"]["username"]), "client-id-42");
  EXPECT_EQ(str(y["cassandra"]["password_env"]), "CASSANDRA_PASSWORD");
  const auto src = y["sources"][0];
  EXPECT_EQ(str(src["format"]), "bytes");
  EXPECT_EQ(str(src["key_format"]), "string");
  const auto sink = y["sinks"][0];
  EXPECT_EQ(keys(sink), (Strings{"from", "table", "mapping"}));  // LOCAL_SERIAL is no write consistency
  EXPECT_EQ(mapping_of(sink), (std::map<std::string, std::string>{{"id", "key"}, {"payload", "value"}}));
  EXPECT_EQ(str(y["dead_letters"]["topic"]), "events-dlq");
  EXPECT_EQ(str(y["error_policy"]), "all");

  const auto& u = imp.r.untranslated;
  EXPECT_TRUE(any_contains(u,
                           "cloud.secureConnectBundle=/opt/astra/secure-connect-prod.zip: Astra secure connect "
                           "bundles are not supported"));
  EXPECT_TRUE(has(u,
                  "ssl.truststore.path=/opt/astra/unused.jks: ssl.provider is None, so Kafka Connect did not use "
                  "it"));
  EXPECT_TRUE(any_contains(u, "header.converter=org.apache.kafka.connect.storage.SimpleHeaderConverter: "));
  EXPECT_TRUE(any_contains(u, "errors.retry.timeout=60000: "));
  EXPECT_TRUE(any_contains(u, "errors.deadletterqueue.topic.replication.factor=3: "));
  EXPECT_TRUE(any_contains(u, "producer.override.linger.ms=5: "));
  EXPECT_TRUE(any_contains(u, "topic.events.prod.raw_events.consistencyLevel=LOCAL_SERIAL: not a write consistency"));
  EXPECT_EQ(u.size(), 7U);
}

// --- Lenses --------------------------------------------------------------------------------------

TEST(ImportLenses, BasicKcql) {
  auto imp = import_named("lenses-basic.properties");
  const auto& y = imp.y;
  EXPECT_EQ(keys(y), (Strings{"name", "kafka", "cassandra", "sources", "sinks", "dead_letters", "error_policy"}));
  // Connect only logged and skipped failing records; sluice needs a place for them.
  EXPECT_EQ(str(y["dead_letters"]["topic"]), "orders-cassandra-dead-letters");
  EXPECT_EQ(str(y["name"]), "orders-cassandra");
  EXPECT_EQ(str(y["kafka"]["group_id"]), "connect-orders-cassandra");
  const auto c = y["cassandra"];
  EXPECT_EQ(keys(c), (Strings{"contact_points", "port", "keyspace", "username", "password_env"}));
  EXPECT_EQ(c["contact_points"].as<Strings>(), (Strings{"cassandra1", "cassandra2"}));
  EXPECT_EQ(c["port"].as<int>(), 9042);
  EXPECT_EQ(str(c["keyspace"]), "demo");
  EXPECT_EQ(str(c["username"]), "cassandra");
  EXPECT_EQ(str(c["password_env"]), "CASSANDRA_PASSWORD");
  const auto src = y["sources"][0];
  EXPECT_EQ(str(src["name"]), "orders-topic");
  EXPECT_EQ(str(src["format"]), "json");
  ASSERT_EQ(y["sinks"].size(), 1U);
  const auto sink = y["sinks"][0];
  EXPECT_EQ(keys(sink), (Strings{"from", "table", "mapping", "ttl", "deletes", "null_to_unset", "consistency"}));
  EXPECT_EQ(str(sink["from"]), "orders-topic");
  EXPECT_EQ(str(sink["table"]), "orders");
  EXPECT_EQ(keys(sink["mapping"]), (Strings{"id", "created", "product_name", "qty", "price"}));
  EXPECT_EQ(mapping_of(sink), (std::map<std::string, std::string>{{"id", "value.id"},
                                                                  {"created", "value.created"},
                                                                  {"product_name", "value.product"},
                                                                  {"qty", "value.qty"},
                                                                  {"price", "value.price"}}));
  EXPECT_EQ(sink["ttl"].as<int>(), 86400);
  EXPECT_FALSE(sink["deletes"].as<bool>());
  EXPECT_FALSE(sink["null_to_unset"].as<bool>());
  EXPECT_EQ(str(sink["consistency"]), "LOCAL_ONE");
  EXPECT_EQ(str(y["error_policy"]), "all");  // NOOP

  EXPECT_EQ(imp.r.untranslated, (Strings{"tasks.max=1: sluice runs one process per pipeline; its parallelism is "
                                         "write.max_in_flight, not tasks"}));
  EXPECT_TRUE(has(imp.r.notes,
                  "connect.cassandra.error.policy NOOP became error_policy all: a failing record is "
                  "skipped (and written to dead letters when dead_letters is set)"));
  EXPECT_TRUE(has(imp.r.notes, "connect.cassandra.consistency.level LOCAL_ONE kept; sluice's default is LOCAL_QUORUM"));
  EXPECT_TRUE(any_contains(imp.r.notes, "deletes: false kept"));
  EXPECT_TRUE(any_contains(imp.r.notes, "null_to_unset: false kept"));
  EXPECT_TRUE(any_contains(imp.r.notes, "the password in connect.cassandra.password is not copied"));
}

TEST(ImportLenses, MultiStatementRestForm) {
  auto imp = import_named("lenses-multi.json");
  const auto& y = imp.y;
  EXPECT_EQ(keys(y), (Strings{"name", "kafka", "cassandra", "sources", "sinks", "dead_letters", "error_policy"}));
  // Connect only logged and skipped failing records; sluice needs a place for them.
  EXPECT_EQ(str(y["dead_letters"]["topic"]), "payments-dead-letters");
  EXPECT_EQ(str(y["name"]), "payments");
  EXPECT_EQ(keys(y["kafka"]), (Strings{"bootstrap_servers", "group_id"}));
  EXPECT_EQ(str(y["kafka"]["bootstrap_servers"]), "kafka1:9093,kafka2:9093");
  EXPECT_EQ(keys(y["cassandra"]), (Strings{"contact_points", "tls"}));
  EXPECT_EQ(keys(y["cassandra"]["tls"]), (Strings{"ca_file"}));

  ASSERT_EQ(y["sources"].size(), 2U);
  for (const auto& s : y["sources"]) {
    EXPECT_EQ(keys(s), (Strings{"name", "topics", "format", "key_format", "avro"}));
    EXPECT_EQ(str(s["format"]), "avro");
    EXPECT_EQ(str(s["key_format"]), "string");
  }
  ASSERT_EQ(y["sinks"].size(), 2U);
  const auto pay = y["sinks"][0];
  EXPECT_EQ(keys(pay), (Strings{"from", "table", "mapping", "deletes", "null_to_unset"}));
  EXPECT_EQ(str(pay["table"]), "ledger.payments");
  EXPECT_EQ(keys(pay["mapping"]), (Strings{"id", "account_id", "amount", "region"}));
  EXPECT_EQ(mapping_of(pay), (std::map<std::string, std::string>{{"id", "value.id"},
                                                                 {"account_id", "value.account.id"},
                                                                 {"amount", "value.amount"},
                                                                 {"region", "key.region"}}));
  EXPECT_TRUE(pay["deletes"].as<bool>());
  const auto refunds = y["sinks"][1];  // lower-case keywords, a backtick-quoted topic
  EXPECT_EQ(str(refunds["from"]), "refunds");
  EXPECT_EQ(str(refunds["table"]), "refunds");
  EXPECT_TRUE(refunds["mapping"].IsMap());
  EXPECT_EQ(refunds["mapping"].size(), 0U);  // SELECT *: to be filled in
  EXPECT_EQ(str(y["error_policy"]), "all");

  const auto& u = imp.r.untranslated;
  EXPECT_TRUE(has(u,
                  "connect.cassandra.kcql (statement 2: insert into refunds select * from `refunds` WITHUNWRAP): "
                  "SELECT * cannot be translated without the records' schema: list the columns in the sink's "
                  "mapping"));
  EXPECT_TRUE(has(u,
                  "connect.cassandra.kcql (statement 2: WITHUNWRAP): KCQL clause not supported; the statement was "
                  "translated without it"));
  EXPECT_TRUE(has(u,
                  "connect.cassandra.trust.store.password=<redacted>: a PEM CA file (cassandra.tls.ca_file) needs "
                  "no password or store type"));
  EXPECT_TRUE(any_contains(u, "connect.cassandra.trust.store.path=/opt/lenses/truststore.jks: a Java keystore"));
  EXPECT_TRUE(any_contains(u, "connect.cassandra.max.retries=20: "));
  EXPECT_TRUE(any_contains(u, "connect.cassandra.retry.interval=60000: "));
  EXPECT_TRUE(any_contains(u,
                           "connect.cassandra.delete.statement=DELETE FROM ledger.payments WHERE id = ?: sluice "
                           "builds the DELETE itself"));
  EXPECT_TRUE(any_contains(u, "connect.cassandra.delete.struct_flds=id: "));
  EXPECT_TRUE(has(u,
                  "consumer.override.sasl.jaas.config=<redacted>: Kafka security is not translated: set kafka.tls "
                  "and kafka.sasl (with password_env) by hand"));
  EXPECT_TRUE(any_contains(u, "consumer.override.security.protocol=SASL_SSL: "));
  EXPECT_TRUE(any_contains(u, "value.converter.schema.registry.url=http://schema-registry:8081: "));
  EXPECT_TRUE(any_contains(u, "tasks.max=2: "));
  EXPECT_EQ(u.size(), 12U);
  EXPECT_TRUE(has(imp.r.notes,
                  "connect.cassandra.error.policy RETRY became error_policy all: sluice retries passing "
                  "write failures (timeouts, unavailable, overloaded) without limit, and a record "
                  "Cassandra refuses goes to dead letters instead of being retried"));
  EXPECT_TRUE(has(imp.r.notes,
                  "table refunds of statement 2 has no keyspace and connect.cassandra.key.space is not "
                  "set: set cassandra.keyspace or write <keyspace>.refunds"));
  EXPECT_TRUE(any_contains(imp.r.notes, "key.converter is not set in the connector"));
  EXPECT_TRUE(any_contains(imp.r.notes, "source payments: the mapping reads key fields, which needs key_format json"));
}

TEST(ImportLenses, KcqlErrorsAndIdentifiers) {
  auto imp = import_text(
      "connector.class=io.lenses.streamreactor.connect.cassandra.sink.CassandraSinkConnector\n"
      "topics=a,b,c\n"
      "connect.cassandra.key.space=ks\n"
      "connect.cassandra.kcql=INSERT orders SELECT x FROM a;"
      " Insert Into t2 Select `weird name` as ok, y As \"Bad\", nested.deep FROM b ttl = 60;"
      " INSERT INTO t3 SELECT id FROM nowhere;"
      " INSERT INTO `bad-table` SELECT id FROM c\n");
  const auto& y = imp.y;
  ASSERT_EQ(y["sinks"].size(), 1U);
  const auto sink = y["sinks"][0];
  EXPECT_EQ(str(sink["from"]), "b");
  EXPECT_EQ(str(sink["table"]), "t2");
  EXPECT_EQ(mapping_of(sink), (std::map<std::string, std::string>{{"deep", "value.nested.deep"}}));
  EXPECT_EQ(sink["ttl"].as<int>(), 60);
  const auto& u = imp.r.untranslated;
  EXPECT_TRUE(has(u,
                  "connect.cassandra.kcql (statement 1: INSERT orders SELECT x FROM a): expected INSERT INTO "
                  "<table> SELECT <fields> FROM <topic> [TTL=<seconds>]"));
  EXPECT_TRUE(has(u,
                  "connect.cassandra.kcql (statement 2: field weird name): not a field path sluice reads (plain "
                  "segments separated by dots)"));
  EXPECT_TRUE(has(u,
                  "connect.cassandra.kcql (statement 2: column \"Bad\"): sluice accepts only "
                  "[A-Za-z_][A-Za-z0-9_]* up to 48 characters (quoted names are refused)"));
  EXPECT_TRUE(has(u,
                  "connect.cassandra.kcql (statement 3: INSERT INTO t3 SELECT id FROM nowhere): topic nowhere is "
                  "not in topics, so Kafka Connect never read it"));
  EXPECT_TRUE(any_contains(u,
                           "connect.cassandra.kcql (statement 4: INSERT INTO `bad-table` SELECT id FROM c): table "
                           "`bad-table`: sluice accepts only"));
  // No error policy set anywhere: Connect's defaults (THROW) kept.
  EXPECT_EQ(str(y["error_policy"]), "none");
}

// --- translation rules ---------------------------------------------------------------------------

TEST(ImportRules, ConnectorDetectionAndRefusal) {
  auto other = import_connector_config("connector.class=io.confluent.connect.jdbc.JdbcSinkConnector\ntopics=a\n",
                                       "jdbc.properties");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code(), Errc::invalid_argument);
  EXPECT_EQ(other.error().message(),
            "jdbc.properties: connector.class io.confluent.connect.jdbc.JdbcSinkConnector is not a Cassandra sink "
            "sluice can import (the DataStax Apache Kafka Connector or the Lenses Stream Reactor Cassandra sink)");
  auto nothing = import_connector_config("tasks.max=1\n", "x.properties");
  ASSERT_FALSE(nothing.ok());
  EXPECT_NE(nothing.error().message().find("not a Cassandra sink configuration"), std::string::npos);
  auto empty = import_connector_config("# only a comment\n\n", "empty.properties");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message(), "empty.properties: no settings in the file");
  // Without connector.class, the keys tell which connector it is.
  auto lenses = import_text("topics=t\nconnect.cassandra.kcql=INSERT INTO x SELECT a FROM t\n");
  EXPECT_EQ(str(lenses.y["sinks"][0]["table"]), "x");
  auto datastax = import_text("topics=t\ntopic.t.ks.tb.mapping=a=value.a\n");
  EXPECT_EQ(str(datastax.y["sinks"][0]["table"]), "ks.tb");
}

TEST(ImportRules, ErrorPolicyFromIgnoreErrorsAndTolerance) {
  struct Case {
    std::string settings;
    std::string policy;
  };
  const std::vector<Case> cases = {
      {"ignoreErrors=NONE\n", "none"},
      {"ignoreErrors=false\n", "none"},
      {"ignoreErrors=Driver\n", "driver"},
      {"ignoreErrors=ALL\n", "all"},
      {"errors.tolerance=all\n", "all"},
      {"errors.tolerance=none\n", "none"},
      {"ignoreErrors=NONE\nerrors.tolerance=all\n", "all"},
      {"", "none"},
  };
  for (const auto& c : cases) {
    auto imp = import_text("topics=t\ntopic.t.ks.tb.mapping=a=value.a\n" + c.settings);
    EXPECT_EQ(str(imp.y["error_policy"]), c.policy) << c.settings;
  }
  auto bad = import_text("topics=t\ntopic.t.ks.tb.mapping=a=value.a\nignoreErrors=SOME\n");
  EXPECT_TRUE(has(bad.r.untranslated, "ignoreErrors=SOME: not NONE, DRIVER or ALL"));
}

TEST(ImportRules, DataStaxMappingForms) {
  auto imp = import_text(
      "topics=t\n"
      "topic.t.ks.tb.mapping=  a = value.x.0.y ,b=key,c=header.h1, d = NOW(), e=upper(value.q), f, "
      "g=value.\"quoted\", a=value.again, " +
      std::string(49, 'z') + "=value.long\n");
  const auto sink = imp.y["sinks"][0];
  EXPECT_EQ(keys(sink["mapping"]), (Strings{"a", "b", "c", "d"}));
  EXPECT_EQ(mapping_of(sink), (std::map<std::string, std::string>{
                                  {"a", "value.x.0.y"}, {"b", "key"}, {"c", "header.h1"}, {"d", "now()"}}));
  const auto& u = imp.r.untranslated;
  EXPECT_TRUE(has(u,
                  "topic.t.ks.tb.mapping (e=upper(value.q)): sluice's expressions are key, value, key.<path>, "
                  "value.<path>, header.<name> and now()"));
  EXPECT_TRUE(has(u, "topic.t.ks.tb.mapping (f): not <column>=<expression>"));
  EXPECT_TRUE(has(u,
                  "topic.t.ks.tb.mapping (g=value.\"quoted\"): a field path sluice reads has plain segments "
                  "separated by dots (no quotes, spaces or brackets)"));
  EXPECT_TRUE(has(u, "topic.t.ks.tb.mapping (a=value.again): the column is mapped twice; the first is kept"));
  EXPECT_TRUE(any_contains(u, "topic.t.ks.tb.mapping (zzzzz"));
}

TEST(ImportRules, TtlUnitsAndLimits) {
  auto imp = import_text(
      "topics=t\n"
      "topic.t.ks.a.mapping=x=value.x\ntopic.t.ks.a.ttl=2\ntopic.t.ks.a.ttlTimeUnit=HOURS\n"
      "topic.t.ks.b.mapping=x=value.x\ntopic.t.ks.b.ttl=90\n"
      "topic.t.ks.c.mapping=x=value.x\ntopic.t.ks.c.ttl=30\ntopic.t.ks.c.ttlTimeUnit=DAYS\n"
      "topic.t.ks.c.ttl=8000\n"
      "topic.t.ks.d.mapping=x=value.x\ntopic.t.ks.d.ttlTimeUnit=SECONDS\ntopic.t.ks.d.timestampTimeUnit=SECONDS\n"
      "topic.t.ks.e.mapping=x=value.x, __timestamp=value.ts\n"
      "topic.t.ks.f.mapping=x=value.x\ntopic.t.ks.f.ttl=10\ntopic.t.ks.f.ttlTimeUnit=FORTNIGHTS\n");
  const auto& y = imp.y;
  ASSERT_EQ(y["sinks"].size(), 6U);
  EXPECT_EQ(y["sinks"][0]["ttl"].as<int>(), 7200);
  EXPECT_EQ(y["sinks"][1]["ttl"].as<int>(), 90);
  EXPECT_FALSE(y["sinks"][2]["ttl"]);  // 8000 days: more than Cassandra allows
  EXPECT_FALSE(y["sinks"][3]["ttl"]);
  EXPECT_EQ(str(y["sinks"][4]["writetime"]["field"]), "value.ts");
  EXPECT_EQ(str(y["sinks"][4]["writetime"]["unit"]), "microseconds");  // DataStax's default unit
  EXPECT_EQ(y["sinks"][5]["ttl"].as<int>(), 10);                       // the unit was refused: seconds
  const auto& u = imp.r.untranslated;
  EXPECT_TRUE(has(u, "topic.t.ks.c.ttl=8000: more than Cassandra's maximum TTL (630720000 seconds)"));
  EXPECT_TRUE(has(u, "topic.t.ks.d.ttlTimeUnit=SECONDS: no ttl and no __ttl in the mapping, so it had no effect"));
  EXPECT_TRUE(has(u, "topic.t.ks.d.timestampTimeUnit=SECONDS: no __timestamp in the mapping, so it had no effect"));
  EXPECT_TRUE(has(u,
                  "topic.t.ks.f.ttlTimeUnit=FORTNIGHTS: not a time unit (NANOSECONDS, MICROSECONDS, "
                  "MILLISECONDS, SECONDS, MINUTES, HOURS or DAYS)"));
  // The duplicate key is reported with both lines.
  EXPECT_TRUE(has(imp.r.notes,
                  "topic.t.ks.c.ttl is set more than once (lines 8 and 10): the last value is used, as "
                  "in Kafka Connect"));
}

TEST(ImportRules, JsonConverterEnvelopeDefaultsToOn) {
  // JsonConverter set in the connector without schemas.enable: Connect's default (true) applies.
  auto imp = import_text(
      "topics=t\n"
      "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
      "key.converter=org.apache.kafka.connect.json.JsonConverter\n"
      "key.converter.schemas.enable=true\n"
      "topic.t.ks.tb.mapping=a=value.a.b, k=key.id, whole=value, wk=key\n");
  EXPECT_EQ(
      mapping_of(imp.y["sinks"][0]),
      (std::map<std::string, std::string>{
          {"a", "value.payload.a.b"}, {"k", "key.payload.id"}, {"whole", "value.payload"}, {"wk", "key.payload"}}));
  EXPECT_TRUE(any_contains(imp.r.notes, "(value.converter.schemas.enable not set: JsonConverter's default is true)"));
  EXPECT_TRUE(any_contains(imp.r.notes, "key.converter: records carry JsonConverter's"));
  // schemas.enable without a converter in the same configuration is the worker's business.
  auto alone = import_text("topics=t\nvalue.converter.schemas.enable=false\ntopic.t.ks.tb.mapping=a=value.a\n");
  EXPECT_TRUE(has(alone.r.untranslated,
                  "value.converter.schemas.enable=false: applies only with value.converter set "
                  "in the same configuration"));
}

TEST(ImportRules, CodecTimeFormats) {
  auto imp = import_text(
      "topics=t,u,v\n"
      "topic.t.ks.a.mapping=x=value.x\ntopic.u.ks.b.mapping=x=value.x\ntopic.v.ks.c.mapping=x=value.x\n"
      "topic.t.codec.timestamp=dd MMM yyyy hh:mm a XXX\n"
      "topic.t.codec.timeZone=Z\n"
      "topic.t.codec.unit=MICROSECONDS\n"
      "topic.u.codec.timestamp=RFC_1123_DATE_TIME\n"
      "topic.u.codec.timeZone=GMT+1\n"
      "topic.u.codec.date='day' d 'of' M, uuuu\n"
      "topic.v.codec.timestamp=yyyy-MM-dd'T'HH:mm:ss[.SSS]\n"
      "topic.v.codec.timeZone=America/Argentina/Buenos_Aires\n");
  const auto& y = imp.y;
  EXPECT_EQ(str(y["sources"][0]["time"]["timestamp_format"]), "%d %b %Y %I:%M %p %z");
  EXPECT_EQ(str(y["sources"][0]["time"]["zone"]), "UTC");
  EXPECT_EQ(str(y["sources"][0]["time"]["epoch_unit"]), "microseconds");
  EXPECT_EQ(keys(y["sources"][1]["time"]), (Strings{"date_format"}));
  EXPECT_EQ(str(y["sources"][1]["time"]["date_format"]), "day %d of %m, %Y");
  EXPECT_EQ(keys(y["sources"][2]["time"]), (Strings{"zone"}));
  EXPECT_EQ(str(y["sources"][2]["time"]["zone"]), "America/Argentina/Buenos_Aires");
  const auto& u = imp.r.untranslated;
  EXPECT_TRUE(has(u,
                  "topic.u.codec.timestamp=RFC_1123_DATE_TIME: a predefined Java formatter with no sluice "
                  "equivalent"));
  EXPECT_TRUE(has(u,
                  "topic.u.codec.timeZone=GMT+1: sluice takes an IANA time-zone name or an offset (+hh:mm, "
                  "+hhmm, +hh)"));
  EXPECT_TRUE(has(u,
                  "topic.v.codec.timestamp=yyyy-MM-dd'T'HH:mm:ss[.SSS]: the Java pattern has `[` (optional "
                  "sections and reserved characters)"));
}

TEST(ImportRules, ConsumerOverridesAndTopicsRegexAnchors) {
  auto imp = import_text(
      "name=x\n"
      "topics.regex=^events-(eu|us)$\n"
      "topic.events-eu.ks.tb.mapping=a=value.a\n"
      "consumer.override.group.id=legacy-group\n"
      "consumer.override.auto.offset.reset=none\n"
      "consumer.override.session.timeout.ms=45000\n"
      "consumer.override.receive.buffer.bytes=65536\n"
      "consumer.override.enable.auto.commit=true\n"
      "consumer.override.partition.assignment.strategy=org.apache.kafka.clients.consumer.RoundRobinAssignor\n");
  const auto& y = imp.y;
  EXPECT_EQ(str(y["sources"][0]["topic_pattern"]), "^(events-(eu|us))$");
  EXPECT_EQ(str(y["kafka"]["group_id"]), "legacy-group");
  EXPECT_EQ(keys(y["kafka"]["properties"]), (Strings{"session.timeout.ms", "socket.receive.buffer.bytes"}));
  EXPECT_EQ(str(y["kafka"]["properties"]["session.timeout.ms"]), "45000");
  EXPECT_FALSE(y["sources"][0]["start"]);
  const auto& u = imp.r.untranslated;
  EXPECT_TRUE(has(u, "consumer.override.auto.offset.reset=none: sluice's start is earliest, latest or a time"));
  EXPECT_TRUE(has(u,
                  "consumer.override.enable.auto.commit=true: sluice commits offsets itself, after the writes "
                  "(write.commit_interval_ms)"));
  EXPECT_TRUE(any_contains(u,
                           "consumer.override.partition.assignment.strategy=org.apache.kafka.clients.consumer."
                           "RoundRobinAssignor: not a consumer property sluice can pass on to librdkafka"));
  // topics and topics.regex together: Connect refuses it; topics wins.
  auto both = import_text("topics=a\ntopics.regex=a.*\ntopic.a.ks.tb.mapping=x=value.x\n");
  EXPECT_TRUE(has(both.r.untranslated,
                  "topics.regex=a.*: Kafka Connect refuses topics and topics.regex together; topics was used"));
  EXPECT_FALSE(both.y["sources"][0]["topic_pattern"]);
}

TEST(ImportRules, MissingTopicsAndMappingAndUnknownSettings) {
  auto imp = import_text(
      "contactPoints=h\n"
      "topic.t.ks.tb.consistencyLevel=ONE\n"
      "topic.t.mapping=a=value.a\n"
      "topic.t.ks.tb.frobnicate=1\n"
      "someVendorSetting=42\n");
  const auto& y = imp.y;
  ASSERT_EQ(y["sources"].size(), 1U);  // made from the table settings
  EXPECT_EQ(str(y["sources"][0]["name"]), "t");
  const auto sink = y["sinks"][0];
  EXPECT_TRUE(sink["mapping"].IsMap());
  EXPECT_EQ(sink["mapping"].size(), 0U);
  EXPECT_EQ(str(sink["consistency"]), "ONE");
  const auto& u = imp.r.untranslated;
  EXPECT_TRUE(has(u, "topic.t.mapping=a=value.a: expected topic.<topic>.<keyspace>.<table>.<setting>"));
  EXPECT_TRUE(has(u,
                  "topic.t.ks.tb.frobnicate=1: not a DataStax per-topic setting sluice knows "
                  "(topic.<topic>.<keyspace>.<table>.<setting> or topic.<topic>.codec.<setting>)"));
  EXPECT_TRUE(has(u, "someVendorSetting=42: not a setting sluice knows how to translate"));
  EXPECT_TRUE(has(imp.r.notes,
                  "topic.t.ks.tb: no mapping (Kafka Connect requires one); the sink's mapping is empty: "
                  "fill it in"));
  EXPECT_TRUE(any_contains(imp.r.notes, "neither topics nor topics.regex is set"));
}

TEST(ImportRules, YamlQuotingSurvivesAwkwardValues) {
  auto imp = import_text(
      "name=yes\n"
      "topics=123, on, null\n"
      "loadBalancing.localDc=dc: \"one\" # not a comment\n"
      "topic.123.ks.tb.mapping=a=value.a\n"
      "topic.123.ks.tb.query=INSERT INTO ks.tb (a) VALUES (:a) -- \\\\ and \\ttab\n");
  const auto& y = imp.y;
  EXPECT_EQ(str(y["name"]), "yes");
  EXPECT_EQ(str(y["kafka"]["group_id"]), "connect-yes");
  EXPECT_EQ(str(y["sources"][0]["name"]), "123");
  EXPECT_EQ(str(y["sources"][1]["name"]), "on");
  EXPECT_EQ(str(y["sources"][2]["name"]), "null");
  EXPECT_EQ(str(y["cassandra"]["local_datacenter"]), "dc: \"one\" # not a comment");
  EXPECT_EQ(str(y["sinks"][0]["from"]), "123");
  EXPECT_EQ(str(y["sinks"][0]["query"]), "INSERT INTO ks.tb (a) VALUES (:a) -- \\ and \ttab");
}

TEST(ImportRules, SecretLookingKeysAreRedactedEverywhere) {
  auto imp = import_text(
      "topics=t\ntopic.t.ks.tb.mapping=a=value.a\n"
      "consumer.override.ssl.keystore.key=-----BEGIN PRIVATE KEY-----MIIEvQ\n"
      "consumer.override.ssl.key.password=kp-111\n"
      "datastax-java-driver.advanced.auth-provider.password=dp-222\n"
      "value.converter.bearer.auth.token=tok-333\n"
      "vendor.api.key=ak-444\n");
  for (const std::string secret : {"MIIEvQ", "kp-111", "dp-222", "tok-333", "ak-444"}) {
    EXPECT_EQ(imp.r.pipeline_yaml.find(secret), std::string::npos) << secret;
    EXPECT_FALSE(any_contains(imp.r.untranslated, secret)) << secret;
    EXPECT_FALSE(any_contains(imp.r.notes, secret)) << secret;
  }
  EXPECT_TRUE(has(imp.r.untranslated, "vendor.api.key=<redacted>: not a setting sluice knows how to translate"));
}

TEST(ImportRules, NamesSluiceWouldRefuse) {
  auto imp = import_text(
      "name=My Sink (prod)\n"
      "topics=t\n"
      "auth.username=writer\n"
      "topic.t.ks.select.mapping=a=value.a\n"
      "topic.t.ks.tb.mapping=a=value.a, token=value.t, Primary=value.p\n");
  const auto& y = imp.y;
  EXPECT_EQ(str(y["name"]), "My_Sink__prod_");
  EXPECT_EQ(str(y["kafka"]["group_id"]), "connect-My Sink (prod)");  // Connect's group, as it was
  EXPECT_TRUE(has(imp.r.notes,
                  "name My_Sink__prod_: the connector's name My Sink (prod) has characters a pipeline "
                  "name cannot have (letters, digits, '_', '-' and '.' only, up to 100)"));
  // A user without a password: sluice needs one.
  EXPECT_EQ(str(y["cassandra"]["username"]), "writer");
  EXPECT_EQ(str(y["cassandra"]["password_env"]), "CASSANDRA_PASSWORD");
  EXPECT_TRUE(any_contains(imp.r.notes, "the configuration names a user but no password"));
  // Reserved words are refused as table and column names.
  ASSERT_EQ(y["sinks"].size(), 1U);
  EXPECT_EQ(mapping_of(y["sinks"][0]), (std::map<std::string, std::string>{{"a", "value.a"}}));
  EXPECT_TRUE(has(imp.r.untranslated,
                  "topic.t.ks.select.mapping=a=value.a: `select`: a CQL reserved word, which "
                  "sluice refuses as a name"));
  EXPECT_TRUE(has(imp.r.untranslated,
                  "topic.t.ks.tb.mapping (token=value.t): a CQL reserved word, which sluice "
                  "refuses as a name"));
  EXPECT_TRUE(has(imp.r.untranslated,
                  "topic.t.ks.tb.mapping (Primary=value.p): a CQL reserved word, which sluice "
                  "refuses as a name"));
}

// --- the properties syntax -----------------------------------------------------------------------

TEST(Properties, SyntaxEdgeCases) {
  const std::string text =
      "# a comment\n"
      "! another comment\n"
      "   # an indented comment \\\n"
      "plain=value\n"
      "colon: with colon\n"
      "spaced   =   padded value  \n"
      "white space separated\n"
      "empty=\n"
      "cont=one, \\\n"
      "     two, \\\n"
      "\tthree\n"
      "even=ends in a backslash\\\\\n"
      "next=line\n"
      "esc\\=aped\\:key\\ k=v\n"
      "escapes=tab\\there\\nnew\\rcr\\fff \\\\ \\q\n"
      "unicode=\\u0041\\u00e9\\u20ac \\uD83D\\uDE00\n"
      "crlf=yes\r\n"
      "cr=only\r"
      "last=no newline";
  auto r = parse_properties(text);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  std::map<std::string, std::pair<std::string, int>> got;
  for (const auto& s : *r) got[s.key] = {s.value, s.line};
  EXPECT_EQ(got.size(), 14U);
  EXPECT_EQ(got["plain"], (std::pair<std::string, int>{"value", 4}));
  EXPECT_EQ(got["colon"].first, "with colon");
  EXPECT_EQ(got["spaced"].first, "padded value  ");  // trailing white space is kept, as Java does
  EXPECT_EQ(got["white"].first, "space separated");
  EXPECT_EQ(got["empty"].first, "");
  EXPECT_EQ(got["cont"], (std::pair<std::string, int>{"one, two, three", 9}));
  EXPECT_EQ(got["even"].first, "ends in a backslash\\");
  EXPECT_EQ(got["next"], (std::pair<std::string, int>{"line", 13}));
  EXPECT_EQ(got["esc=aped:key k"].first, "v");
  EXPECT_EQ(got["escapes"].first, "tab\there\nnew\rcr\fff \\ q");
  EXPECT_EQ(got["unicode"].first, "A\xC3\xA9\xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(got["crlf"], (std::pair<std::string, int>{"yes", 17}));
  EXPECT_EQ(got["cr"], (std::pair<std::string, int>{"only", 18}));
  EXPECT_EQ(got["last"], (std::pair<std::string, int>{"no newline", 19}));
}

TEST(Properties, ContinuationAtEndOfFileAndBom) {
  auto r = parse_properties("\xEF\xBB\xBFk=v\\");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ((*r)[0].key, "k");
  EXPECT_EQ((*r)[0].value, "v");
}

TEST(Properties, MalformedInputNamesTheLine) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"a=1\nb=\\u12G4\n", "line 2: malformed \\uXXXX escape"},
      {"a=1\n\nb=\\u12\n", "line 3: malformed \\uXXXX escape"},
      {"a=1\njustakey\n", "line 2: `justakey` has no `=` or `:` and no value"},
      {"=value\n", "line 1: a setting without a key"},
      {"a=1\nb=one \\\n  two\n: x\n", "line 4: a setting without a key"},
      {"a=1\nb=\xff\xfe\n", "line 2: not UTF-8 text"},
      {"a=\\uD83D alone\n", "line 1: \\u escape of a lone UTF-16 surrogate (not a character)"},
      {"a=\\uDE00\n", "line 1: \\u escape of a lone UTF-16 surrogate (not a character)"},
  };
  for (const auto& c : cases) {
    auto r = parse_properties(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().code(), Errc::invalid_argument);
    EXPECT_EQ(r.error().message(), c.message) << c.text;
  }
  auto imp = import_connector_config("topics=t\nbroken\n", "sink.properties");
  ASSERT_FALSE(imp.ok());
  EXPECT_EQ(imp.error().message(), "sink.properties: line 2: `broken` has no `=` or `:` and no value");
}

// --- the JSON forms ------------------------------------------------------------------------------

TEST(Json, RestFormsAndValueTypes) {
  auto wrapped = parse_connector_json(
      "{\n"
      "  \"name\": \"n\",\n"
      "  \"config\": {\n"
      "    \"port\": 9042,\n"
      "    \"big\": 18446744073709551615,\n"
      "    \"ratio\": 0.5,\n"
      "    \"flag\": true,\n"
      "    \"gone\": null,\n"
      "    \"text\": \"a\\\"b\\u00e9\"\n"
      "  },\n"
      "  \"tasks\": [{\"connector\": \"n\", \"task\": 0}],\n"
      "  \"type\": \"sink\"\n"
      "}\n");
  ASSERT_TRUE(wrapped.ok()) << wrapped.error().to_string();
  std::map<std::string, std::pair<std::string, int>> got;
  for (const auto& s : *wrapped) got[s.key] = {s.value, s.line};
  EXPECT_EQ(got.size(), 6U);  // null is "not set"
  EXPECT_EQ(got["name"], (std::pair<std::string, int>{"n", 2}));
  EXPECT_EQ(got["port"], (std::pair<std::string, int>{"9042", 4}));
  EXPECT_EQ(got["big"].first, "18446744073709551615");
  EXPECT_EQ(got["ratio"].first, "0.5");
  EXPECT_EQ(got["flag"].first, "true");
  EXPECT_EQ(got["text"].first, "a\"b\xC3\xA9");

  auto flat = parse_connector_json("{\"name\": \"n\", \"topics\": \"a\"}");
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(flat->size(), 2U);

  // The connector's name may be given once outside and once inside, if they agree.
  auto same = parse_connector_json("{\"name\": \"n\", \"config\": {\"name\": \"n\"}}");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->size(), 1U);
}

TEST(Json, MalformedInput) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"{\"a\": \"b\",}", "not valid JSON"},
      {"{\"a\": ", "not valid JSON"},
      {"{\"config\": [1]}", "\"config\" is not an object"},
      {"{\"a\": [\"x\"]}", "\"a\": a setting's value is a string, a number or a boolean"},
      {"{\"a\": {\"b\": 1}}", "\"a\": a setting's value is a string, a number or a boolean"},
      {"{\"name\": \"a\", \"config\": {\"name\": \"b\"}}", "\"name\" a and config.name b differ"},
      {"{\"name\": 3, \"config\": {}}", "\"name\" is not a string"},
      {"{\"config\": {}, \"extra\": 1}", "\"extra\" next to \"config\""},
  };
  for (const auto& c : cases) {
    auto r = parse_connector_json(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().message().find(c.message), 0U) << r.error().message();
  }
  // Detected by content: a '{' after white space is JSON, even in a .properties file.
  auto imp = import_connector_config("  \n{\"topics\": \"t\", \"topic.t.ks.tb.mapping\": \"a=value.a\"}",
                                     "actually-json.properties");
  ASSERT_TRUE(imp.ok()) << imp.error().to_string();
  EXPECT_NE(imp->pipeline_yaml.find("table: ks.tb"), std::string::npos);
  auto top_array = import_connector_config("[1, 2]", "list.json");
  ASSERT_FALSE(top_array.ok());  // not '{': read as properties, which hold no Cassandra-sink setting
}

}  // namespace
}  // namespace sluice::connect

// `sluice demo`: the first visible pipeline, Kafka -> sluice -> Cassandra, with counts.
//
// Produces N JSON sensor readings (keyed by sensor) to a fresh topic, consumes them as a consumer
// group, decodes each with simdjson, writes one row per reading with pipelined prepared inserts
// (writetime = the reading's event time), commits offsets only after the rows are acknowledged,
// and finally counts the rows back per sensor. Exit 0 only if every reading landed exactly once.
#include <chrono>
#include <fmt/format.h>
#include <iostream>
#include <map>
#include <simdjson.h>

#include "app/commands.h"
#include "cql/client/connection.h"
#include "kafka/client.h"

namespace sluice::app {

namespace {

struct DemoOptions {
  int events = 20000;
  int sensors = 100;
  int partitions = 3;
  std::string kafka = "127.0.0.1:9092";
  std::string cassandra_host = "127.0.0.1";
  int cassandra_port = 9042;
  std::string keyspace = "sluice_demo";
};

std::string sensor_name(int i) { return fmt::format("sensor-{:05d}", i); }

int fail(std::string_view what, const Error& e) {
  std::cerr << "sluice demo: " << what << ": " << e.to_string() << "\n";
  return 1;
}

int run_demo(const DemoOptions& o) {
  using clock = std::chrono::steady_clock;
  auto run_id = fmt::format("{:x}", std::chrono::system_clock::now().time_since_epoch().count() / 1000);
  std::string topic = "sluice.demo.readings." + run_id;
  std::cout << fmt::format("run {}: {} readings from {} sensors, topic {} ({} partitions), table {}.readings\n",
                           run_id, o.events, o.sensors, topic, o.partitions, o.keyspace);

  // --- Cassandra schema ---
  auto conn = cql::Connection::open({.host = o.cassandra_host, .port = static_cast<std::uint16_t>(o.cassandra_port)});
  if (!conn.ok()) return fail("connect to Cassandra", conn.error());
  auto& db = **conn;
  for (const std::string& ddl : {
           fmt::format("CREATE KEYSPACE IF NOT EXISTS {} WITH replication = {{'class': 'SimpleStrategy', "
                       "'replication_factor': 1}}",
                       o.keyspace),
           fmt::format("CREATE TABLE IF NOT EXISTS {}.readings (run text, sensor_id text, ts timestamp, "
                       "value double, kafka_partition int, kafka_offset bigint, "
                       "PRIMARY KEY ((run, sensor_id), ts))",
                       o.keyspace),
       }) {
    auto r = db.query(ddl);
    if (!r.ok()) return fail("create schema", r.error());
  }
  auto insert = db.prepare(fmt::format(
      "INSERT INTO {}.readings (run, sensor_id, ts, value, kafka_partition, kafka_offset) VALUES (?, ?, ?, ?, ?, ?)",
      o.keyspace));
  if (!insert.ok()) return fail("prepare insert", insert.error());

  // --- Kafka topic and producer ---
  kafka::ClientSettings ks{.bootstrap_servers = o.kafka, .properties = {}};
  auto admin = kafka::Admin::create(ks);
  if (!admin.ok()) return fail("kafka admin", admin.error());
  if (auto st = (*admin)->create_topic(topic, o.partitions, 1, std::chrono::seconds(30)); !st.ok()) {
    return fail("create topic", st.error());
  }
  auto producer = kafka::Producer::create(ks);
  if (!producer.ok()) return fail("kafka producer", producer.error());
  const std::int64_t base_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
  auto t0 = clock::now();
  for (int i = 0; i < o.events; ++i) {
    int sensor = i % o.sensors;
    // Deterministic, so an independent checker can recompute every row (tests/e2e/demo_test.py).
    double value = 20.0 + sensor % 10 + static_cast<double>((static_cast<std::int64_t>(i) * 7919) % 1000) / 1000.0;
    std::string key = sensor_name(sensor);
    std::string json = fmt::format(R"({{"sensor_id":"{}","ts":{},"value":{:.3f}}})", key, base_ms + i, value);
    if (auto st = (*producer)->produce(topic, key, json); !st.ok()) return fail("produce", st.error());
  }
  if (auto st = (*producer)->flush(std::chrono::seconds(60)); !st.ok()) return fail("flush producer", st.error());
  double produce_secs = std::chrono::duration<double>(clock::now() - t0).count();
  std::cout << fmt::format("produced  {:>8} readings in {:.2f} s ({:.0f}/s), every one acknowledged by Kafka\n",
                           (*producer)->delivered(), produce_secs, (*producer)->delivered() / produce_secs);

  // --- the pipeline: consume, decode, write, commit ---
  auto consumer = kafka::Consumer::create(ks, "sluice-demo-" + run_id);
  if (!consumer.ok()) return fail("kafka consumer", consumer.error());
  if (auto st = (*consumer)->subscribe({topic}); !st.ok()) return fail("subscribe", st.error());
  simdjson::ondemand::parser parser;
  std::string json_buffer;  // reused: simdjson needs padding past the document, the payload has none
  std::int64_t consumed = 0, written = 0, rejected = 0;
  auto t1 = clock::now();
  auto last_report = t1;
  auto idle_deadline = clock::now() + std::chrono::seconds(60);
  while (consumed < o.events && clock::now() < idle_deadline) {
    std::vector<cql::QueryParams> batch;
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> offsets;
    while (batch.size() < 512) {
      auto m = (*consumer)->poll(batch.empty() ? std::chrono::milliseconds(500) : std::chrono::milliseconds(0));
      if (!m) break;
      if (m->error()) {
        std::cerr << "consume: " << m->error()->to_string() << "\n";
        continue;
      }
      ++consumed;
      offsets[{topic, m->partition()}] = m->offset();  // the only topic subscribed
      auto value = m->value().value_or("");
      json_buffer.assign(value);
      json_buffer.reserve(value.size() + simdjson::SIMDJSON_PADDING);
      auto doc = parser.iterate(simdjson::padded_string_view(json_buffer.data(), value.size(), json_buffer.capacity()));
      std::string_view sensor;
      std::int64_t ts = 0;
      double reading = 0;
      if (doc["sensor_id"].get_string().get(sensor) || doc["ts"].get_int64().get(ts) ||
          doc["value"].get_double().get(reading)) {
        ++rejected;
        continue;
      }
      cql::QueryParams p;
      p.consistency = cql::Consistency::local_quorum;
      p.page_size = 0;
      p.default_timestamp = ts * 1000;  // event time in microseconds: replays write the same cell
      p.values = {std::string(run_id), std::string(sensor), cql::Timestamp{ts}, reading,
                  static_cast<std::int32_t>(m->partition()), static_cast<std::int64_t>(m->offset())};
      batch.push_back(std::move(p));
    }
    if (batch.empty()) continue;
    idle_deadline = clock::now() + std::chrono::seconds(60);
    auto results = db.execute_pipelined(*insert, batch, 256);
    for (auto& r : results) {
      if (!r.ok()) return fail("write", r.error());  // nothing is committed past a failed write
    }
    written += static_cast<std::int64_t>(results.size());
    if (auto st = (*consumer)->commit(offsets); !st.ok()) return fail("commit offsets", st.error());
    if (clock::now() - last_report > std::chrono::seconds(1)) {
      last_report = clock::now();
      double secs = std::chrono::duration<double>(last_report - t1).count();
      std::cout << fmt::format("pipeline  {:>8} consumed, {:>8} rows written ({:.0f} rows/s)\n", consumed, written,
                               written / secs);
    }
  }
  (*consumer)->close();
  double pipe_secs = std::chrono::duration<double>(clock::now() - t1).count();
  std::cout << fmt::format("pipeline  {:>8} consumed, {:>8} rows written in {:.2f} s ({:.0f} rows/s), {} rejected\n",
                           consumed, written, pipe_secs, written / pipe_secs, rejected);

  // --- count back what landed ---
  auto count = db.prepare(fmt::format("SELECT COUNT(*) FROM {}.readings WHERE run = ? AND sensor_id = ?", o.keyspace));
  if (!count.ok()) return fail("prepare count", count.error());
  std::int64_t landed = 0;
  for (int s = 0; s < o.sensors; ++s) {
    auto r = db.execute(*count, {.consistency = cql::Consistency::local_quorum, .values = {run_id, sensor_name(s)}});
    if (!r.ok()) return fail("count rows", r.error());
    auto* rows = std::get_if<cql::Rows>(&*r);
    if (rows == nullptr || rows->row_count != 1) return fail("count rows", Error(Errc::protocol, "no count row"));
    auto cell = rows->cell(0, 0);
    if (!cell.ok()) return fail("count rows", cell.error());
    landed += std::get<std::int64_t>(*cell);
  }
  bool ok = landed == o.events && consumed == o.events && rejected == 0;
  std::cout << fmt::format("landed    {:>8} rows in Cassandra for run {} (expected {}): {}\n", landed, run_id, o.events,
                           ok ? "OK" : "MISMATCH");
  std::cout << fmt::format("see them: SELECT * FROM {}.readings WHERE run = '{}' AND sensor_id = '{}' LIMIT 5;\n",
                           o.keyspace, run_id, sensor_name(0));
  return ok ? 0 : 2;
}

}  // namespace

void add_demo_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<DemoOptions>();
  auto* demo = app.add_subcommand("demo", "Produce readings to Kafka and land them in Cassandra, with counts");
  demo->add_option("--events", o->events, "Readings to produce")->capture_default_str()->check(CLI::Range(1, 100000000));
  demo->add_option("--sensors", o->sensors, "Distinct sensors")->capture_default_str()->check(CLI::Range(1, 1000000));
  demo->add_option("--partitions", o->partitions, "Topic partitions")->capture_default_str()->check(CLI::Range(1, 1000));
  demo->add_option("--kafka", o->kafka, "Kafka bootstrap servers")->capture_default_str();
  demo->add_option("--cassandra-host", o->cassandra_host, "A Cassandra contact point")->capture_default_str();
  demo->add_option("--cassandra-port", o->cassandra_port, "CQL port")->capture_default_str();
  demo->add_option("--keyspace", o->keyspace, "Keyspace for the demo table")->capture_default_str();
  demo->callback([o, &exit_code] { exit_code = run_demo(*o); });
}

}  // namespace sluice::app

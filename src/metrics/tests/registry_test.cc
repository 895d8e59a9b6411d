// Why: /metrics is read by Prometheus and by people; the text must be exactly format 0.0.4
// (escaping, +Inf, cumulative buckets, sorted and deterministic), and a family's children must
// stay where the hot path left its reference.
#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

namespace sluice::metrics {
namespace {

TEST(Registry, RendersCountersGaugesAndHistogramsExactly) {
  Registry registry;
  auto& rows = registry.counter_family("sluice_rows_written_total", "Rows acknowledged by Cassandra", {"table"});
  rows.with({"iot.readings"}).inc(5);
  rows.with({"a\\b\"c\nd"}).inc();
  registry.gauge("sluice_lag", "Help with \\ and\nnewline \"quoted\"", {{"topic", "t"}, {"partition", "3"}}).set(1.5);
  auto& latency = registry.histogram_family("sluice_write_seconds", "Write latency", {"table"}, {0.25, 0.5, 1});
  Histogram& t = latency.with({"t"});
  for (double v : {0.125, 0.25, 0.375, 2.0}) t.observe(v);
  registry.counter("sluice_batches_total", "Batches");

  EXPECT_EQ(registry.render(),
            "# HELP sluice_batches_total Batches\n"
            "# TYPE sluice_batches_total counter\n"
            "sluice_batches_total 0\n"
            "# HELP sluice_lag Help with \\\\ and\\nnewline \"quoted\"\n"
            "# TYPE sluice_lag gauge\n"
            "sluice_lag{topic=\"t\",partition=\"3\"} 1.5\n"
            "# HELP sluice_rows_written_total Rows acknowledged by Cassandra\n"
            "# TYPE sluice_rows_written_total counter\n"
            "sluice_rows_written_total{table=\"a\\\\b\\\"c\\nd\"} 1\n"
            "sluice_rows_written_total{table=\"iot.readings\"} 5\n"
            "# HELP sluice_write_seconds Write latency\n"
            "# TYPE sluice_write_seconds histogram\n"
            "sluice_write_seconds_bucket{table=\"t\",le=\"0.25\"} 2\n"
            "sluice_write_seconds_bucket{table=\"t\",le=\"0.5\"} 3\n"
            "sluice_write_seconds_bucket{table=\"t\",le=\"1\"} 3\n"
            "sluice_write_seconds_bucket{table=\"t\",le=\"+Inf\"} 4\n"
            "sluice_write_seconds_sum{table=\"t\"} 2.75\n"
            "sluice_write_seconds_count{table=\"t\"} 4\n");
}

TEST(Registry, EmptyRegistryAndEmptyFamily) {
  Registry registry;
  EXPECT_EQ(registry.render(), "");
  registry.counter_family("x_total", "X", {"a"});
  registry.histogram_family("h", "H", {}, {1});
  EXPECT_EQ(registry.render(),
            "# HELP h H\n# TYPE h histogram\n"
            "# HELP x_total X\n# TYPE x_total counter\n");
  // An unlabelled histogram family gets its child on first use, with only le in braces.
  registry.histogram("h", "H", {}, {1}).observe(1);
  EXPECT_EQ(registry.render(),
            "# HELP h H\n# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"
            "# HELP x_total X\n# TYPE x_total counter\n");
}

TEST(Registry, ChildrenSortedByLabelValuesWhateverTheOrderOfCreation) {
  Registry registry;
  auto& family = registry.gauge_family("g", "G", {"a", "b"});
  family.with({"y", "1"}).set(1);
  family.with({"x", "2"}).set(2);
  family.with({"x", "10"}).set(3);
  EXPECT_EQ(registry.render(),
            "# HELP g G\n# TYPE g gauge\n"
            "g{a=\"x\",b=\"10\"} 3\n"
            "g{a=\"x\",b=\"2\"} 2\n"
            "g{a=\"y\",b=\"1\"} 1\n");
}

TEST(Registry, ChildReferencesAreStable) {
  Registry registry;
  auto& family = registry.counter_family("c_total", "C", {"k"});
  Counter& first = family.with({"first"});
  for (int i = 0; i < 1000; ++i) family.with({std::to_string(i)}).inc();
  EXPECT_EQ(&first, &family.with({"first"}));
  // Asking for the family again (same definition) returns the same family.
  EXPECT_EQ(&family, &registry.counter_family("c_total", "C", {"k"}));
  EXPECT_EQ(&registry.counter("c_total", "C", {{"k", "first"}}), &first);
}

TEST(Registry, NumbersAreSpelledAsPrometheusReadsThem) {
  auto spell = [](double v) {
    std::string out;
    append_number(out, v);
    return out;
  };
  EXPECT_EQ(spell(0), "0");
  EXPECT_EQ(spell(0.1), "0.1");
  EXPECT_EQ(spell(-2.5), "-2.5");
  EXPECT_EQ(spell(-0.0), "-0");
  // As Go's strconv.FormatFloat(v, 'g', -1, 64) spells them (checked with go1.26 on this machine).
  EXPECT_EQ(spell(0.0005), "0.0005");
  EXPECT_EQ(spell(0.00001), "1e-05");
  EXPECT_EQ(spell(1000), "1000");
  EXPECT_EQ(spell(123456), "123456");
  EXPECT_EQ(spell(1234567), "1.234567e+06");
  EXPECT_EQ(spell(1e6), "1e+06");
  EXPECT_EQ(spell(1e20), "1e+20");
  EXPECT_EQ(spell(1.5e-7), "1.5e-07");
  EXPECT_EQ(spell(2.5e-300), "2.5e-300");
  EXPECT_EQ(spell(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(spell(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(spell(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(spell(std::nan("")), "NaN");
}

TEST(Registry, GaugeSetAddSub) {
  Registry registry;
  Gauge& g = registry.gauge("g", "G");
  g.set(10);
  g.add(2.5);
  g.sub(0.5);
  g.inc();
  g.dec();
  g.dec();
  EXPECT_EQ(g.value(), 11);
  EXPECT_EQ(registry.render(), "# HELP g G\n# TYPE g gauge\ng 11\n");
}

TEST(Registry, CallbacksAreEvaluatedAtRenderAndCanBeCleared) {
  Registry registry;
  double lag = 7;
  registry.callback_gauge("lag", "Lag", [&lag] { return lag; });
  auto& family = registry.gauge_family("lag_by_partition", "Lag", {"partition"});
  family.set_callback({"0"}, [] { return 1.0; });
  family.with({"1"}).set(2);
  auto& counted = registry.counter_family("polls_total", "Polls", {});
  counted.set_callback({}, [] { return 42.0; });
  EXPECT_EQ(registry.render(),
            "# HELP lag Lag\n# TYPE lag gauge\nlag 7\n"
            "# HELP lag_by_partition Lag\n# TYPE lag_by_partition gauge\n"
            "lag_by_partition{partition=\"0\"} 1\nlag_by_partition{partition=\"1\"} 2\n"
            "# HELP polls_total Polls\n# TYPE polls_total counter\npolls_total 42\n");
  lag = 8;
  family.clear_callback({"0"});
  family.clear_callback({"1"});  // a value child: not removed
  counted.clear_callback({});
  EXPECT_EQ(registry.render(),
            "# HELP lag Lag\n# TYPE lag gauge\nlag 8\n"
            "# HELP lag_by_partition Lag\n# TYPE lag_by_partition gauge\n"
            "lag_by_partition{partition=\"1\"} 2\n"
            "# HELP polls_total Polls\n# TYPE polls_total counter\n");
}

TEST(Histogram, BucketsAreCumulativeAndInclusive) {
  Registry registry;
  Histogram& h = registry.histogram("h", "H", {}, {1, 2, 4});
  for (double v : {0.0, 1.0, 1.5, 2.0, 3.0, 4.0, 4.5, 100.0, -1.0}) h.observe(v);
  Histogram::Snapshot snap = h.snapshot();
  EXPECT_EQ(snap.cumulative, (std::vector<std::uint64_t>{3, 5, 7, 9}));
  EXPECT_EQ(snap.count, 9U);
  EXPECT_DOUBLE_EQ(snap.sum, 115.0);
  h.observe(std::chrono::milliseconds(1500));
  snap = h.snapshot();
  EXPECT_EQ(snap.cumulative, (std::vector<std::uint64_t>{3, 6, 8, 10}));
  EXPECT_DOUBLE_EQ(snap.sum, 116.5);
  for (std::size_t i = 1; i < snap.cumulative.size(); ++i) EXPECT_LE(snap.cumulative[i - 1], snap.cumulative[i]);
}

TEST(Histogram, BucketHelpers) {
  std::vector<double> latency = latency_buckets_seconds();
  ASSERT_EQ(latency.size(), 14U);
  EXPECT_EQ(latency.front(), 0.0005);
  EXPECT_EQ(latency.back(), 10);
  EXPECT_EQ(exponential_buckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_EQ(linear_buckets(0, 5, 3), (std::vector<double>{0, 5, 10}));
  // Usable as they are.
  Registry registry;
  registry.histogram("l", "L", {}, latency_buckets_seconds()).observe(0.003);
  EXPECT_NE(registry.render().find("l_bucket{le=\"0.005\"} 1\n"), std::string::npos);
}

TEST(Registry, NameValidation) {
  EXPECT_TRUE(valid_metric_name("sluice_rows_total"));
  EXPECT_TRUE(valid_metric_name("job:rate:5m"));
  EXPECT_TRUE(valid_metric_name("_x1"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_FALSE(valid_metric_name("1x"));
  EXPECT_FALSE(valid_metric_name("a-b"));
  EXPECT_FALSE(valid_metric_name("a b"));
  EXPECT_TRUE(valid_label_name("table"));
  EXPECT_TRUE(valid_label_name("_t1"));
  EXPECT_FALSE(valid_label_name("__name__"));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("9"));
  EXPECT_FALSE(valid_label_name(""));
}

TEST(Registry, ProcessMetricsFromProc) {
  Registry registry;
  registry.with_process_metrics().with_process_metrics();  // idempotent
  std::string text = registry.render();
  auto value_of = [&text](const std::string& name) {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.starts_with(name + " ")) return std::stod(line.substr(name.size() + 1));
    }
    ADD_FAILURE() << "no sample " << name << " in\n" << text;
    return -1.0;
  };
  EXPECT_GT(value_of("process_resident_memory_bytes"), 1e5);
  EXPECT_GT(value_of("process_virtual_memory_bytes"), value_of("process_resident_memory_bytes"));
  EXPECT_GE(value_of("process_cpu_seconds_total"), 0);
  EXPECT_GE(value_of("process_open_fds"), 3);
  EXPECT_GE(value_of("process_max_fds"), value_of("process_open_fds"));
  double start = value_of("process_start_time_seconds");
  double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_GT(start, now - 3600);
  EXPECT_LE(start, now + 5);
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
}

using RegistryDeathTest = ::testing::Test;

TEST_F(RegistryDeathTest, ProgrammingErrorsAreChecks) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(Registry().counter("bad-name", "x"), "invalid metric name");
  EXPECT_DEATH(Registry().counter_family("x", "x", {"__reserved"}), "invalid label name");
  EXPECT_DEATH(Registry().counter_family("x", "x", {"a", "a"}), "duplicate label name");
  EXPECT_DEATH(Registry().histogram_family("x", "x", {"le"}, {1}), "is reserved in a histogram");
  EXPECT_DEATH(Registry().histogram("x", "x", {}, {2, 1}), "increase strictly");
  EXPECT_DEATH(
      {
        Registry r;
        r.counter_family("x", "x", {"a"});
        r.counter_family("x", "x", {"b"});
      },
      "other label names");
  EXPECT_DEATH(
      {
        Registry r;
        r.counter_family("x", "x", {});
        r.gauge_family("x", "x", {});
      },
      "another type");
  EXPECT_DEATH(Registry().counter_family("x", "x", {"a"}).with({"1", "2"}), "wrong number of label values");
  EXPECT_DEATH(
      {
        Registry r;
        auto& f = r.gauge_family("x", "x", {});
        f.with({});
        f.set_callback({}, [] { return 1.0; });
      },
      "value child");
}

}  // namespace
}  // namespace sluice::metrics

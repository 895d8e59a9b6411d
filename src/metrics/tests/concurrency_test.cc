// Why: the hot path updates children from many threads without a lock while the admin thread
// renders; no increment may be lost and rendering must be safe at any moment (run under TSan).
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "metrics/registry.h"

namespace sluice::metrics {
namespace {

constexpr int kThreads = 4;
constexpr int kPerThread = 200'000;

TEST(Concurrency, CounterIncrementsFromFourThreadsSumExactly) {
  Registry registry;
  Counter& c = registry.counter("c_total", "C");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&c] {
      for (int i = 0; i < kPerThread; ++i) c.inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(registry.render(), "# HELP c_total C\n# TYPE c_total counter\nc_total 800000\n");
}

TEST(Concurrency, GaugeAddsAndHistogramObservationsAreNotLost) {
  Registry registry;
  Gauge& g = registry.gauge("g", "G");
  Histogram& h = registry.histogram("h", "H", {}, {1, 2});
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&g, &h, t] {
      for (int i = 0; i < kPerThread; ++i) {
        g.add(1.0);
        h.observe(static_cast<double>((t + i) % 3));  // 0, 1, 2: integer sums stay exact
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(g.value(), double{kThreads} * kPerThread);
  Histogram::Snapshot snap = h.snapshot();
  EXPECT_EQ(snap.count, std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(snap.cumulative.back(), snap.count);
  // Observations of 0 and 1 fall in le=1, 2 in le=2.
  std::uint64_t twos = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) twos += (t + i) % 3 == 2 ? 1 : 0;
  }
  EXPECT_EQ(snap.cumulative[1] - snap.cumulative[0], twos);
  EXPECT_EQ(snap.cumulative[2], snap.cumulative[1]);
  double expected_sum = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) expected_sum += (t + i) % 3;
  }
  EXPECT_EQ(snap.sum, expected_sum);
}

TEST(Concurrency, RenderWhileOthersIncrementAndAddChildren) {
  Registry registry;
  auto& rows = registry.counter_family("rows_total", "Rows", {"table"});
  auto& latency = registry.histogram_family("latency_seconds", "Latency", {"table"}, latency_buckets_seconds());
  auto& lag = registry.gauge_family("lag", "Lag", {"partition"});
  registry.with_process_metrics();
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 20'000; ++i) {
        std::string table = "t" + std::to_string((i + t) % 64);
        rows.with({table}).inc();
        latency.with({table}).observe(0.001 * (i % 100));
        lag.with({std::to_string(t)}).set(i);
        if (i % 1000 == 0) {
          // Callback children come and go while renders run.
          lag.set_callback({"cb" + std::to_string(t)}, [i] { return static_cast<double>(i); });
          lag.clear_callback({"cb" + std::to_string(t)});
          registry.counter("late_total", "Made while rendering", {{"t", std::to_string(t)}}).inc();
        }
      }
    });
  }
  std::thread renderer([&] {
    std::size_t renders = 0;
    while (!done.load()) {
      std::string text = registry.render();
      EXPECT_FALSE(text.empty());
      ++renders;
    }
    EXPECT_GT(renders, 0U);
  });
  for (auto& w : writers) w.join();
  done = true;
  renderer.join();

  std::uint64_t total = 0;
  for (int i = 0; i < 64; ++i) total += rows.with({"t" + std::to_string(i)}).value();
  EXPECT_EQ(total, std::uint64_t{kThreads} * 20'000);
  std::string text = registry.render();
  EXPECT_NE(text.find("late_total{t=\"3\"} 20\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("cb"), std::string::npos);
}

}  // namespace
}  // namespace sluice::metrics

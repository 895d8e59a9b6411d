// Writes a rendered registry to the file named by argv[1], for check_exposition.py: the official
// Python client must read back exactly the names, labels and values set here.
#include <cstdio>
#include <fstream>
#include <limits>

#include "metrics/registry.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT\n", argv[0]);
    return 2;
  }
  using namespace sluice::metrics;
  Registry registry;
  registry.with_process_metrics();

  auto& rows = registry.counter_family("sluice_rows_written_total", "Rows acknowledged by Cassandra", {"table"});
  rows.with({"iot.readings"}).inc(12345);
  rows.with({"odd \\ \"quoted\"\nline"}).inc(2);
  registry.counter("sluice_batches_total", "Batches with a \\ backslash\nand a newline");

  registry.gauge("sluice_lag", "Consumer lag", {{"topic", "readings"}, {"partition", "0"}}).set(-3.5);
  registry.gauge("sluice_big", "A big one").set(1e20);
  registry.gauge("sluice_tiny", "A tiny one").set(1.5e-7);
  registry.gauge("sluice_inf", "Infinite").set(std::numeric_limits<double>::infinity());
  registry.gauge("sluice_nan", "Not a number").set(std::numeric_limits<double>::quiet_NaN());
  registry.callback_gauge("sluice_callback", "Evaluated at render", [] { return 0.1; });

  auto& latency =
      registry.histogram_family("sluice_write_seconds", "Write latency", {"table"}, latency_buckets_seconds());
  Histogram& readings = latency.with({"iot.readings"});
  for (double v : {0.0004, 0.0005, 0.003, 0.2, 0.2, 7.0, 60.0}) readings.observe(v);
  registry.histogram("sluice_batch_rows", "Rows per batch", {}, exponential_buckets(1, 10, 4)).observe(100);

  std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
  out << registry.render();
  out.close();
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", argv[1]);
    return 1;
  }
  return 0;
}

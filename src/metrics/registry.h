// A Prometheus metrics registry: counters, gauges and histograms, grouped in families by name,
// rendered in the text exposition format 0.0.4.
//
// Families are made once, at start-up; a family's children (one per set of label values) are
// looked up once by the code that updates them, which keeps the reference. Updating a child is
// one relaxed atomic operation: no lock, no allocation. Children are never freed while the
// registry lives, so their references stay valid.
//
//   metrics::Registry registry;
//   auto& rows = registry.counter_family("sluice_rows_written_total", "Rows acknowledged by Cassandra", {"table"});
//   metrics::Counter& readings = rows.with({"iot.readings"});  // once: takes the family's lock
//   readings.inc(n);                                           // hot path: one relaxed fetch_add
//   std::string text = registry.render();                      // for GET /metrics
//
// Names are compile-time constants of the program: an invalid metric or label name, or a
// family registered twice with different definitions, fires SLUICE_CHECK. Label values are data
// and may be any string; they are escaped when rendered.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::metrics {

// The label values of one child, in the order of its family's label names.
using LabelValues = std::vector<std::string>;
// name="value" pairs, for the shortcuts that make a family and one of its children at once.
using LabelPairs = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing count.
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(double d) noexcept { value_.fetch_add(d, std::memory_order_relaxed); }
  void sub(double d) noexcept { value_.fetch_sub(d, std::memory_order_relaxed); }
  void inc() noexcept { add(1.0); }
  void dec() noexcept { sub(1.0); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Observations counted in fixed buckets (upper bounds, inclusive), with their sum and count.
class Histogram {
 public:
  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (== count)
    std::uint64_t count = 0;
    double sum = 0.0;
  };

  // `bounds` is owned by the family and outlives the histogram.
  explicit Histogram(std::span<const double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Lock-free: one relaxed increment of the bucket, one relaxed add to the sum. NaN lands in
  // +Inf (and makes the sum NaN), as in the reference clients.
  void observe(double v) noexcept;
  void observe(std::chrono::nanoseconds elapsed) noexcept { observe(std::chrono::duration<double>(elapsed).count()); }

  std::span<const double> bounds() const { return bounds_; }
  // Counts are read one bucket at a time, so a snapshot taken while others observe may lag by
  // the observations in flight; it is always cumulative, and its +Inf bucket equals its count.
  Snapshot snapshot() const;

 private:
  std::span<const double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket, not cumulative; last is +Inf
  std::atomic<double> sum_{0.0};
};

// Bucket helpers (bounds strictly increasing, finite; +Inf is always added by the histogram).
// Latency in seconds, 0.5 ms to 10 s: 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
// 0.5, 1, 2.5, 5, 10.
std::vector<double> latency_buckets_seconds();
// start, start*factor, ... (count bounds). start > 0, factor > 1, count >= 1.
std::vector<double> exponential_buckets(double start, double factor, int count);
// start, start+width, ... (count bounds). width > 0, count >= 1.
std::vector<double> linear_buckets(double start, double width, int count);

// A callback evaluated at every render, on the rendering thread (e.g. RSS, consumer lag). It must
// be quick and must not touch the registry.
using ValueCallback = std::function<double()>;

namespace detail {

enum class Type { counter, gauge, histogram };

class FamilyBase {
 public:
  FamilyBase(std::string_view name, std::string_view help, Type type, std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  Type type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Appends # HELP, # TYPE and every sample, children in order of their label values.
  void render(std::string& out) const;

 protected:
  void check_arity(const LabelValues& values) const;
  virtual void render_samples_locked(std::string& out) const = 0;

  mutable std::mutex mu_;  // guards the children maps, never the values

 private:
  std::string name_;
  std::string help_;
  Type type_;
  std::vector<std::string> label_names_;
};

// Counters and gauges: each child is either a value (updated by the program) or a callback
// (evaluated at render).
template <class Child>
class ScalarFamily : public FamilyBase {
 public:
  using FamilyBase::FamilyBase;

  // The child for these label values (as many as the family has label names), made on first
  // use. Takes the family's lock: look it up once, keep the reference.
  Child& with(const LabelValues& values);
  // The child for these label values is evaluated by `fn` at every render from now on
  // (replacing an earlier callback). The values must not name a value child.
  void set_callback(const LabelValues& values, ValueCallback fn);
  // Removes the callback child. When this returns the callback is not running and will not run
  // again, so its captures may be destroyed.
  void clear_callback(const LabelValues& values);
  // Internal: a callback that may have no value (the sample is left out), for process metrics.
  void set_optional_callback(const LabelValues& values, std::function<std::optional<double>()> fn);

 private:
  struct Slot {
    std::unique_ptr<Child> value;
    std::function<std::optional<double>()> callback;
  };
  void render_samples_locked(std::string& out) const override;

  std::map<LabelValues, Slot> children_;
};

}  // namespace detail

class CounterFamily final : public detail::ScalarFamily<Counter> {
 public:
  CounterFamily(std::string_view name, std::string_view help, std::vector<std::string> label_names)
      : ScalarFamily(name, help, detail::Type::counter, std::move(label_names)) {}
};

class GaugeFamily final : public detail::ScalarFamily<Gauge> {
 public:
  GaugeFamily(std::string_view name, std::string_view help, std::vector<std::string> label_names)
      : ScalarFamily(name, help, detail::Type::gauge, std::move(label_names)) {}
};

class HistogramFamily final : public detail::FamilyBase {
 public:
  HistogramFamily(std::string_view name, std::string_view help, std::vector<std::string> label_names,
                  std::vector<double> bounds);

  // As ScalarFamily::with: made on first use under the family's lock; keep the reference.
  Histogram& with(const LabelValues& values);
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  void render_samples_locked(std::string& out) const override;

  std::vector<double> bounds_;
  std::map<LabelValues, std::unique_ptr<Histogram>> children_;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Get-or-make a family. Asking again for a name returns the same family if the definition
  // (type, help, label names, buckets) is the same; a different definition fires SLUICE_CHECK.
  // Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*; label names [a-zA-Z_][a-zA-Z0-9_]*, not starting
  // with "__", no duplicates (and no "le" for histograms).
  CounterFamily& counter_family(std::string_view name, std::string_view help, std::vector<std::string> label_names);
  GaugeFamily& gauge_family(std::string_view name, std::string_view help, std::vector<std::string> label_names);
  HistogramFamily& histogram_family(std::string_view name, std::string_view help, std::vector<std::string> label_names,
                                    std::vector<double> buckets);

  // Shortcuts: the family whose label names are those of `labels`, then its child with their
  // values. `registry.counter("x_total", "X", {{"table", "t"}})` is
  // `registry.counter_family("x_total", "X", {"table"}).with({"t"})`.
  Counter& counter(std::string_view name, std::string_view help, const LabelPairs& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const LabelPairs& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, const LabelPairs& labels,
                       std::vector<double> buckets);
  // A gauge evaluated at every render. For labelled callbacks use gauge_family(...).set_callback.
  void callback_gauge(std::string_view name, std::string_view help, ValueCallback fn, const LabelPairs& labels = {});

  // Adds the standard process families, read from /proc/self at render (Linux):
  // process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
  // process_open_fds, process_max_fds, process_start_time_seconds. A value that cannot be read is
  // left out. Idempotent.
  Registry& with_process_metrics();

  // The text exposition format 0.0.4: families sorted by name, children by label values.
  // Thread-safe; may run while others update values and add children. Callbacks run here.
  std::string render() const;

 private:
  template <class F, class... Args>
  F& get_or_make(std::string_view name, std::string_view help, detail::Type type, std::vector<std::string> label_names,
                 Args&&... args);

  mutable std::mutex mu_;  // guards families_ (the map, not the families)
  std::map<std::string, std::unique_ptr<detail::FamilyBase>, std::less<>> families_;
};

// Exposed for tests and for other renderers.
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);
// Appends `v` as the Go client spells numbers (Go's 'g' with the shortest round-trip digits:
// 0.0005, 1000, 123456, 1e+06, 1.5e-07), or +Inf, -Inf, NaN.
void append_number(std::string& out, double v);
// Label value escaping (\\, \", \n) and HELP escaping (\\, \n).
void append_escaped_label_value(std::string& out, std::string_view v);
void append_escaped_help(std::string& out, std::string_view v);

}  // namespace sluice::metrics

#include "metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <system_error>

#include "base/check.h"
#include "metrics/process.h"

namespace sluice::metrics {

// ---- names, numbers, escaping ----

namespace {

bool name_char(char c, bool first, bool colon_ok) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon_ok && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view name, bool colon_ok) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, colon_ok)) return false;
  }
  return true;
}

std::string_view type_name(detail::Type type) {
  switch (type) {
    case detail::Type::counter: return "counter";
    case detail::Type::gauge: return "gauge";
    case detail::Type::histogram: return "histogram";
  }
  return "untyped";
}

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  SLUICE_CHECK(ec == std::errc(), "to_chars of an integer");
  out.append(buf, end);
}

// name{a="x",b="y"} or name{a="x",le="0.5"}; no braces without labels.
void append_series(std::string& out, std::string_view name, std::string_view suffix,
                   const std::vector<std::string>& label_names, const LabelValues& values,
                   const std::string* le = nullptr) {
  out += name;
  out += suffix;
  if (label_names.empty() && le == nullptr) return;
  out += '{';
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    if (i > 0) out += ',';
    out += label_names[i];
    out += "=\"";
    append_escaped_label_value(out, values[i]);
    out += '"';
  }
  if (le != nullptr) {
    if (!label_names.empty()) out += ',';
    out += "le=\"";
    out += *le;
    out += '"';
  }
  out += '}';
}

void check_bounds(const std::vector<double>& bounds) {
  SLUICE_CHECK(!bounds.empty(), "a histogram needs at least one bucket bound");
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    SLUICE_CHECK(std::isfinite(bounds[i]), "histogram bucket bounds must be finite (+Inf is implied)");
    SLUICE_CHECK(i == 0 || bounds[i - 1] < bounds[i], "histogram bucket bounds must increase strictly");
  }
}

void check_label_names(const std::vector<std::string>& label_names, bool histogram) {
  std::set<std::string_view> seen;
  for (const std::string& label : label_names) {
    SLUICE_CHECK(valid_label_name(label), "invalid label name (must match [a-zA-Z_][a-zA-Z0-9_]*, no __ prefix)");
    SLUICE_CHECK(!histogram || label != "le", "\"le\" is reserved in a histogram");
    SLUICE_CHECK(seen.insert(label).second, "duplicate label name in a family");
  }
}

}  // namespace

bool valid_metric_name(std::string_view name) { return valid_name(name, true); }

bool valid_label_name(std::string_view name) { return valid_name(name, false) && !name.starts_with("__"); }

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    // As Go's strconv.FormatFloat(v, 'g', -1, 64), which Prometheus and its Go client use: the
    // shortest digits that read back as v, in exponent form when the exponent is < -4 or >= 6.
    // The spelling matters for le: it is a label, so "0.0005" and "5e-04" would be two series.
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    SLUICE_CHECK(ec == std::errc(), "to_chars of a double");
    std::string_view sci(buf, static_cast<std::size_t>(end - buf));
    int exponent = 0;
    std::string_view exp_digits = sci.substr(sci.find('e') + 1);
    if (exp_digits.starts_with('+')) exp_digits.remove_prefix(1);
    auto parsed = std::from_chars(exp_digits.data(), exp_digits.data() + exp_digits.size(), exponent);
    SLUICE_CHECK(parsed.ec == std::errc(), "the exponent of to_chars");
    if (exponent < -4 || exponent >= 6) {
      out += sci;
    } else {
      auto fixed = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
      SLUICE_CHECK(fixed.ec == std::errc(), "to_chars of a double");
      out.append(buf, fixed.ptr);
    }
  }
}

void append_escaped_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

void append_escaped_help(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

// ---- buckets ----

std::vector<double> latency_buckets_seconds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> exponential_buckets(double start, double factor, int count) {
  SLUICE_CHECK(start > 0 && factor > 1 && count >= 1, "exponential_buckets needs start > 0, factor > 1, count >= 1");
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(count));
  double bound = start;
  for (int i = 0; i < count; ++i) {
    out.push_back(bound);
    bound *= factor;
  }
  return out;
}

std::vector<double> linear_buckets(double start, double width, int count) {
  SLUICE_CHECK(width > 0 && count >= 1, "linear_buckets needs width > 0, count >= 1");
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) out.push_back(start + width * i);
  return out;
}

// ---- Histogram ----

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds), counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds.size() + 1)) {}

void Histogram::observe(double v) noexcept {
  // The first bound >= v (bounds are inclusive upper limits); past the end is +Inf.
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  auto index = static_cast<std::size_t>(it - bounds_.begin());
  counts_[index].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snap;
  snap.cumulative.resize(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    snap.cumulative[i] = running;
  }
  snap.count = running;
  snap.sum = sum_.load(std::memory_order_relaxed);
  return snap;
}

// ---- families ----

namespace detail {

FamilyBase::FamilyBase(std::string_view name, std::string_view help, Type type, std::vector<std::string> label_names)
    : name_(name), help_(help), type_(type), label_names_(std::move(label_names)) {
  SLUICE_CHECK(valid_metric_name(name_), "invalid metric name (must match [a-zA-Z_:][a-zA-Z0-9_:]*)");
  check_label_names(label_names_, type_ == Type::histogram);
}

void FamilyBase::check_arity(const LabelValues& values) const {
  SLUICE_CHECK(values.size() == label_names_.size(), "wrong number of label values for this family");
}

void FamilyBase::render(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  append_escaped_help(out, help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += type_name(type_);
  out += '\n';
  std::lock_guard lock(mu_);
  render_samples_locked(out);
}

template <class Child>
Child& ScalarFamily<Child>::with(const LabelValues& values) {
  check_arity(values);
  std::lock_guard lock(mu_);
  Slot& slot = children_[values];
  SLUICE_CHECK(!slot.callback, "these label values name a callback child");
  if (!slot.value) slot.value = std::make_unique<Child>();
  return *slot.value;
}

template <class Child>
void ScalarFamily<Child>::set_callback(const LabelValues& values, ValueCallback fn) {
  SLUICE_CHECK(fn != nullptr, "set_callback with an empty function");
  set_optional_callback(values, [fn = std::move(fn)]() -> std::optional<double> { return fn(); });
}

template <class Child>
void ScalarFamily<Child>::set_optional_callback(const LabelValues& values, std::function<std::optional<double>()> fn) {
  check_arity(values);
  std::function<std::optional<double>()> callback = std::move(fn);
  std::lock_guard lock(mu_);
  Slot& slot = children_[values];
  SLUICE_CHECK(!slot.value, "these label values name a value child");
  slot.callback = std::move(callback);
}

template <class Child>
void ScalarFamily<Child>::clear_callback(const LabelValues& values) {
  check_arity(values);
  std::function<std::optional<double>()> old;  // destroyed outside the lock
  {
    std::lock_guard lock(mu_);
    auto it = children_.find(values);
    if (it == children_.end() || it->second.value) return;
    old = std::move(it->second.callback);
    children_.erase(it);
  }
}

namespace {
void append_value(std::string& out, const Counter& c) { append_number(out, c.value()); }
void append_value(std::string& out, const Gauge& g) { append_number(out, g.value()); }
}  // namespace

template <class Child>
void ScalarFamily<Child>::render_samples_locked(std::string& out) const {
  const std::string_view suffix;
  for (const auto& [values, slot] : children_) {
    if (slot.value) {
      append_series(out, name(), suffix, label_names(), values);
      out += ' ';
      append_value(out, *slot.value);
      out += '\n';
    } else if (slot.callback) {
      std::optional<double> v = slot.callback();
      if (!v) continue;
      append_series(out, name(), suffix, label_names(), values);
      out += ' ';
      append_number(out, *v);
      out += '\n';
    }
  }
}

template class ScalarFamily<Counter>;
template class ScalarFamily<Gauge>;

}  // namespace detail

HistogramFamily::HistogramFamily(std::string_view name, std::string_view help, std::vector<std::string> label_names,
                                 std::vector<double> bounds)
    : FamilyBase(name, help, detail::Type::histogram, std::move(label_names)), bounds_(std::move(bounds)) {
  check_bounds(bounds_);
}

Histogram& HistogramFamily::with(const LabelValues& values) {
  check_arity(values);
  std::lock_guard lock(mu_);
  auto& child = children_[values];
  if (!child) child = std::make_unique<Histogram>(bounds_);
  return *child;
}

void HistogramFamily::render_samples_locked(std::string& out) const {
  std::vector<std::string> les;
  les.reserve(bounds_.size() + 1);
  for (double bound : bounds_) {
    std::string le;
    append_number(le, bound);
    les.push_back(std::move(le));
  }
  les.emplace_back("+Inf");
  for (const auto& [values, child] : children_) {
    Histogram::Snapshot snap = child->snapshot();
    for (std::size_t i = 0; i < les.size(); ++i) {
      append_series(out, name(), "_bucket", label_names(), values, &les[i]);
      out += ' ';
      append_number(out, snap.cumulative[i]);
      out += '\n';
    }
    append_series(out, name(), "_sum", label_names(), values);
    out += ' ';
    append_number(out, snap.sum);
    out += '\n';
    append_series(out, name(), "_count", label_names(), values);
    out += ' ';
    append_number(out, snap.count);
    out += '\n';
  }
}

// ---- Registry ----

Registry::Registry() = default;
Registry::~Registry() = default;

template <class F, class... Args>
F& Registry::get_or_make(std::string_view name, std::string_view help, detail::Type type,
                         std::vector<std::string> label_names, Args&&... args) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto family = std::make_unique<F>(name, help, std::move(label_names), std::forward<Args>(args)...);
    F& ref = *family;
    families_.emplace(std::string(name), std::move(family));
    return ref;
  }
  detail::FamilyBase& existing = *it->second;
  SLUICE_CHECK(existing.type() == type, "a metric family registered again with another type");
  SLUICE_CHECK(existing.help() == help, "a metric family registered again with another help text");
  SLUICE_CHECK(existing.label_names() == label_names, "a metric family registered again with other label names");
  return static_cast<F&>(existing);
}

CounterFamily& Registry::counter_family(std::string_view name, std::string_view help,
                                        std::vector<std::string> label_names) {
  return get_or_make<CounterFamily>(name, help, detail::Type::counter, std::move(label_names));
}

GaugeFamily& Registry::gauge_family(std::string_view name, std::string_view help,
                                    std::vector<std::string> label_names) {
  return get_or_make<GaugeFamily>(name, help, detail::Type::gauge, std::move(label_names));
}

HistogramFamily& Registry::histogram_family(std::string_view name, std::string_view help,
                                            std::vector<std::string> label_names, std::vector<double> buckets) {
  std::vector<double> wanted = buckets;
  HistogramFamily& family =
      get_or_make<HistogramFamily>(name, help, detail::Type::histogram, std::move(label_names), std::move(buckets));
  SLUICE_CHECK(family.bounds() == wanted, "a histogram family registered again with other buckets");
  return family;
}

namespace {
std::vector<std::string> names_of(const LabelPairs& labels) {
  std::vector<std::string> out;
  out.reserve(labels.size());
  for (const auto& [name, value] : labels) out.push_back(name);
  return out;
}
LabelValues values_of(const LabelPairs& labels) {
  LabelValues out;
  out.reserve(labels.size());
  for (const auto& [name, value] : labels) out.push_back(value);
  return out;
}
}  // namespace

Counter& Registry::counter(std::string_view name, std::string_view help, const LabelPairs& labels) {
  return counter_family(name, help, names_of(labels)).with(values_of(labels));
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, const LabelPairs& labels) {
  return gauge_family(name, help, names_of(labels)).with(values_of(labels));
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, const LabelPairs& labels,
                               std::vector<double> buckets) {
  return histogram_family(name, help, names_of(labels), std::move(buckets)).with(values_of(labels));
}

void Registry::callback_gauge(std::string_view name, std::string_view help, ValueCallback fn,
                              const LabelPairs& labels) {
  gauge_family(name, help, names_of(labels)).set_callback(values_of(labels), std::move(fn));
}

Registry& Registry::with_process_metrics() {
  // The names and help texts of the reference clients, so dashboards written for them work.
  counter_family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", {})
      .set_optional_callback({}, process::cpu_seconds);
  gauge_family("process_resident_memory_bytes", "Resident memory size in bytes.", {})
      .set_optional_callback({}, process::resident_memory_bytes);
  gauge_family("process_virtual_memory_bytes", "Virtual memory size in bytes.", {})
      .set_optional_callback({}, process::virtual_memory_bytes);
  gauge_family("process_open_fds", "Number of open file descriptors.", {}).set_optional_callback({}, process::open_fds);
  gauge_family("process_max_fds", "Maximum number of open file descriptors.", {})
      .set_optional_callback({}, process::max_fds);
  gauge_family("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", {})
      .set_optional_callback({}, process::start_time_seconds);
  return *this;
}

std::string Registry::render() const {
  // Families are never removed, so the pointers stay valid after the lock is released: render
  // (and its callbacks) run without holding the registry's lock.
  std::vector<const detail::FamilyBase*> families;
  {
    std::lock_guard lock(mu_);
    families.reserve(families_.size());
    for (const auto& [name, family] : families_) families.push_back(family.get());
  }
  std::string out;
  for (const detail::FamilyBase* family : families) family->render(out);
  return out;
}

}  // namespace sluice::metrics

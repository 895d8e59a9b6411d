// `sluice bench cql`: the CQL client under load, for bench/cql/run to compare with latte and the
// Python driver on the same table (bench/cql/latte/kv.rn has the schema and the statements).
//
//   insert: INSERT INTO <ks>.kv (id, v) VALUES (?, ?)   id = 0, 1, 2, ...; v = 100 fixed bytes
//   read:   SELECT id, v FROM <ks>.kv WHERE id = ?       id = hash(i) % keys (rows preloaded)
//
// Keeps exactly `concurrency` requests in flight: each answer sends the next request from the
// event loop that received it. Latencies go into a log-linear histogram. The last stdout line is
// one JSON object: {"ops", "errors", "seconds", "p50_ms", "p99_ms", ...}.
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <fmt/format.h>
#include <iostream>
#include <mutex>
#include <sys/resource.h>

#include "app/commands.h"
#include "cql/client/session.h"

namespace sluice::app {

namespace {

using Clock = std::chrono::steady_clock;

struct BenchOptions {
  std::string workload = "insert";
  int concurrency = 64;
  double duration = 15;
  double warmup = 0;
  std::string host = "127.0.0.1";
  int port = 9042;
  std::string keyspace = "bench";
  std::int64_t keys = 100000;
  std::string consistency = "LOCAL_ONE";
  int io_threads = 1;
  int connections = 1;
  bool lz4 = false;
};

// Latencies in microseconds: 64 linear sub-buckets per power of two (under 1.6% error).
class Histogram {
 public:
  void record(std::int64_t micros) {
    counts_[index(static_cast<std::uint64_t>(std::max<std::int64_t>(micros, 0)))].fetch_add(1, std::memory_order_relaxed);
  }
  double percentile_ms(double p) const {
    std::uint64_t total = 0;
    for (const auto& c : counts_) total += c.load(std::memory_order_relaxed);
    if (total == 0) return 0;
    auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i].load(std::memory_order_relaxed);
      if (seen >= rank) return static_cast<double>(upper(i)) / 1000.0;
    }
    return 0;
  }

 private:
  static constexpr std::size_t kSub = 64;
  static std::size_t index(std::uint64_t v) {
    if (v < kSub) return v;
    int bits = 63 - __builtin_clzll(v);  // v >= 64: bits >= 6
    auto shift = static_cast<unsigned>(bits - 6);
    return (static_cast<std::size_t>(bits - 5) * kSub) + ((v >> shift) - kSub);
  }
  static std::uint64_t upper(std::size_t i) {
    if (i < kSub) return i;
    auto group = i / kSub;  // >= 1
    auto shift = static_cast<unsigned>(group - 1);
    return ((i % kSub + kSub + 1) << shift) - 1;
  }
  std::array<std::atomic<std::uint64_t>, kSub * 60> counts_{};
};

std::string json_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
  }
  return out;
}

std::int64_t spread(std::int64_t i) {  // a cheap mix, so reads do not walk the keys in order
  auto x = static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ULL;
  x ^= x >> 31U;
  return static_cast<std::int64_t>(x >> 1U);
}

class Load {
 public:
  Load(std::shared_ptr<cql::Session> session, cql::PreparedStatement statement, const BenchOptions& o)
      : session_(std::move(session)), statement_(std::move(statement)), o_(o),
        value_(cql::Blob{std::string("0123456789012345678901234567890123456789012345678901234567890123456789"
                                     "012345678901234567890123456789")}) {}

  void run() {
    auto start = Clock::now();
    cpu_start_ = cpu_seconds();
    measure_from_ = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.warmup));
    stop_at_ = measure_from_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.duration));
    running_ = o_.concurrency;
    for (int i = 0; i < o_.concurrency; ++i) next();
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return running_ == 0; });
    cpu_used_ = cpu_seconds() - cpu_start_;
  }

  // This process's user + system CPU time (the warm-up included: it is short).
  static double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return secs(u.ru_utime) + secs(u.ru_stime);
  }

  void report() const {
    double seconds = std::chrono::duration<double>(finished_ - measure_from_).count();
    std::cout << fmt::format(
                     "{{\"client\": \"sluice\", \"workload\": \"{}\", \"concurrency\": {}, \"ops\": {}, \"errors\": {}, "
                     "\"seconds\": {:.3f}, \"ops_per_s\": {:.1f}, \"p50_ms\": {:.3f}, \"p99_ms\": {:.3f}, \"cpu_s\": {:.3f}, \"first_error\": \"{}\"}}",
                     o_.workload, o_.concurrency, ops_.load(), errors_.load(), seconds,
                     static_cast<double>(ops_.load()) / seconds, histogram_.percentile_ms(50),
                     histogram_.percentile_ms(99), cpu_used_, json_escape(first_error_))
              << std::endl;
  }

 private:
  void next() {
    auto now = Clock::now();
    if (now >= stop_at_) {
      std::lock_guard lock(mu_);
      finished_ = std::max(finished_, now);
      if (--running_ == 0) cv_.notify_all();
      return;
    }
    std::int64_t i = counter_.fetch_add(1, std::memory_order_relaxed);
    std::vector<cql::Value> values;
    if (o_.workload == "insert") {
      values = {i, value_};
    } else {
      values = {spread(i) % o_.keys};
    }
    cql::Statement s(statement_, std::move(values));
    s.consistency = consistency_;
    s.idempotent = true;
    session_->execute_async(std::move(s)).then([this, now](const Result<cql::ResultSet>& r) {
      auto done = Clock::now();
      if (now >= measure_from_) {
        if (r.ok() && (o_.workload == "insert" || r->size() == 1)) {
          ops_.fetch_add(1, std::memory_order_relaxed);
          histogram_.record(std::chrono::duration_cast<std::chrono::microseconds>(done - now).count());
        } else {
          if (errors_.fetch_add(1, std::memory_order_relaxed) == 0) {
            std::lock_guard lock(mu_);
            first_error_ = r.ok() ? fmt::format("a read returned {} rows", r->size()) : r.error().to_string();
          }
        }
      }
      next();
    });
  }

 public:
  cql::Consistency consistency_ = cql::Consistency::local_one;

 private:
  std::shared_ptr<cql::Session> session_;
  cql::PreparedStatement statement_;
  const BenchOptions& o_;
  cql::Value value_;
  Clock::time_point measure_from_, stop_at_, finished_{};
  std::atomic<std::int64_t> counter_{0};
  std::atomic<std::uint64_t> ops_{0}, errors_{0};
  Histogram histogram_;
  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;
  std::string first_error_;
  double cpu_start_ = 0, cpu_used_ = 0;
};

int run_bench(const BenchOptions& o) {
  if (o.workload != "insert" && o.workload != "read") {
    std::cerr << "sluice bench cql: --workload is insert or read\n";
    return 2;
  }
  auto consistency = cql::parse_consistency(o.consistency);
  if (!consistency) {
    std::cerr << "sluice bench cql: unknown consistency " << o.consistency << "\n";
    return 2;
  }
  cql::SessionOptions so;
  so.contact_points = {o.host};
  so.port = static_cast<std::uint16_t>(o.port);
  so.io_threads = static_cast<std::size_t>(std::max(1, o.io_threads));
  so.connections_per_host = static_cast<std::size_t>(std::max(1, o.connections));
  so.max_requests_per_connection = static_cast<std::size_t>(std::max(2048, o.concurrency));
  so.compression = o.lz4 ? cql::Compression::lz4 : cql::Compression::none;
  so.consistency = *consistency;
  auto session = cql::Session::connect(so);
  if (!session.ok()) {
    std::cerr << "sluice bench cql: " << session.error().to_string() << "\n";
    return 1;
  }
  auto& s = **session;
  for (const std::string& ddl :
       {fmt::format("CREATE KEYSPACE IF NOT EXISTS {} WITH replication = {{'class': 'SimpleStrategy', "
                    "'replication_factor': 1}}",
                    o.keyspace),
        fmt::format("CREATE TABLE IF NOT EXISTS {}.kv (id bigint PRIMARY KEY, v blob)", o.keyspace)}) {
    if (auto r = s.execute(cql::Statement(ddl)); !r.ok()) {
      std::cerr << "sluice bench cql: " << r.error().to_string() << "\n";
      return 1;
    }
  }
  auto statement = s.prepare(o.workload == "insert"
                                 ? fmt::format("INSERT INTO {}.kv (id, v) VALUES (?, ?)", o.keyspace)
                                 : fmt::format("SELECT id, v FROM {}.kv WHERE id = ?", o.keyspace));
  if (!statement.ok()) {
    std::cerr << "sluice bench cql: " << statement.error().to_string() << "\n";
    return 1;
  }
  Load load(*session, *statement, o);
  load.consistency_ = *consistency;
  load.run();
  load.report();
  s.close();
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto* bench = app.add_subcommand("bench", "Benchmarks (see bench/README.md)");
  bench->require_subcommand(1);
  auto* cql = bench->add_subcommand("cql", "Load Cassandra through sluice's CQL client");
  auto o = std::make_shared<BenchOptions>();
  cql->add_option("--workload", o->workload, "insert or read")->capture_default_str();
  cql->add_option("--concurrency", o->concurrency, "requests in flight")->capture_default_str();
  cql->add_option("--duration", o->duration, "seconds measured")->capture_default_str();
  cql->add_option("--warmup", o->warmup, "seconds run before measuring")->capture_default_str();
  cql->add_option("--host", o->host)->capture_default_str();
  cql->add_option("--port", o->port)->capture_default_str();
  cql->add_option("--keyspace", o->keyspace)->capture_default_str();
  cql->add_option("--keys", o->keys, "read: keys 0..keys-1 are loaded")->capture_default_str();
  cql->add_option("--consistency", o->consistency)->capture_default_str();
  cql->add_option("--io-threads", o->io_threads, "event loops")->capture_default_str();
  cql->add_option("--connections", o->connections, "connections per host")->capture_default_str();
  cql->add_flag("--lz4", o->lz4, "compress with lz4");
  cql->callback([o, &exit_code] { exit_code = run_bench(*o); });
}

}  // namespace sluice::app

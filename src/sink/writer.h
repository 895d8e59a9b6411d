// Writer: the Cassandra-aware write planner.
//
// Rows of one table and one partition key are gathered into unlogged batches (a batch of one
// partition is applied atomically by one replica set, and is routed token-aware to a replica),
// closed at max_batch_rows or before max_batch_bytes. Batches become requests; at most `window`
// requests are in flight. The window starts at max_in_flight, halves on Overloaded and timeouts
// (at most once per 100 ms) and grows back by one per window of successes.
//
// What happens after a failure (see classify()):
// - a passing failure (timeout, unavailable, overloaded, connection lost) is retried with
//   exponential backoff, for ever: every write is idempotent (deterministic writetime);
// - a failure caused by the rows (Cassandra's Invalid, a value the column cannot take) splits a
//   batch into single rows, and a single row is handed back as failed;
// - anything else (Unauthorized, a syntax error: the pipeline is wrong, not the record) is fatal.
//
// Threads: add/flush/pump run on the pipeline's thread. Completions arrive on the CQL session's
// event loops and are only queued there; pump() handles them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/pipeline.h"
#include "cql/client/session.h"
#include "sink/table_sink.h"

namespace sluice::sink {

// Which record a row came from: its chunk (offsets.h) and its index there.
struct RowRef {
  std::uint64_t chunk = 0;
  std::uint32_t record = 0;
};

enum class WriteFailure { passing, record, fatal };
WriteFailure classify(const Error& e);

struct WriterStats {
  std::uint64_t requests = 0;  // sent, retries included
  std::uint64_t batches = 0;   // of which BATCH requests
  std::uint64_t rows = 0;      // acknowledged
  std::uint64_t retries = 0;   // requests queued again after a passing failure
  std::uint64_t splits = 0;    // batches split to find the row at fault
  std::size_t window = 0;      // the current limit on requests in flight
};

class Writer {
 public:
  using Clock = std::chrono::steady_clock;

  // What a finished request says about its rows.
  struct Outcome {
    const TableSink* sink = nullptr;
    std::vector<RowRef> rows;
    std::optional<Error> error;  // set: the rows failed for good (a single row, WriteFailure::record)
    bool fatal = false;          // the error stops the pipeline
    std::string statement;       // the CQL that failed
    std::chrono::microseconds latency{0};
    std::size_t batch_rows = 0;
  };

  Writer(std::shared_ptr<cql::Session> session, const config::WriteConfig& config);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Queues one row (upsert or remove) into the open batch of its table and partition.
  void add(const TableSink& sink, RowWrite row, RowRef ref);
  // Closes every open batch into a request (the end of a poll chunk).
  void flush();
  // Handles completions and retries that are due, sends queued requests while the window has
  // room, and appends what finished to `out`.
  void pump(std::vector<Outcome>& out);
  // Waits up to `timeout` for a completion (returns early when one arrives).
  void wait(std::chrono::milliseconds timeout);

  std::size_t in_flight() const { return in_flight_; }
  // Rows not yet finished: open batches, queued, in flight and waiting to be retried.
  std::size_t rows_pending() const { return rows_pending_; }
  bool idle() const { return rows_pending_ == 0; }
  const WriterStats& stats() const { return stats_; }

 private:
  struct Row {
    RowWrite write;
    RowRef ref;
  };
  struct Request {
    const TableSink* sink = nullptr;
    std::vector<Row> rows;
    std::size_t bytes = 0;
    int attempts = 0;
    Clock::time_point not_before{};
    Clock::time_point sent{};
  };
  struct Completion {
    std::uint64_t id = 0;
    std::optional<Error> error;
  };
  struct Inbox {  // shared with the completion callbacks
    std::mutex mu;
    std::condition_variable cv;
    std::vector<Completion> items;
  };

  void send(std::uint64_t id, Request& r);
  void finish(std::uint64_t id, std::optional<Error> error, std::vector<Outcome>& out);
  void on_overload(Clock::time_point now);

  std::shared_ptr<cql::Session> session_;
  config::WriteConfig config_;
  std::shared_ptr<Inbox> inbox_;
  // Open batches by table and partition key.
  std::map<std::pair<const TableSink*, std::string>, Request> open_;
  std::deque<Request> queue_;               // closed, not sent yet
  std::multimap<Clock::time_point, Request> retry_;  // waiting for their backoff
  std::unordered_map<std::uint64_t, Request> sent_;  // in flight, by id
  std::uint64_t next_id_ = 1;
  std::size_t in_flight_ = 0;
  std::size_t rows_pending_ = 0;
  double window_ = 0;
  std::size_t successes_since_growth_ = 0;
  Clock::time_point last_cut_{};
  std::mt19937_64 rng_{std::random_device{}()};
  WriterStats stats_;
  std::vector<Completion> drained_;
};

}  // namespace sluice::sink

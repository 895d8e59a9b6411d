// The insides of a Session (session.h), shared by session.cc (requests), cluster.cc (hosts,
// pools, the control connection) and result_set.cc. Not part of the driver's API.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cql/client/async_connection.h"
#include "cql/client/policies.h"
#include "cql/client/session.h"
#include "cql/routing/token_ring.h"

namespace sluice::cql {

struct PreparedData {
  std::string cql;
  std::string keyspace;  // the keyspace its bind columns belong to (routing), or the statement's
  std::string id;
  std::string result_metadata_id;  // v5
  std::vector<ColumnSpec> bind_columns;
  std::vector<ColumnSpec> result_columns;
  std::vector<std::uint16_t> partition_key_indexes;
};

// One event loop: an io_context and the thread that runs it.
class IoLoop {
 public:
  IoLoop();
  ~IoLoop();  // stops and joins
  boost::asio::io_context& io() { return io_; }
  void stop();

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

// One node and its pool of connections.
struct Host {
  std::string address;
  std::uint16_t port = 9042;
  std::string endpoint;  // "address:port": the host's identity in the session
  std::string datacenter, rack;        // set before the host is published, then constant
  std::string host_id, release_version;  // guarded by mu
  std::vector<std::int64_t> tokens;    // the control thread's

  std::size_t loop = 0;  // the event loop its connections use

  std::atomic<bool> up{false};
  std::atomic<std::uint64_t> requests{0};

  // The pool. Guarded by mu; read on every request, changed on (re)connects.
  mutable std::mutex mu;
  std::vector<std::shared_ptr<AsyncConnection>> connections;
  std::size_t connecting = 0;
  int failures = 0;  // consecutive failed connects: the backoff exponent
  Clock::time_point next_attempt{};
  bool ever_up = false;

  // The open connection with the fewest requests outstanding, or null.
  std::shared_ptr<AsyncConnection> pick() const;
  std::size_t open_connections() const;
};

// An immutable view of the cluster, swapped whole when the topology or schema changes.
struct Topology {
  std::vector<std::shared_ptr<Host>> hosts;     // sorted by endpoint
  std::optional<TokenMap> tokens;               // ring hosts are named by endpoint
  std::vector<std::uint32_t> ring_to_host;      // ring host index -> index in hosts
  std::vector<KeyspaceMetadata> schema;

  std::shared_ptr<Host> find(std::string_view endpoint) const;
};

class SessionImpl : public std::enable_shared_from_this<SessionImpl> {
 public:
  explicit SessionImpl(SessionOptions options);
  ~SessionImpl();

  Status start();  // the control connection, the first topology, the pools
  void close();

  Future<ResultSet> execute(Statement statement);
  Future<ResultSet> execute(Batch batch);
  Future<PreparedStatement> prepare(const std::string& cql);
  Status wait_for_schema_agreement();
  // The same, on the calling thread: for the control thread only.
  Status wait_for_schema_agreement_blocking();

  const SessionOptions& options() const { return options_; }
  ProtocolVersion version() const { return version_; }
  std::shared_ptr<const Topology> topology() const {
    std::lock_guard lock(topology_mu_);
    return topology_;
  }
  IoLoop& loop(std::size_t i) { return *loops_[i % loops_.size()]; }
  std::int64_t next_timestamp();
  std::size_t next_rotation() { return rotation_.fetch_add(1, std::memory_order_relaxed); }

  // The prepared statements this session made, re-prepared on hosts that come back.
  std::vector<std::shared_ptr<const PreparedData>> prepared_statements() const;
  void remember(const std::shared_ptr<const PreparedData>& prepared);

  // Runs `job` on the control thread (for work that blocks: schema agreement).
  void post_control(std::function<void()> job);
  // Asks the control thread to reconnect a host's pool now (a connection of it closed).
  void pool_changed();

  // Connection settings for a host's pool.
  ConnectionSettings connection_settings(const std::string& address, std::uint16_t port) const;

 private:
  friend class ControlConnection;
  void control_main();
  Status control_connect();
  Status refresh_topology();
  Status refresh_schema();
  Result<bool> schema_agreed();
  void maintain_pools();
  void open_connection(const std::shared_ptr<Host>& host);
  void on_event(const Event& event);
  Result<Rows> control_query(const std::string& cql);
  // A one-page QUERY at ONE on `conn`, and its answer read as rows.
  Future<Response> send_query(AsyncConnection& conn, const std::string& cql) const;
  Result<Rows> rows_of(const Result<Response>& response, std::string_view cql) const;
  void publish(std::shared_ptr<const Topology> topology);

  SessionOptions options_;
  ProtocolVersion version_ = ProtocolVersion::v5;
  std::vector<std::unique_ptr<IoLoop>> loops_;

  mutable std::mutex topology_mu_;
  std::shared_ptr<const Topology> topology_;

  std::atomic<std::int64_t> last_timestamp_{0};
  std::atomic<std::size_t> rotation_{0};

  mutable std::mutex prepared_mu_;
  std::map<std::string, std::shared_ptr<const PreparedData>> prepared_;  // by keyspace + "\n" + cql

  // The control thread and what it is asked to do.
  std::thread control_thread_;
  std::mutex control_mu_;
  std::condition_variable control_cv_;
  std::deque<std::function<void()>> control_jobs_;
  bool stopping_ = false;
  bool topology_dirty_ = false;
  bool schema_dirty_ = false;
  bool pools_dirty_ = false;
  std::shared_ptr<AsyncConnection> control_;  // control thread only
  int control_failures_ = 0;
  Clock::time_point control_next_attempt_{};
  std::atomic<bool> closed_{false};
};

// A RESULT (or ERROR, or anything unexpected) as what it means.
Result<ResultMessage> read_response(ProtocolVersion version, const Response& response, std::string_view context);

}  // namespace sluice::cql

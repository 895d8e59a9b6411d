// Session: sluice's CQL driver, the way an application uses it.
//
//   auto session = cql::Session::connect({.contact_points = {"127.0.0.1"}}).value();
//   auto insert = session->prepare("INSERT INTO ks.t (id, v) VALUES (?, ?)").value();
//   session->execute(cql::Statement(insert, {std::int64_t{1}, std::string("one")}).set_idempotent());
//   for (auto rows = session->pages(cql::Statement("SELECT id, v FROM ks.t")); auto page = rows.next();) ...
//
// What it does for each request: picks the hosts to try (token-aware: the replicas of the
// statement's partition first, in the local datacenter, then the other local hosts), sends it on
// the least busy connection of the first host that has room, and decides after a failure whether
// to try again (policies.h). DDL waits for schema agreement before it completes. Prepared
// statements are re-prepared on a host that forgot them (UNPREPARED) and on hosts that come back.
//
// Threads: `io_threads` event loops each run an asio::io_context; every connection belongs to
// one. A control thread keeps one control connection (topology, status and schema events; the
// system tables) and does the slow work: reconnecting pools, refreshing metadata, waiting for
// schema agreement. Every public method is thread-safe. Futures complete on an event loop: keep
// their callbacks short and non-blocking, or use get() from another thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cql/client/async_connection.h"
#include "cql/client/future.h"
#include "cql/protocol/messages.h"
#include "cql/types/value.h"

namespace sluice::cql {

struct SessionOptions {
  std::vector<std::string> contact_points{"127.0.0.1"};
  std::uint16_t port = 9042;
  // Requests go to hosts of this datacenter. Empty: the datacenter of the first contact point
  // that answers.
  std::string local_datacenter;
  bool use_remote_datacenters = false;  // after the local ones, when every local host failed
  std::string keyspace;                 // USE'd on every connection when not empty
  std::optional<Credentials> credentials;
  std::shared_ptr<boost::asio::ssl::context> tls;  // TLS when set (see ConnectionSettings)
  Compression compression = Compression::none;
  ProtocolVersion max_protocol_version = ProtocolVersion::v5;
  std::size_t io_threads = 1;
  std::size_t connections_per_host = 1;
  // Requests outstanding per connection: beyond it a host counts as busy and the request goes to
  // the next host of its plan, or fails with Errc::unavailable ("busy") if every host is busy.
  std::size_t max_requests_per_connection = 2048;
  Consistency consistency = Consistency::local_quorum;
  std::int32_t page_size = 5000;
  std::chrono::milliseconds request_timeout{12000};
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds heartbeat_interval{30000};
  std::chrono::milliseconds schema_agreement_timeout{10000};
  std::chrono::milliseconds reconnect_base_delay{250};
  std::chrono::milliseconds reconnect_max_delay{30000};
  bool token_aware = true;
  // Each request carries a default timestamp from a per-session clock that never goes back, so
  // the writes of one session apply in the order they were sent.
  bool client_timestamps = true;
};

struct PreparedData;  // session.cc

// A statement prepared on the cluster. Cheap to copy; valid as long as its session.
class PreparedStatement {
 public:
  PreparedStatement() = default;
  explicit PreparedStatement(std::shared_ptr<const PreparedData> data) : data_(std::move(data)) {}
  bool valid() const { return data_ != nullptr; }
  const std::string& cql() const;
  const std::vector<ColumnSpec>& bind_columns() const;
  const std::vector<ColumnSpec>& result_columns() const;
  const std::shared_ptr<const PreparedData>& data() const { return data_; }

 private:
  std::shared_ptr<const PreparedData> data_;
};

// One request: CQL text or a prepared statement, with its values and options. Options left unset
// take the session's.
struct Statement {
  Statement(std::string cql_text, std::vector<Value> bound = {}) : cql(std::move(cql_text)), values(std::move(bound)) {}  // NOLINT(google-explicit-constructor)
  Statement(PreparedStatement p, std::vector<Value> bound = {}) : prepared(std::move(p)), values(std::move(bound)) {}  // NOLINT(google-explicit-constructor)

  std::string cql;             // empty for a prepared statement
  PreparedStatement prepared;  // invalid for CQL text
  std::vector<Value> values;   // bound positionally, never spliced into the text
  std::optional<Consistency> consistency;
  std::optional<Consistency> serial_consistency;  // makes it conditional (LWT) for retries
  std::optional<std::int32_t> page_size;
  std::optional<std::string> paging_state;
  std::optional<std::int64_t> timestamp;  // microseconds; default: the session's clock
  std::optional<std::string> keyspace;    // v5: the keyspace of unqualified names
  std::optional<std::chrono::milliseconds> timeout;
  bool idempotent = false;  // may be retried after a timeout (see policies.h)
  bool counter = false;     // a counter update: never retried once it may have applied

  Statement& set_consistency(Consistency c) { consistency = c; return *this; }
  Statement& set_serial_consistency(Consistency c) { serial_consistency = c; return *this; }
  Statement& set_page_size(std::int32_t n) { page_size = n; return *this; }
  Statement& set_paging_state(std::string s) { paging_state = std::move(s); return *this; }
  Statement& set_timestamp(std::int64_t micros) { timestamp = micros; return *this; }
  Statement& set_keyspace(std::string k) { keyspace = std::move(k); return *this; }
  Statement& set_timeout(std::chrono::milliseconds t) { timeout = t; return *this; }
  Statement& set_idempotent(bool v = true) { idempotent = v; return *this; }
  Statement& set_counter(bool v = true) { counter = v; return *this; }
};

// A BATCH: statements (text or prepared, mixed) applied together.
struct Batch {
  explicit Batch(BatchType t = BatchType::logged) : type(t) {}

  Batch& add(std::string cql, std::vector<Value> values = {});
  Batch& add(const PreparedStatement& prepared, std::vector<Value> values);

  BatchType type;
  std::vector<Statement> statements;
  std::optional<Consistency> consistency;
  std::optional<Consistency> serial_consistency;
  std::optional<std::int64_t> timestamp;
  std::optional<std::string> keyspace;
  std::optional<std::chrono::milliseconds> timeout;
  bool idempotent = false;
};

// One row of a ResultSet; valid while the ResultSet is.
class Row {
 public:
  Row(const Rows* rows, std::size_t index) : rows_(rows), index_(index) {}

  bool is_null(std::size_t column) const;
  Result<Value> value(std::size_t column) const;
  Result<Value> value(std::string_view column) const;

  // The cell as T (an alternative of Value: std::int32_t for int, std::string for text, Uuid...).
  // A null cell is Errc::not_found; another type is Errc::invalid_argument.
  template <class T>
  Result<T> get(std::size_t column) const {
    auto v = value(column);
    if (!v.ok()) return v.error();
    return take<T>(std::move(*v), column);
  }
  template <class T>
  Result<T> get(std::string_view column) const {
    auto index = column_index(column);
    if (!index.ok()) return index.error();
    return get<T>(*index);
  }
  Result<std::size_t> column_index(std::string_view name) const;

 private:
  template <class T>
  Result<T> take(Value v, std::size_t column) const {
    if (auto* x = std::get_if<T>(&v)) return std::move(*x);
    return kind_error(v, column);
  }
  Error kind_error(const Value& v, std::size_t column) const;

  const Rows* rows_;
  std::size_t index_;
};

// The answer to one request: a page of rows (possibly empty) and what came with it.
class ResultSet {
 public:
  ResultSet() = default;
  explicit ResultSet(ResultMessage message, std::string coordinator, std::vector<std::string> warnings);

  std::size_t size() const { return rows_ ? rows_->row_count : 0; }
  bool empty() const { return size() == 0; }
  Row row(std::size_t i) const { return Row(rows_.get(), i); }
  const std::vector<ColumnSpec>& columns() const;
  bool has_more_pages() const { return rows_ && rows_->paging_state.has_value(); }
  const std::optional<std::string>& paging_state() const;
  // A lightweight transaction's [applied] column; true for anything else.
  bool applied() const;
  const std::optional<SchemaChange>& schema_change() const { return schema_change_; }
  const std::string& coordinator() const { return coordinator_; }  // "address:port" that answered
  const std::vector<std::string>& warnings() const { return warnings_; }
  // The PREPARED answer, when this was one (Session::prepare reads it).
  const Prepared* prepared() const { return prepared_ ? &*prepared_ : nullptr; }

  class Iterator {
   public:
    Iterator(const ResultSet* rs, std::size_t i) : rs_(rs), i_(i) {}
    Row operator*() const { return rs_->row(i_); }
    Iterator& operator++() { ++i_; return *this; }
    bool operator!=(const Iterator& o) const { return i_ != o.i_; }

   private:
    const ResultSet* rs_;
    std::size_t i_;
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, size()}; }

 private:
  std::shared_ptr<Rows> rows_;
  std::optional<SchemaChange> schema_change_;
  std::optional<Prepared> prepared_;
  std::string coordinator_;
  std::vector<std::string> warnings_;
};

// What the session knows of one node.
struct HostInfo {
  std::string address;  // "127.0.0.1:9042"
  std::string datacenter;
  std::string rack;
  std::string host_id;
  std::string release_version;
  bool up = false;
  std::size_t open_connections = 0;
  std::uint64_t requests = 0;  // requests sent to it by this session
};

struct ColumnMetadata {
  std::string name;
  std::string kind;  // partition_key, clustering, regular, static
  int position = 0;
  DataType type;
};
struct TableMetadata {
  std::string name;
  std::vector<ColumnMetadata> columns;  // partition key, clustering (in order), then the rest by name
};
struct UserTypeMetadata {
  std::string name;
  std::vector<std::pair<std::string, DataType>> fields;
};
struct KeyspaceMetadata {
  std::string name;
  std::string replication;  // "SimpleStrategy(1)", ...
  std::vector<TableMetadata> tables;
  std::vector<UserTypeMetadata> user_types;
};

class SessionImpl;
class PageStream;

class Session {
 public:
  // Connects the control connection (trying contact points in order), learns the cluster, opens
  // the pools and returns once at least one host has a ready connection.
  static Result<std::shared_ptr<Session>> connect(SessionOptions options);
  ~Session();  // close()
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Future<ResultSet> execute_async(Statement statement);
  Future<ResultSet> execute_async(Batch batch);
  Future<PreparedStatement> prepare_async(const std::string& cql);

  Result<ResultSet> execute(Statement statement) { return execute_async(std::move(statement)).get(); }
  Result<ResultSet> execute(Batch batch) { return execute_async(std::move(batch)).get(); }
  Result<PreparedStatement> prepare(const std::string& cql) { return prepare_async(cql).get(); }

  // Every page of a query, fetched as the caller asks for them.
  PageStream pages(Statement statement);

  // Waits until every up node reports the same schema version.
  Status wait_for_schema_agreement();

  ProtocolVersion protocol_version() const;
  std::vector<HostInfo> hosts() const;
  // Keyspaces, tables, columns and user types from system_schema, as of the last refresh.
  std::vector<KeyspaceMetadata> schema() const;
  std::optional<KeyspaceMetadata> keyspace(std::string_view name) const;

  // Stops the control thread, closes every connection (outstanding requests fail) and joins the
  // event loops. Idempotent.
  void close();

 private:
  explicit Session(std::shared_ptr<SessionImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<SessionImpl> impl_;
};

// The pages of one query: next() returns the next page until none is left (then Errc::not_found).
class PageStream {
 public:
  PageStream(std::shared_ptr<SessionImpl> session, Statement statement)
      : session_(std::move(session)), statement_(std::move(statement)) {}
  // The next page, or Errc::not_found when the previous one was the last.
  Result<ResultSet> next();
  // Calls f(row) for every row of every page; stops at the first error.
  template <class F>
  Status for_each(F&& f) {
    while (true) {
      auto page = next();
      if (!page.ok()) return page.error().code() == Errc::not_found ? ok_status() : Status(page.error());
      for (Row row : *page) f(row);
    }
  }

 private:
  std::shared_ptr<SessionImpl> session_;
  Statement statement_;
  bool done_ = false;
};

}  // namespace sluice::cql

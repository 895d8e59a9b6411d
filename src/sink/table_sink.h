// TableSink: one `sinks:` entry compiled against its live table: which column comes from which
// expression through which converter, the prepared INSERT (or custom query) and DELETE, and
// how a record becomes the bound values of one row write.
//
// plan() is pure (it takes the table's metadata), so `sluice check` and the tests can run it
// without preparing anything; prepare() then prepares the statements on the cluster.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codec/convert.h"
#include "config/pipeline.h"
#include "cql/client/session.h"
#include "sink/decoder.h"
#include "sink/record.h"

namespace sluice::sink {

// One write a record turns into.
struct RowWrite {
  enum class Kind { upsert, remove, skip };
  Kind kind = Kind::skip;
  std::vector<cql::Value> values;  // the statement's bind values, in order
  std::string partition_key;       // the encoded partition key: rows with equal keys may share a batch
  std::size_t bytes = 0;           // about what the row adds to a batch
  std::string_view skip_reason;    // skip: "expired", "tombstone" (deletes off)
};

class TableSink {
 public:
  struct Column {
    enum class Role { field, writetime, ttl };  // writetime/ttl: USING TIMESTAMP ? / TTL ? binds
    Role role = Role::field;
    std::string name;
    cql::DataType type;
    config::Expr expr;
    std::optional<codec::Converter> converter;  // role field
    bool primary_key = false;
    bool partition_key = false;
  };

  // Checks the sink against the table (nullptr: the table does not exist). Every problem is
  // reported, one per line: "file:line: table ks.t, column c: reason".
  static Result<TableSink> plan(const config::SinkConfig& sink, const config::SourceConfig& source,
                                const cql::TableMetadata* table);

  // Prepares the write statements (and for a custom query, checks its named binds).
  Status prepare(cql::Session& session);

  // The row write for one decoded record. Errors carry the FailureClass in Error::detail().
  Result<RowWrite> build(const SourceDecoder& decoder, const RecordView& record, std::int64_t now_ms) const;

  const config::SinkConfig& config() const { return config_; }
  const std::string& upsert_cql() const { return upsert_cql_; }
  const std::string& delete_cql() const { return delete_cql_; }
  const cql::PreparedStatement& upsert_statement() const { return upsert_; }
  const cql::PreparedStatement& delete_statement() const { return delete_; }
  bool needs_key() const { return needs_key_; }
  bool needs_value() const { return needs_value_; }
  const std::vector<Column>& columns() const { return columns_; }

 private:
  Result<std::int64_t> writetime_micros(const SourceDecoder& decoder, const RecordView& record, std::int64_t now_ms) const;
  // Seconds to live, 0 for none; nullopt: already expired (skip the row).
  Result<std::optional<std::int64_t>> ttl_seconds(const SourceDecoder& decoder, const RecordView& record,
                                                  std::int64_t now_ms) const;

  config::SinkConfig config_;
  std::vector<Column> columns_;           // upsert bind order (custom query: its bind order)
  std::vector<std::size_t> key_columns_;  // primary key columns (indexes into columns_), table order
  std::string upsert_cql_, delete_cql_;
  cql::PreparedStatement upsert_, delete_;
  std::optional<codec::Converter> timestamp_converter_;  // writetime and expiry fields
  std::optional<codec::Converter> int_converter_;        // ttl fields
  bool custom_query_ = false;
  bool needs_key_ = false, needs_value_ = false;
  bool has_regular_ = false;  // maps at least one non-key column (key-only records delete)
};

}  // namespace sluice::sink

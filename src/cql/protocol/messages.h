// Request encoders and response decoders for native protocol v4 message bodies.
//
// Encoders append one whole frame (header included) to a caller-owned buffer, so many requests
// can be coalesced into one send. Decoders take a body (the bytes after the header) and never
// read past it; malformed bodies are Errc::protocol errors, never crashes or huge allocations.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "cql/protocol/frame.h"
#include "cql/types/data_type.h"
#include "cql/types/value.h"

namespace sluice::cql {

// ---- requests ----

struct QueryParams {
  Consistency consistency = Consistency::local_quorum;
  std::vector<Value> values;                     // bound positionally
  std::int32_t page_size = 5000;                 // <= 0: no paging
  std::optional<std::string> paging_state;       // from a previous Rows result
  std::optional<Consistency> serial_consistency;  // for lightweight transactions
  std::optional<std::int64_t> default_timestamp;  // microseconds; the writetime of the writes
  bool skip_metadata = false;                     // EXECUTE only: rows without column specs
};

void encode_startup(std::int16_t stream, std::string& out);
void encode_options(std::int16_t stream, std::string& out);
void encode_query(std::int16_t stream, std::string_view cql, const QueryParams& params, std::string& out);
void encode_prepare(std::int16_t stream, std::string_view cql, std::string& out);
void encode_execute(std::int16_t stream, std::string_view prepared_id, const QueryParams& params,
                    std::string& out);

// ---- responses ----

struct ColumnSpec {
  std::string keyspace;
  std::string table;
  std::string name;
  DataType type;
};

// A page of rows. Owns its body bytes; cells are decoded on demand.
struct Rows {
  std::vector<ColumnSpec> columns;  // empty when the request skipped metadata
  std::optional<std::string> paging_state;
  std::size_t column_count = 0;
  std::size_t row_count = 0;

  // The cell at (row, column): Null for a null cell, an error for a type not decoded yet.
  Result<Value> cell(std::size_t row, std::size_t column) const;

  struct CellRef {
    std::uint32_t offset;
    std::int32_t length;  // -1: null
  };
  std::string body;
  std::vector<CellRef> cells;  // row-major
};

struct Prepared {
  std::string id;
  std::vector<ColumnSpec> bind_columns;
  std::vector<std::uint16_t> partition_key_indexes;
  std::vector<ColumnSpec> result_columns;
};

struct SchemaChange {
  std::string change_type;  // CREATED, UPDATED, DROPPED
  std::string target;       // KEYSPACE, TABLE, TYPE, FUNCTION, AGGREGATE
  std::string keyspace;
  std::string name;         // empty for a keyspace
};

struct VoidResult {};
struct SetKeyspace {
  std::string keyspace;
};

using ResultMessage = std::variant<VoidResult, Rows, SetKeyspace, Prepared, SchemaChange>;

Result<ResultMessage> decode_result(Bytes body);

// The error codes of the spec (section 9).
enum class ServerErrorCode : std::int32_t {
  server_error = 0x0000,
  protocol_error = 0x000A,
  bad_credentials = 0x0100,
  unavailable = 0x1000,
  overloaded = 0x1001,
  is_bootstrapping = 0x1002,
  truncate_error = 0x1003,
  write_timeout = 0x1100,
  read_timeout = 0x1200,
  read_failure = 0x1300,
  function_failure = 0x1400,
  write_failure = 0x1500,
  cdc_write_failure = 0x1600,
  cas_write_unknown = 0x1700,
  syntax_error = 0x2000,
  unauthorized = 0x2100,
  invalid = 0x2200,
  config_error = 0x2300,
  already_exists = 0x2400,
  unprepared = 0x2500,
};

std::string_view server_error_name(ServerErrorCode code);

// An ERROR response with the fields its code carries (unused fields stay default).
struct ServerError {
  ServerErrorCode code = ServerErrorCode::server_error;
  std::string message;
  Consistency consistency = Consistency::any;  // unavailable, timeouts, failures
  std::int32_t required = 0;                   // unavailable: required; others: block_for
  std::int32_t alive_or_received = 0;          // unavailable: alive; others: received
  std::int32_t num_failures = 0;               // read/write failure
  bool data_present = false;                   // read timeout/failure
  std::string write_type;                      // write timeout/failure, cas_write_unknown
  std::string keyspace, table;                 // already_exists, function_failure (table=function)
  std::string unprepared_id;                   // unprepared

  // "Unavailable (0x1000): Cannot achieve consistency level QUORUM [required 2, alive 1]"
  std::string to_string() const;
};

Result<ServerError> decode_error(Bytes body);

// SUPPORTED: option name -> values (e.g. "CQL_VERSION" -> ["3.4.7"]).
Result<std::map<std::string, std::vector<std::string>>> decode_supported(Bytes body);

}  // namespace sluice::cql

// Request encoders and response decoders for native protocol v4 and v5 message bodies.
//
// Encoders append one whole frame (v4) or envelope (v5) to a caller-owned buffer: the 9-byte
// header with the version byte of `v`, then the body. Many requests can so be coalesced into one
// send (for v5, segment.h's encode_segments then wraps the envelopes). Decoders take a body (the
// bytes after the header) and never read past it; malformed bodies are Errc::protocol errors,
// never crashes or huge allocations. Where v4 and v5 bodies differ the functions take the version.
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
  std::optional<std::string> keyspace;            // v5 only: per-query keyspace (flag 0x80)
  std::optional<std::int32_t> now_in_seconds;     // v5 only: the server's "now" (flag 0x100)
};

// STARTUP with CQL_VERSION=3.0.0 first, then `extra_options` in order (COMPRESSION=lz4,
// DRIVER_NAME, DRIVER_VERSION, ...).
void encode_startup(ProtocolVersion v, std::int16_t stream,
                    const std::vector<std::pair<std::string, std::string>>& extra_options, std::string& out);
void encode_options(ProtocolVersion v, std::int16_t stream, std::string& out);
// v4 ignores params.keyspace and params.now_in_seconds (the protocol has no room for them).
void encode_query(ProtocolVersion v, std::int16_t stream, std::string_view cql, const QueryParams& params,
                  std::string& out);
// `keyspace`: v5 only, empty = none (the connection's keyspace applies).
void encode_prepare(ProtocolVersion v, std::int16_t stream, std::string_view cql, std::string_view keyspace,
                    std::string& out);
// `result_metadata_id`: v5 only, the Prepared's (or the last Rows' new_metadata_id); v4 ignores it.
void encode_execute(ProtocolVersion v, std::int16_t stream, std::string_view prepared_id,
                    std::string_view result_metadata_id, const QueryParams& params, std::string& out);

enum class BatchType : std::uint8_t { logged = 0, unlogged = 1, counter = 2 };

struct BatchChild {
  bool prepared = false;  // true: `query` is a prepared id; false: CQL text
  std::string query;
  std::vector<Value> values;  // bound positionally
};

struct BatchParams {
  BatchType type = BatchType::logged;
  Consistency consistency = Consistency::local_quorum;
  std::optional<Consistency> serial_consistency;
  std::optional<std::int64_t> default_timestamp;
  std::optional<std::string> keyspace;         // v5 only
  std::optional<std::int32_t> now_in_seconds;  // v5 only
};

// The caller keeps children.size() and each child's values within 65535 (the counts are shorts).
void encode_batch(ProtocolVersion v, std::int16_t stream, const std::vector<BatchChild>& children,
                  const BatchParams& params, std::string& out);
// Event types: "TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE".
void encode_register(ProtocolVersion v, std::int16_t stream, const std::vector<std::string>& event_types,
                     std::string& out);
// A [bytes] token; nullopt sends a null token.
void encode_auth_response(ProtocolVersion v, std::int16_t stream, std::optional<std::string_view> token,
                          std::string& out);
// The token PasswordAuthenticator expects (SASL PLAIN without authorization id): "\0user\0password".
std::string password_auth_token(std::string_view user, std::string_view password);

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
  // v5: the result metadata changed since the id the EXECUTE sent; use this id (and these
  // columns) from now on (flag METADATA_CHANGED).
  std::optional<std::string> new_metadata_id;
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
  std::string result_metadata_id;  // v5: sent back with every EXECUTE
  std::vector<ColumnSpec> bind_columns;
  std::vector<std::uint16_t> partition_key_indexes;
  std::vector<ColumnSpec> result_columns;
};

struct SchemaChange {
  std::string change_type;  // CREATED, UPDATED, DROPPED
  std::string target;       // KEYSPACE, TABLE, TYPE, FUNCTION, AGGREGATE
  std::string keyspace;
  std::string name;         // empty for a keyspace
  std::vector<std::string> arg_types;  // FUNCTION and AGGREGATE: the argument types (CQL names)
};

struct VoidResult {};
struct SetKeyspace {
  std::string keyspace;
};

using ResultMessage = std::variant<VoidResult, Rows, SetKeyspace, Prepared, SchemaChange>;

Result<ResultMessage> decode_result(ProtocolVersion v, Bytes body);

// The error codes of the specs (section 9 of v4 and v5).
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
  Consistency consistency = Consistency::any;  // unavailable, timeouts, failures, cas_write_unknown
  std::int32_t required = 0;                   // unavailable: required; others: block_for
  std::int32_t alive_or_received = 0;          // unavailable: alive; others: received
  std::int32_t num_failures = 0;               // read/write failure (v5: reason_map.size())
  // v5 read/write failure: replica address as text ("127.0.0.2", "::1") -> its failure code
  // (Cassandra's RequestFailureReason: 0 unknown, 1 read_too_many_tombstones, ...).
  std::vector<std::pair<std::string, std::uint16_t>> reason_map;
  bool data_present = false;                   // read timeout/failure
  std::string write_type;                      // write timeout/failure
  std::int16_t contentions = 0;                // v5 write timeout with write type CAS
  std::string keyspace, table;                 // already_exists (table empty for a keyspace)
  std::string function;                        // function_failure, with keyspace
  std::vector<std::string> arg_types;          // function_failure: the function's argument types
  std::string unprepared_id;                   // unprepared

  // "Unavailable (0x1000): Cannot achieve consistency level QUORUM [consistency QUORUM, required 2, alive 1]"
  std::string to_string() const;
};

Result<ServerError> decode_error(ProtocolVersion v, Bytes body);

// AUTHENTICATE: the authenticator's class name ("org.apache.cassandra.auth.PasswordAuthenticator").
Result<std::string> decode_authenticate(Bytes body);
// AUTH_CHALLENGE and AUTH_SUCCESS: one [bytes] token, which may be null.
Result<std::optional<std::string>> decode_auth_token(Bytes body);

// EVENT (pushed on stream -1 to connections that sent REGISTER).
struct Event {
  enum class Kind { topology_change, status_change, schema_change };
  Kind kind = Kind::status_change;
  std::string change;    // NEW_NODE/REMOVED_NODE, UP/DOWN, CREATED/UPDATED/DROPPED
  std::string address;   // topology/status: the node's address as text ("127.0.0.2")
  std::uint16_t port = 0;
  SchemaChange schema;   // schema_change only (schema.change_type == change)
};

// Same body in v4 and v5. An unknown event type is Errc::protocol.
Result<Event> decode_event(Bytes body);

// SUPPORTED: option name -> values (e.g. "CQL_VERSION" -> ["3.4.7"]).
Result<std::map<std::string, std::vector<std::string>>> decode_supported(Bytes body);

}  // namespace sluice::cql

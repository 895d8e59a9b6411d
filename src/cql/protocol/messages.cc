#include "cql/protocol/messages.h"

#include <fmt/format.h>

namespace sluice::cql {

namespace {

// Query flags (v4, one byte).
constexpr std::uint8_t kFlagValues = 0x01;
constexpr std::uint8_t kFlagSkipMetadata = 0x02;
constexpr std::uint8_t kFlagPageSize = 0x04;
constexpr std::uint8_t kFlagPagingState = 0x08;
constexpr std::uint8_t kFlagSerialConsistency = 0x10;
constexpr std::uint8_t kFlagDefaultTimestamp = 0x20;

// Rows metadata flags.
constexpr std::int32_t kMetaGlobalTablesSpec = 0x0001;
constexpr std::int32_t kMetaHasMorePages = 0x0002;
constexpr std::int32_t kMetaNoMetadata = 0x0004;

// A column count beyond this is a hostile or corrupt frame (Cassandra's own limit is far lower).
constexpr std::int32_t kMaxColumns = 65535;

std::string_view read_string(ByteReader& in) { return as_chars(in.take(in.u16())); }

std::optional<std::string_view> read_bytes(ByteReader& in) {
  auto n = in.i32();
  if (n < 0) return std::nullopt;
  return as_chars(in.take(static_cast<std::size_t>(n)));
}

void write_string(ByteWriter& w, std::string_view s) {
  w.u16(static_cast<std::uint16_t>(s.size()));
  w.raw(s);
}

void write_long_string(ByteWriter& w, std::string_view s) {
  w.i32(static_cast<std::int32_t>(s.size()));
  w.raw(s);
}

void write_params(ByteWriter& w, const QueryParams& p) {
  w.u16(static_cast<std::uint16_t>(p.consistency));
  std::uint8_t flags = 0;
  if (!p.values.empty()) flags |= kFlagValues;
  if (p.skip_metadata) flags |= kFlagSkipMetadata;
  if (p.page_size > 0) flags |= kFlagPageSize;
  if (p.paging_state) flags |= kFlagPagingState;
  if (p.serial_consistency) flags |= kFlagSerialConsistency;
  if (p.default_timestamp) flags |= kFlagDefaultTimestamp;
  w.u8(flags);
  if (!p.values.empty()) {
    w.u16(static_cast<std::uint16_t>(p.values.size()));
    for (const auto& v : p.values) write_value(v, w);
  }
  if (p.page_size > 0) w.i32(p.page_size);
  if (p.paging_state) {
    w.i32(static_cast<std::int32_t>(p.paging_state->size()));
    w.raw(*p.paging_state);
  }
  if (p.serial_consistency) w.u16(static_cast<std::uint16_t>(*p.serial_consistency));
  if (p.default_timestamp) w.i64(*p.default_timestamp);
}

template <class Body>
void frame(std::int16_t stream, Opcode op, std::string& out, Body&& body) {
  std::size_t length_at = write_frame_header({.version = kProtocolV4, .flags = 0, .stream = stream,
                                              .opcode = op, .length = 0},
                                             out);
  ByteWriter w(out);
  body(w);
  finish_frame(out, length_at);
}

// Column specs of rows or prepared metadata. Fails the reader on nonsense counts.
std::vector<ColumnSpec> read_column_specs(ByteReader& in, std::int32_t flags, std::int32_t count) {
  std::vector<ColumnSpec> specs;
  if (count < 0 || count > kMaxColumns) {
    in.fail();
    return specs;
  }
  std::string global_ks, global_table;
  if ((flags & kMetaGlobalTablesSpec) != 0) {
    global_ks = read_string(in);
    global_table = read_string(in);
  }
  // Each spec takes at least 4 bytes; refuse counts the body cannot hold before reserving.
  if (static_cast<std::size_t>(count) > in.remaining() / 4 + 1) {
    in.fail();
    return specs;
  }
  specs.reserve(static_cast<std::size_t>(count));
  for (std::int32_t i = 0; i < count && in.ok(); ++i) {
    ColumnSpec c;
    if ((flags & kMetaGlobalTablesSpec) != 0) {
      c.keyspace = global_ks;
      c.table = global_table;
    } else {
      c.keyspace = read_string(in);
      c.table = read_string(in);
    }
    c.name = read_string(in);
    c.type = read_data_type(in);
    specs.push_back(std::move(c));
  }
  return specs;
}

Result<Rows> read_rows(ByteReader& in, Bytes whole_body) {
  Rows rows;
  auto flags = in.i32();
  auto column_count = in.i32();
  if (column_count < 0 || column_count > kMaxColumns) {
    return Error(Errc::protocol, fmt::format("rows result with {} columns", column_count));
  }
  rows.column_count = static_cast<std::size_t>(column_count);
  if ((flags & kMetaHasMorePages) != 0) {
    auto state = read_bytes(in);
    if (state) rows.paging_state = std::string(*state);
  }
  if ((flags & kMetaNoMetadata) == 0) {
    rows.columns = read_column_specs(in, flags, column_count);
  }
  auto row_count = in.i32();
  if (!in.ok() || row_count < 0) return Error(Errc::protocol, "malformed rows metadata");
  rows.row_count = static_cast<std::size_t>(row_count);
  // Every cell is at least its 4-byte length: bound the allocation by what the body holds.
  auto total_cells = rows.row_count * rows.column_count;
  if (rows.column_count != 0 && total_cells / rows.column_count != rows.row_count) {
    return Error(Errc::protocol, "rows result cell count overflows");
  }
  if (total_cells > in.remaining() / 4) {
    return Error(Errc::protocol, fmt::format("rows result claims {} cells in {} bytes", total_cells,
                                             in.remaining()));
  }
  rows.body.assign(as_chars(whole_body));
  rows.cells.reserve(total_cells);
  for (std::size_t i = 0; i < total_cells && in.ok(); ++i) {
    auto len = in.i32();
    auto offset = static_cast<std::uint32_t>(in.position());
    if (len >= 0) {
      in.take(static_cast<std::size_t>(len));
    } else if (len < -2) {
      in.fail();
    }
    rows.cells.push_back({offset, len < 0 ? -1 : len});
  }
  if (!in.ok()) return Error(Errc::protocol, "truncated rows result");
  return rows;
}

}  // namespace

Result<Value> Rows::cell(std::size_t row, std::size_t column) const {
  if (row >= row_count || column >= column_count) {
    return Error(Errc::invalid_argument, fmt::format("cell ({}, {}) outside a {}x{} result", row,
                                                     column, row_count, column_count));
  }
  const CellRef& ref = cells[row * column_count + column];
  if (ref.length < 0) return Value(Null{});
  if (columns.empty()) return Error(Errc::invalid_argument, "rows were fetched without metadata");
  Bytes data = as_bytes(body).subspan(ref.offset, static_cast<std::size_t>(ref.length));
  return decode_cell(columns[column].type, data);
}

void encode_startup(std::int16_t stream, std::string& out) {
  frame(stream, Opcode::startup, out, [](ByteWriter& w) {
    w.u16(1);
    write_string(w, "CQL_VERSION");
    write_string(w, "3.0.0");
  });
}

void encode_options(std::int16_t stream, std::string& out) {
  frame(stream, Opcode::options, out, [](ByteWriter&) {});
}

void encode_query(std::int16_t stream, std::string_view cql, const QueryParams& params, std::string& out) {
  frame(stream, Opcode::query, out, [&](ByteWriter& w) {
    write_long_string(w, cql);
    write_params(w, params);
  });
}

void encode_prepare(std::int16_t stream, std::string_view cql, std::string& out) {
  frame(stream, Opcode::prepare, out, [&](ByteWriter& w) { write_long_string(w, cql); });
}

void encode_execute(std::int16_t stream, std::string_view prepared_id, const QueryParams& params,
                    std::string& out) {
  frame(stream, Opcode::execute, out, [&](ByteWriter& w) {
    write_string(w, prepared_id);
    write_params(w, params);
  });
}

Result<ResultMessage> decode_result(Bytes body) {
  ByteReader in(body);
  auto kind = in.i32();
  switch (kind) {
    case 0x0001:
      return ResultMessage(VoidResult{});
    case 0x0002: {
      auto rows = read_rows(in, body);
      if (!rows.ok()) return rows.error();
      return ResultMessage(std::move(rows).value());
    }
    case 0x0003: {
      SetKeyspace ks{std::string(read_string(in))};
      if (!in.ok()) return Error(Errc::protocol, "malformed set_keyspace result");
      return ResultMessage(std::move(ks));
    }
    case 0x0004: {
      Prepared p;
      p.id = std::string(read_string(in));
      auto flags = in.i32();
      auto count = in.i32();
      auto pk_count = in.i32();
      if (pk_count < 0 || pk_count > kMaxColumns) in.fail();
      for (std::int32_t i = 0; i < pk_count && in.ok(); ++i) p.partition_key_indexes.push_back(in.u16());
      p.bind_columns = read_column_specs(in, flags, count);
      auto result_flags = in.i32();
      auto result_count = in.i32();
      if (in.ok() && (result_flags & kMetaNoMetadata) == 0) {
        p.result_columns = read_column_specs(in, result_flags, result_count);
      }
      if (!in.ok()) return Error(Errc::protocol, "malformed prepared result");
      return ResultMessage(std::move(p));
    }
    case 0x0005: {
      SchemaChange sc;
      sc.change_type = read_string(in);
      sc.target = read_string(in);
      sc.keyspace = read_string(in);
      if (sc.target != "KEYSPACE") sc.name = read_string(in);
      // FUNCTION and AGGREGATE carry their argument types after the name; not needed here.
      if (!in.ok()) return Error(Errc::protocol, "malformed schema_change result");
      return ResultMessage(std::move(sc));
    }
    default:
      return Error(Errc::protocol, fmt::format("unknown result kind {}", kind));
  }
}

std::string_view server_error_name(ServerErrorCode code) {
  switch (code) {
    case ServerErrorCode::server_error: return "ServerError";
    case ServerErrorCode::protocol_error: return "ProtocolError";
    case ServerErrorCode::bad_credentials: return "BadCredentials";
    case ServerErrorCode::unavailable: return "Unavailable";
    case ServerErrorCode::overloaded: return "Overloaded";
    case ServerErrorCode::is_bootstrapping: return "IsBootstrapping";
    case ServerErrorCode::truncate_error: return "TruncateError";
    case ServerErrorCode::write_timeout: return "WriteTimeout";
    case ServerErrorCode::read_timeout: return "ReadTimeout";
    case ServerErrorCode::read_failure: return "ReadFailure";
    case ServerErrorCode::function_failure: return "FunctionFailure";
    case ServerErrorCode::write_failure: return "WriteFailure";
    case ServerErrorCode::cdc_write_failure: return "CdcWriteFailure";
    case ServerErrorCode::cas_write_unknown: return "CasWriteUnknown";
    case ServerErrorCode::syntax_error: return "SyntaxError";
    case ServerErrorCode::unauthorized: return "Unauthorized";
    case ServerErrorCode::invalid: return "Invalid";
    case ServerErrorCode::config_error: return "ConfigError";
    case ServerErrorCode::already_exists: return "AlreadyExists";
    case ServerErrorCode::unprepared: return "Unprepared";
  }
  return "UnknownError";
}

std::string ServerError::to_string() const {
  std::string out = fmt::format("{} (0x{:04x}): {}", server_error_name(code), static_cast<std::int32_t>(code), message);
  switch (code) {
    case ServerErrorCode::unavailable:
      out += fmt::format(" [consistency {}, required {}, alive {}]", consistency_name(consistency),
                         required, alive_or_received);
      break;
    case ServerErrorCode::write_timeout:
    case ServerErrorCode::write_failure:
      out += fmt::format(" [consistency {}, received {} of {}, write type {}]",
                         consistency_name(consistency), alive_or_received, required, write_type);
      break;
    case ServerErrorCode::read_timeout:
    case ServerErrorCode::read_failure:
      out += fmt::format(" [consistency {}, received {} of {}, data {}]", consistency_name(consistency),
                         alive_or_received, required, data_present ? "present" : "absent");
      break;
    default:
      break;
  }
  return out;
}

Result<ServerError> decode_error(Bytes body) {
  ByteReader in(body);
  ServerError e;
  e.code = static_cast<ServerErrorCode>(in.i32());
  e.message = read_string(in);
  switch (e.code) {
    case ServerErrorCode::unavailable:
      e.consistency = static_cast<Consistency>(in.u16());
      e.required = in.i32();
      e.alive_or_received = in.i32();
      break;
    case ServerErrorCode::write_timeout:
      e.consistency = static_cast<Consistency>(in.u16());
      e.alive_or_received = in.i32();
      e.required = in.i32();
      e.write_type = read_string(in);
      break;
    case ServerErrorCode::read_timeout:
      e.consistency = static_cast<Consistency>(in.u16());
      e.alive_or_received = in.i32();
      e.required = in.i32();
      e.data_present = in.u8() != 0;
      break;
    case ServerErrorCode::read_failure:
      e.consistency = static_cast<Consistency>(in.u16());
      e.alive_or_received = in.i32();
      e.required = in.i32();
      e.num_failures = in.i32();
      e.data_present = in.u8() != 0;
      break;
    case ServerErrorCode::write_failure:
      e.consistency = static_cast<Consistency>(in.u16());
      e.alive_or_received = in.i32();
      e.required = in.i32();
      e.num_failures = in.i32();
      e.write_type = read_string(in);
      break;
    case ServerErrorCode::function_failure:  // keyspace, function name
    case ServerErrorCode::already_exists:    // keyspace, table (empty for a keyspace)
      e.keyspace = read_string(in);
      e.table = read_string(in);
      break;
    case ServerErrorCode::unprepared:
      e.unprepared_id = read_string(in);
      break;
    default:
      break;
  }
  if (!in.ok()) return Error(Errc::protocol, "malformed error response");
  return e;
}

Result<std::map<std::string, std::vector<std::string>>> decode_supported(Bytes body) {
  ByteReader in(body);
  std::map<std::string, std::vector<std::string>> out;
  auto n = in.u16();
  for (std::uint16_t i = 0; i < n && in.ok(); ++i) {
    std::string key(read_string(in));
    auto m = in.u16();
    std::vector<std::string> values;
    for (std::uint16_t j = 0; j < m && in.ok(); ++j) values.emplace_back(read_string(in));
    out.emplace(std::move(key), std::move(values));
  }
  if (!in.ok()) return Error(Errc::protocol, "malformed SUPPORTED response");
  return out;
}

}  // namespace sluice::cql

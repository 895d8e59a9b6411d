#include "cql/protocol/messages.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace sluice::cql {

namespace {

// Query (and batch) flags: one byte in v4, an [int] in v5, which adds the last two.
constexpr std::uint32_t kFlagValues = 0x01;
constexpr std::uint32_t kFlagSkipMetadata = 0x02;
constexpr std::uint32_t kFlagPageSize = 0x04;
constexpr std::uint32_t kFlagPagingState = 0x08;
constexpr std::uint32_t kFlagSerialConsistency = 0x10;
constexpr std::uint32_t kFlagDefaultTimestamp = 0x20;
constexpr std::uint32_t kFlagKeyspace = 0x80;
constexpr std::uint32_t kFlagNowInSeconds = 0x100;

// PREPARE flags (v5 only, an [int]).
constexpr std::uint32_t kPrepareFlagKeyspace = 0x01;

// Rows metadata flags.
constexpr std::int32_t kMetaGlobalTablesSpec = 0x0001;
constexpr std::int32_t kMetaHasMorePages = 0x0002;
constexpr std::int32_t kMetaNoMetadata = 0x0004;
constexpr std::int32_t kMetaMetadataChanged = 0x0008;  // v5

// A column count beyond this is a hostile or corrupt frame (Cassandra's own limit is far lower).
constexpr std::int32_t kMaxColumns = 65535;

std::string_view read_string(ByteReader& in) { return as_chars(in.take(in.u16())); }

std::optional<std::string_view> read_bytes(ByteReader& in) {
  auto n = in.i32();
  if (n < 0) return std::nullopt;
  return as_chars(in.take(static_cast<std::size_t>(n)));
}

// A [string list] or the argument types of a function: a [short] count, then [string]s. Each
// string takes at least its 2-byte length, so a count the body cannot hold fails before reserving.
std::vector<std::string> read_string_list(ByteReader& in) {
  std::vector<std::string> out;
  auto n = in.u16();
  if (n > in.remaining() / 2) {
    in.fail();
    return out;
  }
  out.reserve(n);
  for (std::uint16_t i = 0; i < n && in.ok(); ++i) out.emplace_back(read_string(in));
  return out;
}

// An [inetaddr]: a byte size (4 or 16), then the address; returned as text.
std::string read_inetaddr(ByteReader& in) {
  auto size = in.u8();
  if (size != 4 && size != 16) {
    in.fail();
    return {};
  }
  Inet addr{std::string(as_chars(in.take(size)))};
  return in.ok() ? addr.to_string() : std::string();
}

void write_string(ByteWriter& w, std::string_view s) {
  w.u16(static_cast<std::uint16_t>(s.size()));
  w.raw(s);
}

void write_long_string(ByteWriter& w, std::string_view s) {
  w.i32(static_cast<std::int32_t>(s.size()));
  w.raw(s);
}

// [bytes] (an [int] length, -1 for null).
void write_bytes(ByteWriter& w, std::optional<std::string_view> b) {
  if (!b) {
    w.i32(-1);
    return;
  }
  write_long_string(w, *b);
}

// Query and batch flags: a [byte] in v4, an [int] in v5.
void write_flags(ByteWriter& w, ProtocolVersion v, std::uint32_t flags) {
  if (v == ProtocolVersion::v4) {
    w.u8(static_cast<std::uint8_t>(flags));
  } else {
    w.u32(flags);
  }
}

void write_params(ByteWriter& w, ProtocolVersion v, const QueryParams& p) {
  const bool v5 = v == ProtocolVersion::v5;
  w.u16(static_cast<std::uint16_t>(p.consistency));
  std::uint32_t flags = 0;
  if (!p.values.empty()) flags |= kFlagValues;
  if (p.skip_metadata) flags |= kFlagSkipMetadata;
  if (p.page_size > 0) flags |= kFlagPageSize;
  if (p.paging_state) flags |= kFlagPagingState;
  if (p.serial_consistency) flags |= kFlagSerialConsistency;
  if (p.default_timestamp) flags |= kFlagDefaultTimestamp;
  if (v5 && p.keyspace) flags |= kFlagKeyspace;
  if (v5 && p.now_in_seconds) flags |= kFlagNowInSeconds;
  write_flags(w, v, flags);
  if (!p.values.empty()) {
    w.u16(static_cast<std::uint16_t>(p.values.size()));
    for (const auto& value : p.values) write_value(value, w);
  }
  if (p.page_size > 0) w.i32(p.page_size);
  if (p.paging_state) {
    w.i32(static_cast<std::int32_t>(p.paging_state->size()));
    w.raw(*p.paging_state);
  }
  if (p.serial_consistency) w.u16(static_cast<std::uint16_t>(*p.serial_consistency));
  if (p.default_timestamp) w.i64(*p.default_timestamp);
  if (v5 && p.keyspace) write_string(w, *p.keyspace);
  if (v5 && p.now_in_seconds) w.i32(*p.now_in_seconds);
}

template <class Body>
void frame(ProtocolVersion v, std::int16_t stream, Opcode op, std::string& out, Body&& body) {
  std::size_t length_at = write_frame_header(
      {.version = static_cast<std::uint8_t>(v), .flags = 0, .stream = stream, .opcode = op, .length = 0}, out);
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

// The <options> of a schema change (RESULT kind 5 and the SCHEMA_CHANGE event), after the change type.
void read_schema_change_options(ByteReader& in, SchemaChange& sc) {
  sc.target = read_string(in);
  sc.keyspace = read_string(in);
  if (sc.target != "KEYSPACE") sc.name = read_string(in);
  if (sc.target == "FUNCTION" || sc.target == "AGGREGATE") sc.arg_types = read_string_list(in);
}

Result<Rows> read_rows(ProtocolVersion v, ByteReader& in, Bytes whole_body) {
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
  // v4 defines no 0x0008 flag: a v4 server setting it sends nothing for it.
  if (v == ProtocolVersion::v5 && (flags & kMetaMetadataChanged) != 0) {
    rows.new_metadata_id = std::string(read_string(in));
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

void encode_startup(ProtocolVersion v, std::int16_t stream,
                    const std::vector<std::pair<std::string, std::string>>& extra_options, std::string& out) {
  frame(v, stream, Opcode::startup, out, [&](ByteWriter& w) {
    w.u16(static_cast<std::uint16_t>(1 + extra_options.size()));
    write_string(w, "CQL_VERSION");
    write_string(w, "3.0.0");
    for (const auto& [key, value] : extra_options) {
      write_string(w, key);
      write_string(w, value);
    }
  });
}

void encode_options(ProtocolVersion v, std::int16_t stream, std::string& out) {
  frame(v, stream, Opcode::options, out, [](ByteWriter&) {});
}

void encode_query(ProtocolVersion v, std::int16_t stream, std::string_view cql, const QueryParams& params,
                  std::string& out) {
  frame(v, stream, Opcode::query, out, [&](ByteWriter& w) {
    write_long_string(w, cql);
    write_params(w, v, params);
  });
}

void encode_prepare(ProtocolVersion v, std::int16_t stream, std::string_view cql, std::string_view keyspace,
                    std::string& out) {
  frame(v, stream, Opcode::prepare, out, [&](ByteWriter& w) {
    write_long_string(w, cql);
    if (v == ProtocolVersion::v4) return;  // v4 PREPARE is the query alone
    w.u32(keyspace.empty() ? 0 : kPrepareFlagKeyspace);
    if (!keyspace.empty()) write_string(w, keyspace);
  });
}

void encode_execute(ProtocolVersion v, std::int16_t stream, std::string_view prepared_id,
                    std::string_view result_metadata_id, const QueryParams& params, std::string& out) {
  frame(v, stream, Opcode::execute, out, [&](ByteWriter& w) {
    write_string(w, prepared_id);
    if (v == ProtocolVersion::v5) write_string(w, result_metadata_id);
    write_params(w, v, params);
  });
}

void encode_batch(ProtocolVersion v, std::int16_t stream, const std::vector<BatchChild>& children,
                  const BatchParams& params, std::string& out) {
  const bool v5 = v == ProtocolVersion::v5;
  frame(v, stream, Opcode::batch, out, [&](ByteWriter& w) {
    w.u8(static_cast<std::uint8_t>(params.type));
    w.u16(static_cast<std::uint16_t>(children.size()));
    for (const auto& child : children) {
      w.u8(child.prepared ? 1 : 0);
      if (child.prepared) {
        write_string(w, child.query);  // [short bytes] id
      } else {
        write_long_string(w, child.query);
      }
      w.u16(static_cast<std::uint16_t>(child.values.size()));
      for (const auto& value : child.values) write_value(value, w);
    }
    w.u16(static_cast<std::uint16_t>(params.consistency));
    std::uint32_t flags = 0;
    if (params.serial_consistency) flags |= kFlagSerialConsistency;
    if (params.default_timestamp) flags |= kFlagDefaultTimestamp;
    if (v5 && params.keyspace) flags |= kFlagKeyspace;
    if (v5 && params.now_in_seconds) flags |= kFlagNowInSeconds;
    write_flags(w, v, flags);
    if (params.serial_consistency) w.u16(static_cast<std::uint16_t>(*params.serial_consistency));
    if (params.default_timestamp) w.i64(*params.default_timestamp);
    if (v5 && params.keyspace) write_string(w, *params.keyspace);
    if (v5 && params.now_in_seconds) w.i32(*params.now_in_seconds);
  });
}

void encode_register(ProtocolVersion v, std::int16_t stream, const std::vector<std::string>& event_types,
                     std::string& out) {
  frame(v, stream, Opcode::register_, out, [&](ByteWriter& w) {
    w.u16(static_cast<std::uint16_t>(event_types.size()));
    for (const auto& type : event_types) write_string(w, type);
  });
}

void encode_auth_response(ProtocolVersion v, std::int16_t stream, std::optional<std::string_view> token,
                          std::string& out) {
  frame(v, stream, Opcode::auth_response, out, [&](ByteWriter& w) { write_bytes(w, token); });
}

std::string password_auth_token(std::string_view user, std::string_view password) {
  std::string token;
  token.reserve(2 + user.size() + password.size());
  token.push_back('\0');
  token.append(user);
  token.push_back('\0');
  token.append(password);
  return token;
}

Result<ResultMessage> decode_result(ProtocolVersion v, Bytes body) {
  ByteReader in(body);
  auto kind = in.i32();
  switch (kind) {
    case 0x0001:
      return ResultMessage(VoidResult{});
    case 0x0002: {
      auto rows = read_rows(v, in, body);
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
      if (v == ProtocolVersion::v5) p.result_metadata_id = std::string(read_string(in));
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
      read_schema_change_options(in, sc);
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
  auto failures = [this] {
    std::string f = fmt::format("failures {}", num_failures);
    if (reason_map.empty()) return f;
    f += " (";
    for (std::size_t i = 0; i < reason_map.size(); ++i) {
      f += fmt::format("{}{}: {}", i == 0 ? "" : ", ", reason_map[i].first, reason_map[i].second);
    }
    return f + ")";
  };
  switch (code) {
    case ServerErrorCode::unavailable:
      out += fmt::format(" [consistency {}, required {}, alive {}]", consistency_name(consistency),
                         required, alive_or_received);
      break;
    case ServerErrorCode::write_timeout:
      out += fmt::format(" [consistency {}, received {} of {}, write type {}", consistency_name(consistency),
                         alive_or_received, required, write_type);
      if (write_type == "CAS") out += fmt::format(", contentions {}", contentions);
      out += "]";
      break;
    case ServerErrorCode::write_failure:
      out += fmt::format(" [consistency {}, received {} of {}, {}, write type {}]", consistency_name(consistency),
                         alive_or_received, required, failures(), write_type);
      break;
    case ServerErrorCode::read_timeout:
      out += fmt::format(" [consistency {}, received {} of {}, data {}]", consistency_name(consistency),
                         alive_or_received, required, data_present ? "present" : "absent");
      break;
    case ServerErrorCode::read_failure:
      out += fmt::format(" [consistency {}, received {} of {}, {}, data {}]", consistency_name(consistency),
                         alive_or_received, required, failures(), data_present ? "present" : "absent");
      break;
    case ServerErrorCode::cas_write_unknown:
      out += fmt::format(" [consistency {}, received {} of {}]", consistency_name(consistency), alive_or_received,
                         required);
      break;
    case ServerErrorCode::function_failure:
      out += fmt::format(" [function {}.{}({})]", keyspace, function, fmt::join(arg_types, ", "));
      break;
    case ServerErrorCode::already_exists:
      out += table.empty() ? fmt::format(" [keyspace {}]", keyspace) : fmt::format(" [table {}.{}]", keyspace, table);
      break;
    case ServerErrorCode::unprepared: {
      std::string hex;
      for (unsigned char c : unprepared_id) hex += fmt::format("{:02x}", c);
      out += fmt::format(" [id {}]", hex);
      break;
    }
    default:
      break;
  }
  return out;
}

Result<ServerError> decode_error(ProtocolVersion v, Bytes body) {
  ByteReader in(body);
  const bool v5 = v == ProtocolVersion::v5;
  ServerError e;
  e.code = static_cast<ServerErrorCode>(in.i32());
  e.message = read_string(in);
  // v4 counts the failed replicas; v5 names them, each with its failure code (<int n>, then n
  // times <inetaddr><short>; each entry takes at least 3 bytes, checked before reserving).
  auto read_failures = [&] {
    if (!v5) {
      e.num_failures = in.i32();
      return;
    }
    auto n = in.i32();
    if (n < 0 || static_cast<std::size_t>(n) > in.remaining() / 3) {
      in.fail();
      return;
    }
    e.reason_map.reserve(static_cast<std::size_t>(n));
    for (std::int32_t i = 0; i < n && in.ok(); ++i) {
      std::string address = read_inetaddr(in);
      auto reason = in.u16();
      e.reason_map.emplace_back(std::move(address), reason);
    }
    e.num_failures = n;
  };
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
      if (v5 && e.write_type == "CAS") e.contentions = in.i16();
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
      read_failures();
      e.data_present = in.u8() != 0;
      break;
    case ServerErrorCode::write_failure:
      e.consistency = static_cast<Consistency>(in.u16());
      e.alive_or_received = in.i32();
      e.required = in.i32();
      read_failures();
      e.write_type = read_string(in);
      break;
    case ServerErrorCode::cas_write_unknown:
      e.consistency = static_cast<Consistency>(in.u16());
      e.alive_or_received = in.i32();
      e.required = in.i32();
      break;
    case ServerErrorCode::function_failure:
      e.keyspace = read_string(in);
      e.function = read_string(in);
      e.arg_types = read_string_list(in);
      break;
    case ServerErrorCode::already_exists:
      e.keyspace = read_string(in);
      e.table = read_string(in);
      break;
    case ServerErrorCode::unprepared:
      e.unprepared_id = read_string(in);  // [short bytes]
      break;
    default:  // server_error, protocol_error, bad_credentials, overloaded, is_bootstrapping,
      break;  // truncate_error, cdc_write_failure, syntax_error, unauthorized, invalid, config_error
  }
  if (!in.ok()) return Error(Errc::protocol, "malformed error response");
  return e;
}

Result<std::string> decode_authenticate(Bytes body) {
  ByteReader in(body);
  std::string authenticator(read_string(in));
  if (!in.ok()) return Error(Errc::protocol, "malformed AUTHENTICATE");
  return authenticator;
}

Result<std::optional<std::string>> decode_auth_token(Bytes body) {
  ByteReader in(body);
  auto n = in.i32();
  if (n < -1) in.fail();
  std::optional<std::string> token;
  if (n >= 0) token = std::string(as_chars(in.take(static_cast<std::size_t>(n))));
  if (!in.ok()) return Error(Errc::protocol, "malformed auth token");
  return token;
}

Result<Event> decode_event(Bytes body) {
  ByteReader in(body);
  Event ev;
  std::string_view type = read_string(in);
  ev.change = read_string(in);
  if (type == "TOPOLOGY_CHANGE" || type == "STATUS_CHANGE") {
    ev.kind = type == "STATUS_CHANGE" ? Event::Kind::status_change : Event::Kind::topology_change;
    ev.address = read_inetaddr(in);  // an [inet]: the address, then an [int] port
    auto port = in.i32();
    if (port < 0 || port > 65535) in.fail();
    ev.port = static_cast<std::uint16_t>(port);
  } else if (type == "SCHEMA_CHANGE") {
    ev.kind = Event::Kind::schema_change;
    ev.schema.change_type = ev.change;
    read_schema_change_options(in, ev.schema);
  } else if (in.ok()) {
    return Error(Errc::protocol, fmt::format("unknown event type '{}'", type.substr(0, 64)));
  }
  if (!in.ok()) return Error(Errc::protocol, "malformed EVENT");
  return ev;
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

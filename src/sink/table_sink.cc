#include "sink/table_sink.h"

#include <algorithm>

#include <fmt/format.h>

namespace sluice::sink {

namespace {

constexpr std::int64_t kMaxTtl = 630720000;  // Cassandra's limit: 20 years

Error failure(FailureClass c, std::string message) {
  return Error(Errc::invalid_argument, std::move(message), static_cast<int>(c));
}

bool absent(const cql::Value& v) {
  return std::holds_alternative<cql::Null>(v) || std::holds_alternative<cql::Unset>(v);
}

// Roughly what a value adds to a batch mutation, without encoding it.
std::size_t approx_size(const cql::Value& v) {
  return std::visit(
      [](const auto& x) -> std::size_t {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return x.size() + 4;
        else if constexpr (std::is_same_v<T, cql::Blob> || std::is_same_v<T, cql::Inet>) return x.bytes.size() + 4;
        else if constexpr (std::is_same_v<T, cql::List> || std::is_same_v<T, cql::Set> ||
                           std::is_same_v<T, cql::Tuple> || std::is_same_v<T, cql::Vector>) {
          std::size_t n = 8;
          for (const auto& item : x.items) n += approx_size(item);
          return n;
        } else if constexpr (std::is_same_v<T, cql::Map>) {
          std::size_t n = 8;
          for (const auto& [k, val] : x.entries) n += approx_size(k) + approx_size(val);
          return n;
        } else if constexpr (std::is_same_v<T, cql::Udt>) {
          std::size_t n = 8;
          for (const auto& f : x.fields) n += approx_size(f);
          return n;
        } else {
          return 12;
        }
      },
      v);
}

std::int64_t unit_per_second(codec::TimeUnit u) {
  switch (u) {
    case codec::TimeUnit::seconds: return 1;
    case codec::TimeUnit::milliseconds: return 1000;
    case codec::TimeUnit::microseconds: return 1000000;
    case codec::TimeUnit::nanoseconds: return 1000000000;
  }
  return 1;
}

// A sample Datum of what a record-metadata expression gives, to test conversions at plan time.
std::optional<codec::Datum> sample_of(const config::Expr& e) {
  using K = config::Expr::Kind;
  switch (e.kind) {
    case K::topic: return codec::Datum::of_text("topic");
    case K::partition:
    case K::offset: return codec::Datum::of_int(1);
    case K::timestamp:
    case K::now: {
      auto d = codec::Datum::of_int(1700000000000);
      d.logical = "timestamp-millis";
      return d;
    }
    default: return std::nullopt;
  }
}

}  // namespace

Result<TableSink> TableSink::plan(const config::SinkConfig& sink, const config::SourceConfig& source,
                                  const cql::TableMetadata* table) {
  TableSink t;
  t.config_ = sink;
  std::vector<std::string> errors;
  auto problem = [&](const config::Location& at, std::string_view column, std::string_view reason) {
    if (column.empty()) errors.push_back(fmt::format("{}: table {}: {}", at.to_string(), sink.qualified_table(), reason));
    else errors.push_back(fmt::format("{}: table {}, column {}: {}", at.to_string(), sink.qualified_table(), column, reason));
  };
  auto check_expr = [&](const config::Expr& e, std::string_view column) {
    using K = config::Expr::Kind;
    if (e.kind == K::value) t.needs_value_ = true;
    if (e.kind == K::key) t.needs_key_ = true;
    auto format = e.kind == K::key ? source.key_format : source.format;
    if ((e.kind == K::value || e.kind == K::key) && !e.path.empty() &&
        (format == config::Format::string || format == config::Format::bytes)) {
      problem(e.at.line > 0 ? e.at : sink.at, column,
              fmt::format("'{}' reads a field, but the {} format of source {} is {} (no fields)", e.text,
                          e.kind == K::key ? "key" : "value", source.name, config::format_name(format)));
    }
  };
  if (table == nullptr) {
    return Error(Errc::invalid_argument,
                 fmt::format("{}: table {} does not exist", sink.at.to_string(), sink.qualified_table()));
  }
  bool counter_table = std::any_of(table->columns.begin(), table->columns.end(),
                                   [](const auto& c) { return c.type.id == cql::TypeId::counter; });
  if (counter_table && !sink.counters_at_least_once) {
    problem(sink.at, "",
            "is a counter table: a replayed counter update counts twice, so set counters_at_least_once: true to "
            "accept at-least-once for it");
  }
  if (counter_table && sink.query.empty()) {
    problem(sink.at, "", "is a counter table: give a query (UPDATE ... SET c = c + :c WHERE ...)");
  }
  t.custom_query_ = !sink.query.empty();
  auto ts_conv = codec::Converter::make(cql::DataType::simple(cql::TypeId::timestamp), source.time);
  if (!ts_conv.ok()) problem(source.at, "", fmt::format("time settings: {}", ts_conv.error().message()));
  else t.timestamp_converter_ = std::move(*ts_conv);
  if (auto c = codec::Converter::make(cql::DataType::simple(cql::TypeId::bigint), codec::TimeSettings{}); c.ok()) {
    t.int_converter_ = std::move(*c);
  }
  if (sink.ttl.kind == config::TtlConfig::Kind::field || sink.ttl.kind == config::TtlConfig::Kind::expire_after) {
    check_expr(sink.ttl.field, "ttl");
  }
  if (!sink.writetime.from_record) check_expr(sink.writetime.field, "writetime");

  for (const auto& m : sink.mapping) {
    check_expr(m.expr, m.column);
    if (t.custom_query_) continue;  // columns come from the query's binds (prepare)
    auto it = std::find_if(table->columns.begin(), table->columns.end(), [&](const auto& c) { return c.name == m.column; });
    if (it == table->columns.end()) {
      problem(m.expr.at.line > 0 ? m.expr.at : sink.at, m.column, "no such column");
      continue;
    }
    auto conv = codec::Converter::make(it->type, source.time);
    if (!conv.ok()) {
      problem(m.expr.at, m.column, conv.error().message());
      continue;
    }
    if (auto sample = sample_of(m.expr)) {
      if (auto v = conv->convert(*sample); !v.ok()) {
        problem(m.expr.at, m.column,
                fmt::format("'{}' cannot fill a {} column ({})", m.expr.text, it->type.to_string(), v.error().message()));
        continue;
      }
    }
    Column c;
    c.name = m.column;
    c.type = it->type;
    c.expr = m.expr;
    c.converter = std::move(*conv);
    c.primary_key = it->kind == "partition_key" || it->kind == "clustering";
    c.partition_key = it->kind == "partition_key";
    t.has_regular_ = t.has_regular_ || !c.primary_key;
    t.columns_.push_back(std::move(c));
  }
  if (!t.custom_query_) {
    for (const auto& col : table->columns) {
      if (col.kind != "partition_key" && col.kind != "clustering") continue;
      auto it = std::find_if(t.columns_.begin(), t.columns_.end(), [&](const auto& c) { return c.name == col.name; });
      bool mapped = std::any_of(sink.mapping.begin(), sink.mapping.end(), [&](const auto& m) { return m.column == col.name; });
      if (!mapped) problem(sink.at, col.name, fmt::format("primary key column ({}) is not mapped", col.kind));
      if (it != t.columns_.end()) t.key_columns_.push_back(static_cast<std::size_t>(it - t.columns_.begin()));
    }
  }
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "\n") + e;
    return Error(Errc::invalid_argument, all);
  }
  if (!t.custom_query_) {
    std::string names, marks;
    for (const auto& c : t.columns_) {
      names += (names.empty() ? "" : ", ") + c.name;
      marks += marks.empty() ? "?" : ", ?";
    }
    t.upsert_cql_ = fmt::format("INSERT INTO {} ({}) VALUES ({}) USING TIMESTAMP ?{}", sink.qualified_table(), names,
                                marks, sink.ttl.kind == config::TtlConfig::Kind::none ? "" : " AND TTL ?");
    t.columns_.push_back(Column{.role = Column::Role::writetime, .name = "[writetime]"});
    if (sink.ttl.kind != config::TtlConfig::Kind::none) t.columns_.push_back(Column{.role = Column::Role::ttl, .name = "[ttl]"});
    std::string where;
    for (auto i : t.key_columns_) where += fmt::format("{}{} = ?", where.empty() ? "" : " AND ", t.columns_[i].name);
    t.delete_cql_ = fmt::format("DELETE FROM {} USING TIMESTAMP ? WHERE {}", sink.qualified_table(), where);
  } else {
    t.upsert_cql_ = sink.query;
  }
  return t;
}

Status TableSink::prepare(cql::Session& session) {
  auto upsert = session.prepare(upsert_cql_);
  if (!upsert.ok()) {
    return Error(upsert.error().code(), fmt::format("{}: table {}: preparing \"{}\": {}", config_.at.to_string(),
                                                    config_.qualified_table(), upsert_cql_, upsert.error().message()));
  }
  upsert_ = *upsert;
  if (!delete_cql_.empty()) {
    auto del = session.prepare(delete_cql_);
    if (!del.ok()) return del.error();
    delete_ = *del;
  }
  if (!custom_query_) return {};
  // A custom query: its named binds say which mapping entries to bind, in which order.
  columns_.clear();
  std::vector<std::string> errors;
  for (const auto& spec : upsert_.bind_columns()) {
    Column c;
    c.name = spec.name;
    c.type = spec.type;
    if (spec.name == "writetime") {
      c.role = Column::Role::writetime;
    } else if (spec.name == "ttl") {
      c.role = Column::Role::ttl;
    } else {
      auto m = std::find_if(config_.mapping.begin(), config_.mapping.end(), [&](const auto& e) { return e.column == spec.name; });
      if (m == config_.mapping.end()) {
        errors.push_back(fmt::format("{}: table {}: the query's bind :{} has no mapping entry", config_.at.to_string(),
                                     config_.qualified_table(), spec.name));
        continue;
      }
      c.expr = m->expr;
      auto conv = codec::Converter::make(spec.type, codec::TimeSettings{});
      if (!conv.ok()) {
        errors.push_back(fmt::format("{}: table {}, bind {}: {}", config_.at.to_string(), config_.qualified_table(),
                                     spec.name, conv.error().message()));
        continue;
      }
      c.converter = std::move(*conv);
      c.primary_key = true;  // unknown: every bound field must be present
    }
    columns_.push_back(std::move(c));
  }
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "\n") + e;
    return Error(Errc::invalid_argument, all);
  }
  return {};
}

Result<std::int64_t> TableSink::writetime_micros(const SourceDecoder& decoder, const RecordView& record,
                                                 std::int64_t now_ms) const {
  const std::int64_t tie = record.offset % 1000;
  if (config_.writetime.from_record) {
    if (record.timestamp_ms < 0) {
      return failure(FailureClass::mapping, "the record has no timestamp for its writetime (writetime: record)");
    }
    return record.timestamp_ms * 1000 + tie;
  }
  auto d = decoder.eval(config_.writetime.field, record, now_ms);
  if (d.kind == codec::Datum::Kind::int64 || d.kind == codec::Datum::Kind::float64) {
    auto v = d.kind == codec::Datum::Kind::int64 ? d.int64 : static_cast<std::int64_t>(d.float64);
    switch (config_.writetime.unit) {
      case codec::TimeUnit::seconds: return v * 1000000 + tie;
      case codec::TimeUnit::milliseconds: return v * 1000 + tie;
      case codec::TimeUnit::microseconds: return v;
      case codec::TimeUnit::nanoseconds: return v / 1000;
    }
  }
  auto ts = timestamp_converter_->convert(d);
  if (!ts.ok() || !std::holds_alternative<cql::Timestamp>(*ts)) {
    return failure(FailureClass::convert,
                   fmt::format("writetime from {}: {}", config_.writetime.field.text,
                               ts.ok() ? "the field is missing or null" : ts.error().message()));
  }
  return std::get<cql::Timestamp>(*ts).millis * 1000 + tie;
}

Result<std::optional<std::int64_t>> TableSink::ttl_seconds(const SourceDecoder& decoder, const RecordView& record,
                                                           std::int64_t now_ms) const {
  const auto& ttl = config_.ttl;
  switch (ttl.kind) {
    case config::TtlConfig::Kind::none: return std::optional<std::int64_t>(0);
    case config::TtlConfig::Kind::fixed: return std::optional<std::int64_t>(ttl.seconds);
    case config::TtlConfig::Kind::field: {
      auto d = decoder.eval(ttl.field, record, now_ms);
      if (d.is_missing() || d.is_null()) return std::optional<std::int64_t>(0);
      auto v = int_converter_->convert(d);
      if (!v.ok()) return failure(FailureClass::convert, fmt::format("ttl from {}: {}", ttl.field.text, v.error().message()));
      auto raw = std::get<std::int64_t>(*v);
      auto per = unit_per_second(ttl.unit);
      if (raw < 0) return failure(FailureClass::convert, fmt::format("ttl from {}: {} is negative", ttl.field.text, raw));
      auto secs = raw / per + (raw % per != 0 ? 1 : 0);
      if (secs > kMaxTtl) return failure(FailureClass::convert, fmt::format("ttl {} s is above 20 years", secs));
      return std::optional<std::int64_t>(secs);
    }
    case config::TtlConfig::Kind::expire_after: {
      auto d = decoder.eval(ttl.field, record, now_ms);
      auto ts = timestamp_converter_->convert(d);
      if (!ts.ok() || !std::holds_alternative<cql::Timestamp>(*ts)) {
        return failure(FailureClass::convert, fmt::format("event time from {}: {}", ttl.field.text,
                                                          ts.ok() ? "missing or null" : ts.error().message()));
      }
      auto remaining_ms = std::get<cql::Timestamp>(*ts).millis + ttl.seconds * 1000 - now_ms;
      if (remaining_ms <= 0) return std::optional<std::int64_t>();
      return std::optional<std::int64_t>(std::min(kMaxTtl, (remaining_ms + 999) / 1000));
    }
  }
  return std::optional<std::int64_t>(0);
}

Result<RowWrite> TableSink::build(const SourceDecoder& decoder, const RecordView& record, std::int64_t now_ms) const {
  RowWrite w;
  const bool tombstone = !decoder.has_value();
  if (tombstone && (custom_query_ || !config_.deletes)) {
    w.skip_reason = "tombstone";
    return w;
  }
  auto writetime = writetime_micros(decoder, record, now_ms);
  if (!writetime.ok()) return writetime.error();

  w.values.reserve(columns_.size());
  bool any_regular = false;
  for (const auto& c : columns_) {
    if (c.role == Column::Role::writetime) {
      w.values.emplace_back(*writetime);
      continue;
    }
    if (c.role == Column::Role::ttl) {
      auto ttl = ttl_seconds(decoder, record, now_ms);
      if (!ttl.ok()) return ttl.error();
      if (!ttl->has_value()) {
        w.kind = RowWrite::Kind::skip;
        w.skip_reason = "expired";
        return w;
      }
      w.values.emplace_back(static_cast<std::int32_t>(**ttl));
      continue;
    }
    auto v = c.converter->convert(decoder.eval(c.expr, record, now_ms));
    if (!v.ok()) {
      return failure(FailureClass::convert,
                     fmt::format("column {} ({}) from {}: {}", c.name, c.type.to_string(), c.expr.text, v.error().message()));
    }
    if (config_.null_to_unset && std::holds_alternative<cql::Null>(*v)) *v = cql::Unset{};
    if (!c.primary_key && !absent(*v)) any_regular = true;
    if (c.primary_key && absent(*v) && !tombstone) {
      return failure(FailureClass::mapping,
                     fmt::format("primary key column {} is missing or null (from {})", c.name, c.expr.text));
    }
    w.bytes += approx_size(*v);
    w.values.push_back(std::move(*v));
  }
  const bool remove = !custom_query_ && config_.deletes && (tombstone || (has_regular_ && !any_regular));
  std::string key;
  ByteWriter key_out(key);
  if (remove) {
    std::vector<cql::Value> values;
    values.reserve(key_columns_.size() + 1);
    values.emplace_back(*writetime);
    for (auto i : key_columns_) {
      if (absent(w.values[i])) {
        return failure(FailureClass::mapping,
                       fmt::format("cannot delete: primary key column {} is missing (from {})", columns_[i].name,
                                   columns_[i].expr.text));
      }
      if (columns_[i].partition_key) cql::write_value(w.values[i], key_out);
      values.push_back(std::move(w.values[i]));
    }
    w.values = std::move(values);
    w.kind = RowWrite::Kind::remove;
  } else {
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (columns_[i].partition_key) cql::write_value(w.values[i], key_out);
    }
    w.kind = RowWrite::Kind::upsert;
  }
  if (custom_query_) {  // the partition is unknown here: never share a batch
    key = fmt::format("{}/{}/{}", record.topic, record.partition, record.offset);
  }
  w.partition_key = std::move(key);
  w.bytes += w.partition_key.size() + 16;
  return w;
}

}  // namespace sluice::sink

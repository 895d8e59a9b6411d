#include "sink/decoder.h"

#include <charconv>

#include <fmt/format.h>

namespace sluice::sink {

std::string_view failure_class_name(FailureClass c) {
  switch (c) {
    case FailureClass::decode: return "decode";
    case FailureClass::convert: return "convert";
    case FailureClass::mapping: return "mapping";
    case FailureClass::write: return "write";
  }
  return "?";
}

Result<std::unique_ptr<SourceDecoder>> SourceDecoder::make(const config::SourceConfig& source) {
  auto d = std::make_unique<SourceDecoder>();
  d->key_.format = source.key_format;
  d->value_.format = source.format;
  if (source.format == config::Format::avro || source.key_format == config::Format::avro) {
    auto schemas = source.avro.confluent_wire ? codec::AvroSchemas::load_directory(source.avro.schemas_dir)
                                              : codec::AvroSchemas::load_file(source.avro.schema_file);
    if (!schemas.ok()) {
      return Error(Errc::invalid_argument, fmt::format("source {}: {}", source.name, schemas.error().message()));
    }
    auto wire = source.avro.confluent_wire ? codec::AvroWire::confluent : codec::AvroWire::plain;
    for (Part* p : {&d->key_, &d->value_}) {
      if (p->format == config::Format::avro) p->avro = std::make_unique<codec::AvroDecoder>(*schemas, wire);
    }
  }
  return d;
}

Status SourceDecoder::Part::decode(std::string_view bytes, std::string_view what) {
  present = true;
  raw = bytes;
  switch (format) {
    case config::Format::json:
      if (auto st = json.parse(bytes); !st.ok()) {
        present = false;
        return Error(Errc::invalid_argument, fmt::format("{}: {}", what, st.error().message()));
      }
      return {};
    case config::Format::avro: {
      auto d = avro->decode(bytes);
      if (!d.ok()) {
        present = false;
        return Error(Errc::invalid_argument, fmt::format("{}: {}", what, d.error().message()));
      }
      avro_root = std::move(*d);
      return {};
    }
    case config::Format::string:
    case config::Format::bytes: return {};
  }
  return {};
}

codec::Datum SourceDecoder::Part::at(const std::vector<std::string>& path) const {
  if (!present) return {};
  switch (format) {
    case config::Format::json: return json.at(path);
    case config::Format::avro: {
      const codec::Datum* d = &avro_root;
      for (const auto& step : path) {
        if (d->kind == codec::Datum::Kind::object) {
          d = d->member(step);
        } else if (d->kind == codec::Datum::Kind::array) {
          std::size_t i = 0;
          auto [p, ec] = std::from_chars(step.data(), step.data() + step.size(), i);
          d = ec == std::errc() && p == step.data() + step.size() && i < d->items.size() ? &d->items[i] : nullptr;
        } else {
          d = nullptr;
        }
        if (d == nullptr) return {};
      }
      return *d;
    }
    case config::Format::string: return path.empty() ? codec::Datum::of_text(raw) : codec::Datum{};
    case config::Format::bytes: return path.empty() ? codec::Datum::of_bytes(raw) : codec::Datum{};
  }
  return {};
}

Status SourceDecoder::decode(const RecordView& record, bool need_key, bool need_value) {
  key_.present = false;
  value_.present = false;
  has_value_ = record.value.has_value();
  if (need_value && record.value) SLUICE_TRY(value_.decode(*record.value, "value"));
  if (need_key && record.key) SLUICE_TRY(key_.decode(*record.key, "key"));
  return {};
}

codec::Datum SourceDecoder::eval(const config::Expr& e, const RecordView& record, std::int64_t now_ms) const {
  using K = config::Expr::Kind;
  switch (e.kind) {
    case K::value: return value_.at(e.path);
    case K::key: return key_.at(e.path);
    case K::header:
      for (const auto& h : record.headers) {
        if (h.name == e.header) return h.value ? codec::Datum::of_text(*h.value) : codec::Datum::null_value();
      }
      return {};
    case K::topic: return codec::Datum::of_text(record.topic);
    case K::partition: return codec::Datum::of_int(record.partition);
    case K::offset: return codec::Datum::of_int(record.offset);
    case K::timestamp: {
      if (record.timestamp_ms < 0) return codec::Datum::null_value();
      auto d = codec::Datum::of_int(record.timestamp_ms);
      d.logical = "timestamp-millis";
      return d;
    }
    case K::now: {
      auto d = codec::Datum::of_int(now_ms);
      d.logical = "timestamp-millis";
      return d;
    }
  }
  return {};
}

}  // namespace sluice::sink

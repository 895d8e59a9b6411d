#include "cql/types/value.h"

#include <bit>
#include <fmt/format.h>

namespace sluice::cql {

std::string Uuid::to_string() const {
  std::string out;
  out.reserve(36);
  static constexpr char hex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(hex[bytes[i] >> 4U]);
    out.push_back(hex[bytes[i] & 0xFU]);
  }
  return out;
}

namespace {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};

void write_sized(ByteWriter& out, std::string_view body) {
  out.i32(static_cast<std::int32_t>(body.size()));
  out.raw(body);
}

}  // namespace

void write_value(const Value& value, ByteWriter& out) {
  std::visit(overloaded{
                 [&](const Null&) { out.i32(-1); },
                 [&](const Unset&) { out.i32(-2); },
                 [&](bool v) { out.i32(1); out.u8(v ? 1 : 0); },
                 [&](std::int8_t v) { out.i32(1); out.u8(static_cast<std::uint8_t>(v)); },
                 [&](std::int16_t v) { out.i32(2); out.i16(v); },
                 [&](std::int32_t v) { out.i32(4); out.i32(v); },
                 [&](std::int64_t v) { out.i32(8); out.i64(v); },
                 [&](float v) { out.i32(4); out.u32(std::bit_cast<std::uint32_t>(v)); },
                 [&](double v) { out.i32(8); out.u64(std::bit_cast<std::uint64_t>(v)); },
                 [&](const std::string& v) { write_sized(out, v); },
                 [&](const Blob& v) { write_sized(out, v.bytes); },
                 [&](const Uuid& v) { out.i32(16); out.raw(Bytes(v.bytes)); },
                 [&](const Timestamp& v) { out.i32(8); out.i64(v.millis); },
                 [&](const Date& v) { out.i32(4); out.u32(v.days); },
                 [&](const Time& v) { out.i32(8); out.i64(v.nanos); },
             },
             value);
}

Result<Value> decode_cell(const DataType& type, Bytes cell) {
  ByteReader in(cell);
  auto exact = [&](std::size_t n) -> Status {
    if (cell.size() != n) {
      return Error(Errc::protocol, fmt::format("a {} cell must be {} bytes, got {}", type.to_string(),
                                               n, cell.size()));
    }
    return {};
  };
  switch (type.id) {
    case TypeId::ascii:
    case TypeId::varchar:
      return Value(std::string(as_chars(cell)));
    case TypeId::blob:
      return Value(Blob{std::string(as_chars(cell))});
    case TypeId::boolean:
      SLUICE_TRY(exact(1));
      return Value(in.u8() != 0);
    case TypeId::tinyint:
      SLUICE_TRY(exact(1));
      return Value(static_cast<std::int8_t>(in.u8()));
    case TypeId::smallint:
      SLUICE_TRY(exact(2));
      return Value(in.i16());
    case TypeId::int_:
      SLUICE_TRY(exact(4));
      return Value(in.i32());
    case TypeId::bigint:
    case TypeId::counter:
      SLUICE_TRY(exact(8));
      return Value(in.i64());
    case TypeId::float_:
      SLUICE_TRY(exact(4));
      return Value(std::bit_cast<float>(in.u32()));
    case TypeId::double_:
      SLUICE_TRY(exact(8));
      return Value(std::bit_cast<double>(in.u64()));
    case TypeId::timestamp:
      SLUICE_TRY(exact(8));
      return Value(Timestamp{in.i64()});
    case TypeId::date:
      SLUICE_TRY(exact(4));
      return Value(Date{in.u32()});
    case TypeId::time:
      SLUICE_TRY(exact(8));
      return Value(Time{in.i64()});
    case TypeId::uuid:
    case TypeId::timeuuid: {
      SLUICE_TRY(exact(16));
      Uuid u;
      std::copy(cell.begin(), cell.end(), u.bytes.begin());
      return Value(u);
    }
    default:
      return Error(Errc::invalid_argument,
                   "decoding CQL type " + type.to_string() + " is not supported yet");
  }
}

std::string to_display(const Value& value) {
  return std::visit(overloaded{
                        [](const Null&) -> std::string { return "null"; },
                        [](const Unset&) -> std::string { return "unset"; },
                        [](bool v) -> std::string { return v ? "true" : "false"; },
                        [](std::int8_t v) { return std::to_string(v); },
                        [](std::int16_t v) { return std::to_string(v); },
                        [](std::int32_t v) { return std::to_string(v); },
                        [](std::int64_t v) { return std::to_string(v); },
                        [](float v) { return fmt::format("{}", v); },
                        [](double v) { return fmt::format("{}", v); },
                        [](const std::string& v) { return v; },
                        [](const Blob& v) { return fmt::format("<{} bytes>", v.bytes.size()); },
                        [](const Uuid& v) { return v.to_string(); },
                        [](const Timestamp& v) { return fmt::format("{}ms", v.millis); },
                        [](const Date& v) {
                          return fmt::format("day {}", static_cast<std::int64_t>(v.days) - (1LL << 31));
                        },
                        [](const Time& v) { return fmt::format("{}ns", v.nanos); },
                    },
                    value);
}

}  // namespace sluice::cql

// Cell encodings of every CQL type (native protocol v4/v5, section 6 of the spec; vectors as
// Cassandra 5.0's VectorType serializes them): write_value, write_typed/encode_cell, decode_cell.
#include <algorithm>
#include <bit>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "cql/types/value.h"

#include "base/overloaded.h"

namespace sluice::cql {

namespace {

// Values nest at most as deep as their types; a custom class inside an [option] can add one more
// type's worth of nesting, hence twice the type limit.
constexpr int kMaxValueDepth = 2 * kMaxTypeDepth;
constexpr std::int64_t kNanosPerDay = 86'400'000'000'000;
constexpr std::size_t kMaxLength = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());

// ---- primitive writers on a std::string ------------------------------------------------------

template <class U>
void put_be(std::string& out, U v) {
  char buf[sizeof(U)];
  for (std::size_t i = 0; i < sizeof(U); ++i) {
    buf[sizeof(U) - 1 - i] = static_cast<char>(v & 0xFFU);
    v = static_cast<U>(v >> 8U);
  }
  out.append(buf, sizeof(U));
}
void put_i32(std::string& out, std::int32_t v) { put_be(out, static_cast<std::uint32_t>(v)); }
void put_i64(std::string& out, std::int64_t v) { put_be(out, static_cast<std::uint64_t>(v)); }

// [unsigned vint]: the count of extra bytes as leading 1 bits of the first byte, then the value
// big-endian in the fewest bytes (9 bytes, first 0xFF, for values needing more than 56 bits).
void put_uvint(std::string& out, std::uint64_t v) {
  int bits = 64 - std::countl_zero(v);
  int extra = 0;
  while (extra < 8 && 7 + 7 * extra < bits) ++extra;
  if (extra == 8) {
    out.push_back(static_cast<char>(0xFF));
    put_be(out, v);
    return;
  }
  auto shift = static_cast<unsigned>(8 * extra);
  auto first = static_cast<unsigned>((0xFF00U >> static_cast<unsigned>(extra)) & 0xFFU);
  out.push_back(static_cast<char>(first | static_cast<unsigned>(v >> shift)));
  for (int i = extra - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8U * static_cast<unsigned>(i))) & 0xFFU));
}

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1U) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t unzigzag(std::uint64_t u) { return static_cast<std::int64_t>((u >> 1U) ^ (~(u & 1U) + 1U)); }

std::optional<std::uint64_t> read_uvint(ByteReader& in) {
  std::uint8_t first = in.u8();
  if (!in.ok()) return std::nullopt;
  int extra = std::countl_one(first);
  std::uint64_t v = extra >= 7 ? 0 : (first & (0xFFU >> static_cast<unsigned>(extra + 1)));
  for (int i = 0; i < extra; ++i) v = (v << 8U) | in.u8();
  if (!in.ok()) return std::nullopt;
  return v;
}

// ---- untyped encoding ------------------------------------------------------------------------

void untyped_body(const Value& value, std::string& out);

// An element of a collection, tuple or UDT: [bytes], -1 for null (and unset: nested values have
// no "unset").
void untyped_element(const Value& value, std::string& out) {
  if (std::holds_alternative<Null>(value) || std::holds_alternative<Unset>(value)) {
    put_i32(out, -1);
    return;
  }
  std::size_t at = out.size();
  put_i32(out, 0);
  untyped_body(value, out);
  auto n = static_cast<std::uint32_t>(out.size() - at - 4);
  for (int i = 0; i < 4; ++i)
    out[at + static_cast<std::size_t>(i)] = static_cast<char>((n >> (24U - 8U * static_cast<unsigned>(i))) & 0xFFU);
}

// Whether an untyped vector element packs without a length (Cassandra's fixed-length types).
bool untyped_fixed(const Value& value) {
  if (const auto* v = std::get_if<Vector>(&value)) {
    return !v->items.empty() && std::all_of(v->items.begin(), v->items.end(), untyped_fixed);
  }
  return std::holds_alternative<bool>(value) || std::holds_alternative<std::int32_t>(value) ||
         std::holds_alternative<std::int64_t>(value) || std::holds_alternative<float>(value) ||
         std::holds_alternative<double>(value) || std::holds_alternative<Timestamp>(value) ||
         std::holds_alternative<Uuid>(value);
}

void untyped_items(const std::vector<Value>& items, std::string& out) {
  put_i32(out, static_cast<std::int32_t>(items.size()));
  for (const auto& item : items) untyped_element(item, out);
}

void untyped_body(const Value& value, std::string& out) {
  std::visit(overloaded{
                 [&](const Null&) {},
                 [&](const Unset&) {},
                 [&](bool v) { out.push_back(v ? '\1' : '\0'); },
                 [&](std::int8_t v) { out.push_back(static_cast<char>(v)); },
                 [&](std::int16_t v) { put_be(out, static_cast<std::uint16_t>(v)); },
                 [&](std::int32_t v) { put_i32(out, v); },
                 [&](std::int64_t v) { put_i64(out, v); },
                 [&](float v) { put_be(out, std::bit_cast<std::uint32_t>(v)); },
                 [&](double v) { put_be(out, std::bit_cast<std::uint64_t>(v)); },
                 [&](const std::string& v) { out += v; },
                 [&](const Blob& v) { out += v.bytes; },
                 [&](const Uuid& v) { out.append(reinterpret_cast<const char*>(v.bytes.data()), v.bytes.size()); },
                 [&](const Timestamp& v) { put_i64(out, v.millis); },
                 [&](const Date& v) { put_be(out, v.days); },
                 [&](const Time& v) { put_i64(out, v.nanos); },
                 [&](const Varint& v) { out += v.bytes; },
                 [&](const Decimal& v) {
                   put_i32(out, v.scale);
                   out += v.unscaled.bytes;
                 },
                 [&](const Inet& v) { out += v.bytes; },
                 [&](const Duration& v) {
                   put_uvint(out, zigzag(v.months));
                   put_uvint(out, zigzag(v.days));
                   put_uvint(out, zigzag(v.nanos));
                 },
                 [&](const List& v) { untyped_items(v.items, out); },
                 [&](const Set& v) { untyped_items(v.items, out); },
                 [&](const Map& v) {
                   put_i32(out, static_cast<std::int32_t>(v.entries.size()));
                   for (const auto& [key, item] : v.entries) {
                     untyped_element(key, out);
                     untyped_element(item, out);
                   }
                 },
                 [&](const Tuple& v) {
                   for (const auto& item : v.items) untyped_element(item, out);
                 },
                 [&](const Udt& v) {
                   for (const auto& item : v.fields) untyped_element(item, out);
                 },
                 [&](const Vector& v) {
                   for (const auto& item : v.items) {
                     if (untyped_fixed(item)) {
                       untyped_body(item, out);
                       continue;
                     }
                     std::string body;
                     untyped_body(item, body);
                     put_uvint(out, body.size());
                     out += body;
                   }
                 },
             },
             value);
}

// ---- typed encoding --------------------------------------------------------------------------

std::string short_display(const Value& value) {
  constexpr std::size_t kMax = 80;
  std::string s =
      std::holds_alternative<std::string>(value) ? "'" + std::get<std::string>(value) + "'" : to_display(value);
  if (s.size() > kMax) s = s.substr(0, kMax) + "...";
  return s;
}

Error mismatch(const DataType& type, const Value& value, std::string_view why = {}) {
  return Error(Errc::invalid_argument, fmt::format("type {} cannot take a {} value {}{}", type.to_string(),
                                                   value_kind(value), short_display(value), why));
}

Error inside(const DataType& type, std::string_view where, const Error& inner) {
  return Error(inner.code(), fmt::format("type {} {}: {}", type.to_string(), where, inner.message()), inner.detail());
}

// The value as an integer if its alternative is an integer of at most `max_bits` bits.
std::optional<std::int64_t> integer_of(const Value& value, int max_bits) {
  if (const auto* v = std::get_if<std::int8_t>(&value)) return *v;
  if (const auto* v = std::get_if<std::int16_t>(&value); v && max_bits >= 16) return *v;
  if (const auto* v = std::get_if<std::int32_t>(&value); v && max_bits >= 32) return *v;
  if (const auto* v = std::get_if<std::int64_t>(&value); v && max_bits >= 64) return *v;
  return std::nullopt;
}

bool is_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0U) == 0xC0) {
      n = 1;
      cp = c & 0x1FU;
    } else if ((c & 0xF0U) == 0xE0) {
      n = 2;
      cp = c & 0x0FU;
    } else if ((c & 0xF8U) == 0xF0) {
      n = 3;
      cp = c & 0x07U;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0U) != 0x80) return false;
      cp = (cp << 6U) | (cc & 0x3FU);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

Status encode_body(const DataType& type, const Value& value, std::string& out, int depth);

// A collection, tuple or UDT element as [bytes]; null (-1) only where `null_ok`.
Status encode_element(const DataType& type, const Value& value, std::string& out, int depth, bool null_ok) {
  if (std::holds_alternative<Null>(value) && null_ok) {
    put_i32(out, -1);
    return {};
  }
  if (std::holds_alternative<Null>(value) || std::holds_alternative<Unset>(value)) {
    return Error(Errc::invalid_argument, fmt::format("{} is not allowed here", value_kind(value)));
  }
  std::size_t at = out.size();
  put_i32(out, 0);
  SLUICE_TRY(encode_body(type, value, out, depth + 1));
  std::size_t n = out.size() - at - 4;
  if (n > kMaxLength) return Error(Errc::invalid_argument, fmt::format("an element of {} bytes is too long", n));
  for (int i = 0; i < 4; ++i) {
    out[at + static_cast<std::size_t>(i)] = static_cast<char>((n >> (24U - 8U * static_cast<unsigned>(i))) & 0xFFU);
  }
  return {};
}

Status encode_count(std::size_t n, std::string& out) {
  if (n > kMaxLength) return Error(Errc::invalid_argument, fmt::format("{} elements are too many", n));
  put_i32(out, static_cast<std::int32_t>(n));
  return {};
}

Status encode_items(const DataType& type, const std::vector<Value>& items, std::string& out, int depth) {
  SLUICE_TRY(encode_count(items.size(), out));
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto s = encode_element(type.params.at(0), items[i], out, depth, false);
    if (!s.ok()) return inside(type, fmt::format("element {}", i), s.error());
  }
  return {};
}

// Parameter counts of a hand-built DataType; the readers of types never produce other shapes.
bool well_formed(const DataType& type) {
  switch (type.id) {
    case TypeId::list:
    case TypeId::set: return type.params.size() == 1;
    case TypeId::map: return type.params.size() == 2;
    case TypeId::vector: return type.params.size() == 1 && type.dimension > 0;
    default: return true;
  }
}

Status encode_body(const DataType& type, const Value& value, std::string& out, int depth) {
  if (depth > kMaxValueDepth) return Error(Errc::invalid_argument, "values nest too deeply");
  if (!well_formed(type)) return Error(Errc::invalid_argument, "malformed type " + type.to_string());
  switch (type.id) {
    case TypeId::boolean:
      if (const auto* v = std::get_if<bool>(&value)) {
        out.push_back(*v ? '\1' : '\0');
        return {};
      }
      break;
    case TypeId::tinyint:
      if (auto v = integer_of(value, 8)) {
        out.push_back(static_cast<char>(*v));
        return {};
      }
      break;
    case TypeId::smallint:
      if (auto v = integer_of(value, 16)) {
        put_be(out, static_cast<std::uint16_t>(*v));
        return {};
      }
      break;
    case TypeId::int_:
      if (auto v = integer_of(value, 32)) {
        put_i32(out, static_cast<std::int32_t>(*v));
        return {};
      }
      break;
    case TypeId::bigint:
    case TypeId::counter:
      if (auto v = integer_of(value, 64)) {
        put_i64(out, *v);
        return {};
      }
      break;
    case TypeId::varint:
      if (auto v = integer_of(value, 64)) {
        out += Varint::from_int64(*v).bytes;
        return {};
      }
      if (const auto* v = std::get_if<Varint>(&value)) {
        if (v->bytes.empty()) return mismatch(type, value, " (no bytes)");
        out += v->bytes;
        return {};
      }
      break;
    case TypeId::decimal: {
      const Varint* unscaled = nullptr;
      std::int32_t scale = 0;
      Varint widened;
      if (auto v = integer_of(value, 64)) {
        widened = Varint::from_int64(*v);
        unscaled = &widened;
      } else if (const auto* vi = std::get_if<Varint>(&value)) {
        unscaled = vi;
      } else if (const auto* d = std::get_if<Decimal>(&value)) {
        unscaled = &d->unscaled;
        scale = d->scale;
      }
      if (unscaled == nullptr) break;
      if (unscaled->bytes.empty()) return mismatch(type, value, " (no unscaled bytes)");
      put_i32(out, scale);
      out += unscaled->bytes;
      return {};
    }
    case TypeId::float_:
      if (const auto* v = std::get_if<float>(&value)) {
        put_be(out, std::bit_cast<std::uint32_t>(*v));
        return {};
      }
      break;
    case TypeId::double_:
      if (const auto* v = std::get_if<double>(&value)) {
        put_be(out, std::bit_cast<std::uint64_t>(*v));
        return {};
      }
      if (const auto* v = std::get_if<float>(&value)) {
        put_be(out, std::bit_cast<std::uint64_t>(static_cast<double>(*v)));
        return {};
      }
      break;
    case TypeId::ascii:
      if (const auto* v = std::get_if<std::string>(&value)) {
        bool ascii = std::all_of(v->begin(), v->end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
        if (!ascii) return mismatch(type, value, " (not ASCII)");
        out += *v;
        return {};
      }
      break;
    case TypeId::varchar:
      if (const auto* v = std::get_if<std::string>(&value)) {
        if (!is_utf8(*v)) return mismatch(type, value, " (not valid UTF-8)");
        out += *v;
        return {};
      }
      break;
    case TypeId::blob:
    case TypeId::custom:
      if (const auto* v = std::get_if<Blob>(&value)) {
        out += v->bytes;
        return {};
      }
      break;
    case TypeId::timestamp:
      if (const auto* v = std::get_if<Timestamp>(&value)) {
        put_i64(out, v->millis);
        return {};
      }
      break;
    case TypeId::date:
      if (const auto* v = std::get_if<Date>(&value)) {
        put_be(out, v->days);
        return {};
      }
      break;
    case TypeId::time:
      if (const auto* v = std::get_if<Time>(&value)) {
        if (v->nanos < 0 || v->nanos >= kNanosPerDay) return mismatch(type, value, " (not within a day)");
        put_i64(out, v->nanos);
        return {};
      }
      break;
    case TypeId::uuid:
    case TypeId::timeuuid:
      if (const auto* v = std::get_if<Uuid>(&value)) {
        if (type.id == TypeId::timeuuid && v->version() != 1) {
          return mismatch(type, value, fmt::format(" (version {}, not 1)", v->version()));
        }
        out.append(reinterpret_cast<const char*>(v->bytes.data()), v->bytes.size());
        return {};
      }
      break;
    case TypeId::inet:
      if (const auto* v = std::get_if<Inet>(&value)) {
        if (v->bytes.size() != 4 && v->bytes.size() != 16) {
          return mismatch(type, value, fmt::format(" ({} bytes, not 4 or 16)", v->bytes.size()));
        }
        out += v->bytes;
        return {};
      }
      break;
    case TypeId::duration:
      if (const auto* v = std::get_if<Duration>(&value)) {
        bool all_non_negative = v->months >= 0 && v->days >= 0 && v->nanos >= 0;
        bool all_non_positive = v->months <= 0 && v->days <= 0 && v->nanos <= 0;
        if (!all_non_negative && !all_non_positive) return mismatch(type, value, " (mixed signs)");
        put_uvint(out, zigzag(v->months));
        put_uvint(out, zigzag(v->days));
        put_uvint(out, zigzag(v->nanos));
        return {};
      }
      break;
    case TypeId::list:
      if (const auto* v = std::get_if<List>(&value)) return encode_items(type, v->items, out, depth);
      break;
    case TypeId::set:
      if (const auto* v = std::get_if<Set>(&value)) return encode_items(type, v->items, out, depth);
      break;
    case TypeId::map:
      if (const auto* v = std::get_if<Map>(&value)) {
        SLUICE_TRY(encode_count(v->entries.size(), out));
        for (std::size_t i = 0; i < v->entries.size(); ++i) {
          auto k = encode_element(type.params.at(0), v->entries[i].first, out, depth, false);
          if (!k.ok()) return inside(type, fmt::format("key {}", i), k.error());
          auto s = encode_element(type.params.at(1), v->entries[i].second, out, depth, false);
          if (!s.ok()) return inside(type, fmt::format("value {}", i), s.error());
        }
        return {};
      }
      break;
    case TypeId::tuple:
      if (const auto* v = std::get_if<Tuple>(&value)) {
        if (v->items.size() != type.params.size()) {
          return mismatch(type, value,
                          fmt::format(" ({} items for {} components)", v->items.size(), type.params.size()));
        }
        for (std::size_t i = 0; i < v->items.size(); ++i) {
          auto s = encode_element(type.params[i], v->items[i], out, depth, true);
          if (!s.ok()) return inside(type, fmt::format("component {}", i), s.error());
        }
        return {};
      }
      break;
    case TypeId::udt:
      if (const auto* v = std::get_if<Udt>(&value)) {
        if (type.params.empty()) {
          return Error(Errc::invalid_argument,
                       fmt::format("user type {} has no fields here: resolve it first", type.to_string()));
        }
        if (v->fields.size() > type.params.size()) {
          return mismatch(type, value, fmt::format(" ({} fields for {})", v->fields.size(), type.params.size()));
        }
        for (std::size_t i = 0; i < v->fields.size(); ++i) {
          auto s = encode_element(type.params[i], v->fields[i], out, depth, true);
          if (!s.ok()) {
            std::string name = i < type.udt_fields.size() ? type.udt_fields[i] : std::to_string(i);
            return inside(type, "field " + name, s.error());
          }
        }
        return {};
      }
      break;
    case TypeId::vector:
      if (const auto* v = std::get_if<Vector>(&value)) {
        if (type.dimension <= 0 || v->items.size() != static_cast<std::size_t>(type.dimension)) {
          return mismatch(type, value, fmt::format(" ({} elements)", v->items.size()));
        }
        const DataType& element = type.params.at(0);
        bool fixed = fixed_value_length(element).has_value();
        for (std::size_t i = 0; i < v->items.size(); ++i) {
          const Value& item = v->items[i];
          if (std::holds_alternative<Null>(item) || std::holds_alternative<Unset>(item)) {
            return inside(type, fmt::format("element {}", i),
                          Error(Errc::invalid_argument, fmt::format("{} is not allowed here", value_kind(item))));
          }
          std::size_t at = out.size();
          auto s = encode_body(element, item, out, depth + 1);
          if (!s.ok()) return inside(type, fmt::format("element {}", i), s.error());
          if (!fixed) {  // move the body after its unsigned vint length
            std::string body = out.substr(at);
            out.resize(at);
            put_uvint(out, body.size());
            out += body;
          }
        }
        return {};
      }
      break;
  }
  return mismatch(type, value);
}

// ---- decoding --------------------------------------------------------------------------------

Error malformed(const DataType& type, std::string_view what) {
  return Error(Errc::protocol, fmt::format("a {} cell {}", type.to_string(), what));
}

bool empty_is_a_value(TypeId id) {
  return id == TypeId::ascii || id == TypeId::varchar || id == TypeId::blob || id == TypeId::custom;
}

Result<Value> decode(const DataType& type, Bytes cell, int depth);

// Where an element sits, for error messages only: formatted when something fails, so decoding
// a large collection formats nothing.
struct Where {
  std::string_view kind;  // "element", "key", "value", "component", "field"
  std::size_t index = 0;
  const std::string* name = nullptr;  // a UDT field's name
  std::string str() const { return name ? fmt::format("{} {}", kind, *name) : fmt::format("{} {}", kind, index); }
};

// One [bytes] element: Null for a negative length.
Result<Value> decode_element(const DataType& outer, const DataType& type, ByteReader& in, int depth,
                             const Where& where) {
  auto n = in.i32();
  if (!in.ok()) return malformed(outer, fmt::format("ends before the length of {}", where.str()));
  if (n < 0) return Value(Null{});
  Bytes body = in.take(static_cast<std::size_t>(n));
  if (!in.ok()) return malformed(outer, fmt::format("has {} of {} bytes but fewer remain", where.str(), n));
  auto v = decode(type, body, depth + 1);
  if (!v.ok()) return inside(outer, where.str(), v.error());
  return v;
}

Result<std::vector<Value>> decode_items(const DataType& type, Bytes cell, int depth) {
  ByteReader in(cell);
  auto n = in.i32();
  if (!in.ok() || n < 0) return malformed(type, "has no valid element count");
  // Each element takes at least its 4-byte length: a larger count is a lie, and must not
  // reserve memory.
  if (static_cast<std::size_t>(n) > in.remaining() / 4) {
    return malformed(type, fmt::format("claims {} elements in {} bytes", n, in.remaining()));
  }
  std::vector<Value> items;
  items.reserve(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) {
    auto v = decode_element(type, type.params[0], in, depth, Where{"element", static_cast<std::size_t>(i)});
    if (!v.ok()) return v.error();
    items.push_back(std::move(*v));
  }
  if (!in.at_end()) return malformed(type, fmt::format("has {} bytes after its elements", in.remaining()));
  return items;
}

// Tuples and UDTs: one [bytes] per component; missing trailing components are Null.
Result<std::vector<Value>> decode_components(const DataType& type, Bytes cell, int depth) {
  ByteReader in(cell);
  std::vector<Value> items;
  items.reserve(type.params.size());
  for (std::size_t i = 0; i < type.params.size(); ++i) {
    if (in.at_end()) {
      items.emplace_back(Null{});
      continue;
    }
    Where where{"component", i};
    if (type.id == TypeId::udt && i < type.udt_fields.size()) where = Where{"field", i, &type.udt_fields[i]};
    auto v = decode_element(type, type.params[i], in, depth, where);
    if (!v.ok()) return v.error();
    items.push_back(std::move(*v));
  }
  if (!in.at_end()) return malformed(type, fmt::format("has {} bytes after its last component", in.remaining()));
  return items;
}

Result<Value> decode_vector(const DataType& type, Bytes cell, int depth) {
  if (type.params.size() != 1 || type.dimension <= 0) return malformed(type, "has a malformed vector type");
  const DataType& element = type.params[0];
  auto dimension = static_cast<std::size_t>(type.dimension);
  Vector out;
  if (auto fixed = fixed_value_length(element)) {
    if (*fixed == 0 || cell.size() % *fixed != 0 || cell.size() / *fixed != dimension) {
      return malformed(type, fmt::format("must be {} x {} bytes, got {}", dimension, *fixed, cell.size()));
    }
    out.items.reserve(dimension);
    for (std::size_t i = 0; i < dimension; ++i) {
      auto v = decode(element, cell.subspan(i * *fixed, *fixed), depth + 1);
      if (!v.ok()) return inside(type, fmt::format("element {}", i), v.error());
      out.items.push_back(std::move(*v));
    }
    return Value(std::move(out));
  }
  // Variable-length elements: each an [unsigned vint] length and that many bytes, so at least
  // one byte per element.
  if (dimension > cell.size())
    return malformed(type, fmt::format("cannot hold {} elements in {} bytes", dimension, cell.size()));
  ByteReader in(cell);
  out.items.reserve(dimension);
  for (std::size_t i = 0; i < dimension; ++i) {
    auto n = read_uvint(in);
    if (!n || *n > in.remaining()) return malformed(type, fmt::format("has a bad length for element {}", i));
    auto v = decode(element, in.take(static_cast<std::size_t>(*n)), depth + 1);
    if (!v.ok()) return inside(type, fmt::format("element {}", i), v.error());
    out.items.push_back(std::move(*v));
  }
  if (!in.at_end()) return malformed(type, fmt::format("has {} bytes after its elements", in.remaining()));
  return Value(std::move(out));
}

Result<Value> decode_duration(const DataType& type, Bytes cell) {
  ByteReader in(cell);
  std::int64_t parts[3] = {};
  for (auto& part : parts) {
    auto u = read_uvint(in);
    if (!u) return malformed(type, "ends inside a vint");
    part = unzigzag(*u);
  }
  if (!in.at_end()) return malformed(type, fmt::format("has {} bytes after its three vints", in.remaining()));
  constexpr auto kMin = std::numeric_limits<std::int32_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int32_t>::max();
  if (parts[0] < kMin || parts[0] > kMax || parts[1] < kMin || parts[1] > kMax) {
    return malformed(type, "has months or days beyond 32 bits");
  }
  return Value(Duration{static_cast<std::int32_t>(parts[0]), static_cast<std::int32_t>(parts[1]), parts[2]});
}

Result<Value> decode(const DataType& type, Bytes cell, int depth) {
  if (depth > kMaxValueDepth) return malformed(type, "nests too deeply");
  if (!well_formed(type)) return Error(Errc::invalid_argument, "malformed type " + type.to_string());
  if (cell.empty() && !empty_is_a_value(type.id)) return Value(Null{});
  ByteReader in(cell);
  auto exact = [&](std::size_t n) -> Status {
    if (cell.size() != n) return malformed(type, fmt::format("must be {} bytes, got {}", n, cell.size()));
    return {};
  };
  switch (type.id) {
    case TypeId::ascii:
    case TypeId::varchar: return Value(std::string(as_chars(cell)));
    case TypeId::blob:
    case TypeId::custom: return Value(Blob{std::string(as_chars(cell))});
    case TypeId::boolean: SLUICE_TRY(exact(1)); return Value(in.u8() != 0);
    case TypeId::tinyint: SLUICE_TRY(exact(1)); return Value(static_cast<std::int8_t>(in.u8()));
    case TypeId::smallint: SLUICE_TRY(exact(2)); return Value(in.i16());
    case TypeId::int_: SLUICE_TRY(exact(4)); return Value(in.i32());
    case TypeId::bigint:
    case TypeId::counter: SLUICE_TRY(exact(8)); return Value(in.i64());
    case TypeId::float_: SLUICE_TRY(exact(4)); return Value(std::bit_cast<float>(in.u32()));
    case TypeId::double_: SLUICE_TRY(exact(8)); return Value(std::bit_cast<double>(in.u64()));
    case TypeId::timestamp: SLUICE_TRY(exact(8)); return Value(Timestamp{in.i64()});
    case TypeId::date: SLUICE_TRY(exact(4)); return Value(Date{in.u32()});
    case TypeId::time: SLUICE_TRY(exact(8)); return Value(Time{in.i64()});
    case TypeId::uuid:
    case TypeId::timeuuid: {
      SLUICE_TRY(exact(16));
      Uuid u;
      std::copy(cell.begin(), cell.end(), u.bytes.begin());
      return Value(u);
    }
    case TypeId::varint: return Value(Varint::from_bytes(as_chars(cell)));
    case TypeId::decimal: {
      if (cell.size() < 5) return malformed(type, fmt::format("must be at least 5 bytes, got {}", cell.size()));
      std::int32_t scale = in.i32();
      return Value(Decimal{Varint::from_bytes(as_chars(in.rest())), scale});
    }
    case TypeId::inet:
      if (cell.size() != 4 && cell.size() != 16)
        return malformed(type, fmt::format("must be 4 or 16 bytes, got {}", cell.size()));
      return Value(Inet{std::string(as_chars(cell))});
    case TypeId::duration: return decode_duration(type, cell);
    case TypeId::list:
    case TypeId::set: {
      auto items = decode_items(type, cell, depth);
      if (!items.ok()) return items.error();
      if (type.id == TypeId::list) return Value(List{std::move(*items)});
      return Value(Set{std::move(*items)});
    }
    case TypeId::map: {
      auto n = in.i32();
      if (!in.ok() || n < 0) return malformed(type, "has no valid entry count");
      if (static_cast<std::size_t>(n) > in.remaining() / 8) {
        return malformed(type, fmt::format("claims {} entries in {} bytes", n, in.remaining()));
      }
      Map out;
      out.entries.reserve(static_cast<std::size_t>(n));
      for (std::int32_t i = 0; i < n; ++i) {
        auto key = decode_element(type, type.params[0], in, depth, Where{"key", static_cast<std::size_t>(i)});
        if (!key.ok()) return key;
        auto item = decode_element(type, type.params[1], in, depth, Where{"value", static_cast<std::size_t>(i)});
        if (!item.ok()) return item;
        out.entries.emplace_back(std::move(*key), std::move(*item));
      }
      if (!in.at_end()) return malformed(type, fmt::format("has {} bytes after its entries", in.remaining()));
      return Value(std::move(out));
    }
    case TypeId::tuple: {
      auto items = decode_components(type, cell, depth);
      if (!items.ok()) return items.error();
      return Value(Tuple{std::move(*items)});
    }
    case TypeId::udt: {
      if (type.params.empty()) {
        return Error(Errc::invalid_argument,
                     fmt::format("user type {} has no fields here: resolve it first", type.to_string()));
      }
      auto fields = decode_components(type, cell, depth);
      if (!fields.ok()) return fields.error();
      return Value(Udt{std::move(*fields)});
    }
    case TypeId::vector: return decode_vector(type, cell, depth);
  }
  return Error(Errc::invalid_argument, "decoding CQL type " + type.to_string() + " is not supported");
}

}  // namespace

void write_value(const Value& value, ByteWriter& out) {
  if (std::holds_alternative<Null>(value)) {
    out.i32(-1);
    return;
  }
  if (std::holds_alternative<Unset>(value)) {
    out.i32(-2);
    return;
  }
  std::string body;
  untyped_body(value, body);
  out.i32(static_cast<std::int32_t>(body.size()));
  out.raw(body);
}

Status write_typed(const DataType& type, const Value& value, ByteWriter& out) {
  if (std::holds_alternative<Null>(value)) {
    out.i32(-1);
    return {};
  }
  if (std::holds_alternative<Unset>(value)) {
    out.i32(-2);
    return {};
  }
  auto body = encode_cell(type, value);
  if (!body.ok()) return body.error();
  out.i32(static_cast<std::int32_t>(body->size()));
  out.raw(*body);
  return {};
}

Result<std::string> encode_cell(const DataType& type, const Value& value) {
  if (std::holds_alternative<Null>(value) || std::holds_alternative<Unset>(value)) {
    return Error(Errc::invalid_argument, fmt::format("a {} value has no cell bytes", value_kind(value)));
  }
  std::string body;
  auto s = encode_body(type, value, body, 0);
  if (!s.ok()) return Error(s.error().code(), "column " + s.error().message(), s.error().detail());
  if (body.size() > kMaxLength) {
    return Error(Errc::invalid_argument,
                 fmt::format("column type {}: a value of {} bytes is too long", type.to_string(), body.size()));
  }
  return body;
}

Result<Value> decode_cell(const DataType& type, Bytes cell) { return decode(type, cell, 0); }

}  // namespace sluice::cql

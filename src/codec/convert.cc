// Converter: the compiled type tree and the conversions from each Datum kind to each CQL type;
// the UTF-8, base64 and JSON text helpers they use.
#include "codec/convert.h"
#include "codec/ascii.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <system_error>
#include <vector>

#include <fmt/format.h>

namespace sluice::codec {

struct Converter::Node {
  cql::TypeId id = cql::TypeId::blob;
  std::string name;                 // the CQL spelling, for messages
  std::vector<Node> children;       // list, set, vector: 1; map: key, value; tuple, udt: one per component
  std::vector<std::string> fields;  // udt: field names, parallel to children
  std::size_t dimension = 0;        // vector
};

struct Converter::Impl {
  cql::DataType type;
  Node root;
  std::shared_ptr<const TimeParser> time;
};

namespace {

using Kind = Datum::Kind;
using Node = Converter::Node;
using cql::TypeId;
using cql::Value;

constexpr int kMaxJsonDepth = 1024;
// Varint and decimal text longer than this is refused: reading it costs the square of its length.
constexpr std::size_t kMaxNumberText = 1000;
constexpr std::int64_t kNanosPerDay = std::int64_t{86400} * 1000000000;

Error invalid(std::string message) { return Error(Errc::invalid_argument, std::move(message)); }

template <class T>
Result<Value> make_value(T v) {
  return Value{std::in_place_type<T>, std::move(v)};
}

using detail::floor_div;
using detail::iequals;
using detail::is_digit;
using detail::lower;

// The length of the well-formed UTF-8 character at s[i] (its code point in `cp`), or 0.
std::size_t utf8_char(std::string_view s, std::size_t i, std::uint32_t& cp) {
  auto c0 = static_cast<unsigned char>(s[i]);
  if (c0 < 0x80) {
    cp = c0;
    return 1;
  }
  std::size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c0 < 0xC2) return 0;  // a continuation byte, or an overlong 2-byte form
  if (c0 < 0xE0) {
    n = 2;
    cp = c0 & 0x1FU;
  } else if (c0 < 0xF0) {
    n = 3;
    cp = c0 & 0x0FU;
    if (c0 == 0xE0) lo = 0xA0;  // overlong
    if (c0 == 0xED) hi = 0x9F;  // surrogates
  } else if (c0 < 0xF5) {
    n = 4;
    cp = c0 & 0x07U;
    if (c0 == 0xF0) lo = 0x90;  // overlong
    if (c0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return 0;
    cp = (cp << 6U) | (c & 0x3FU);
  }
  return n;
}

bool is_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::string format_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  std::array<char, 32> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), r.ptr);
}

// Digits of a number that was too big, for a message.
std::string number_for_message(std::string_view digits) {
  constexpr std::size_t kMax = 64;
  if (digits.size() <= kMax) return std::string(digits);
  return std::string(digits.substr(0, kMax)) + "...";
}

std::string describe(const Datum& d) {
  std::string s;
  switch (d.kind) {
    case Kind::missing: s = "nothing"; break;
    case Kind::null: s = "null"; break;
    case Kind::boolean: s = d.boolean ? "boolean true" : "boolean false"; break;
    case Kind::int64: s = fmt::format("integer {}", d.int64); break;
    case Kind::uint64: s = fmt::format("integer {}", d.uint64); break;
    case Kind::float64: s = "number " + format_double(d.float64); break;
    case Kind::text: s = "text " + quote_for_message(d.text); break;
    case Kind::bytes: s = fmt::format("{} byte{}", d.text.size(), d.text.size() == 1 ? "" : "s"); break;
    case Kind::array: s = fmt::format("an array of {} item{}", d.items.size(), d.items.size() == 1 ? "" : "s"); break;
    case Kind::object:
      s = fmt::format("an object of {} member{}", d.members.size(), d.members.size() == 1 ? "" : "s");
      break;
  }
  if (!d.logical.empty()) s += fmt::format(" ({})", d.logical);
  return s;
}

Error mismatch(const Node& n, const Datum& d, std::string_view why = {}) {
  if (why.empty()) return invalid(fmt::format("expected {}, got {}", n.name, describe(d)));
  return invalid(fmt::format("expected {}, got {}: {}", n.name, describe(d), why));
}

Error out_of_range(const Node& n, std::string_view value, std::string_view note = {}) {
  return invalid(fmt::format("value {} out of range for {}{}", value, n.name, note));
}

Error inside(std::string_view where, const Error& inner) {
  return Error(inner.code(), fmt::format("{}: {}", where, inner.message()));
}

// ---- numbers ---------------------------------------------------------------------------------

enum class Parsed { ok, malformed, overflow };

// Optional sign, then decimal digits, nothing else.
Parsed parse_integer_text(std::string_view text, std::int64_t& out) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return Parsed::malformed;
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 63U;
  std::uint64_t magnitude = 0;
  bool overflow = false;
  for (char c : digits) {
    if (!is_digit(c)) return Parsed::malformed;
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (magnitude > (kLimit - digit) / 10) overflow = true;
    if (!overflow) magnitude = magnitude * 10 + digit;
  }
  if (overflow || (!negative && magnitude == kLimit)) return Parsed::overflow;
  out = negative ? static_cast<std::int64_t>(~magnitude + 1) : static_cast<std::int64_t>(magnitude);
  return Parsed::ok;
}

// [+-] digits [. digits] [(e|E) [+-] digits], at least one mantissa digit; or NaN, Infinity,
// +Infinity, -Infinity. Out of range (beyond the type, or so small that it would be zero) is overflow.
template <class T>
Parsed parse_float_text(std::string_view text, T& out) {
  if (text == "NaN") {
    out = std::numeric_limits<T>::quiet_NaN();
    return Parsed::ok;
  }
  std::string_view body = text;
  bool negative = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "Infinity") {
    out = negative ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    return Parsed::ok;
  }
  std::size_t i = 0;
  auto skip_digits = [&]() {
    std::size_t start = i;
    while (i < body.size() && is_digit(body[i])) ++i;
    return i - start;
  };
  std::size_t mantissa = skip_digits();
  if (i < body.size() && body[i] == '.') {
    ++i;
    mantissa += skip_digits();
  }
  if (mantissa == 0) return Parsed::malformed;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    if (skip_digits() == 0) return Parsed::malformed;
  }
  if (i != body.size()) return Parsed::malformed;
  T v{};
  auto r = std::from_chars(body.data(), body.data() + body.size(), v, std::chars_format::general);
  if (r.ec == std::errc::result_out_of_range) return Parsed::overflow;
  if (r.ec != std::errc() || r.ptr != body.data() + body.size()) return Parsed::malformed;
  out = negative ? -v : v;
  return Parsed::ok;
}

// Whether a double is a whole number (finite, no fraction).
bool is_integral(double v) { return std::isfinite(v) && std::trunc(v) == v; }

// A double known to be integral as an int64, if it fits.
bool double_to_int64(double v, std::int64_t& out) {
  if (v < -0x1p63 || v >= 0x1p63) return false;
  out = static_cast<std::int64_t>(v);
  return true;
}

// The datum as an integer in [lo, hi]: an integer, an integral number, or integer text.
Result<std::int64_t> to_integer(const Node& n, const Datum& d, std::int64_t lo, std::int64_t hi) {
  std::int64_t v = 0;
  switch (d.kind) {
    case Kind::int64:
      if (d.int64 < lo || d.int64 > hi) return out_of_range(n, fmt::format("{}", d.int64));
      return d.int64;
    case Kind::uint64: return out_of_range(n, fmt::format("{}", d.uint64));
    case Kind::float64:
      if (!is_integral(d.float64)) return mismatch(n, d);
      if (!double_to_int64(d.float64, v) || v < lo || v > hi) return out_of_range(n, format_double(d.float64));
      return v;
    case Kind::text:
      switch (parse_integer_text(d.text, v)) {
        case Parsed::malformed: return mismatch(n, d);
        case Parsed::overflow: return out_of_range(n, number_for_message(d.text));
        case Parsed::ok: break;
      }
      if (v < lo || v > hi) return out_of_range(n, number_for_message(d.text));
      return v;
    default: return mismatch(n, d);
  }
}

template <class T>
Result<Value> to_integer_value(const Node& n, const Datum& d) {
  auto v = to_integer(n, d, std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
  SLUICE_TRY(v);
  return make_value(static_cast<T>(*v));
}

Result<Value> to_double(const Node& n, const Datum& d) {
  double v = 0;
  switch (d.kind) {
    case Kind::int64: return make_value(static_cast<double>(d.int64));
    case Kind::uint64: return make_value(static_cast<double>(d.uint64));
    case Kind::float64: return make_value(d.float64);
    case Kind::text:
      switch (parse_float_text(d.text, v)) {
        case Parsed::malformed: return mismatch(n, d);
        case Parsed::overflow: return out_of_range(n, number_for_message(d.text));
        case Parsed::ok: return make_value(v);
      }
      return mismatch(n, d);
    default: return mismatch(n, d);
  }
}

Result<Value> to_float(const Node& n, const Datum& d) {
  float v = 0;
  switch (d.kind) {
    case Kind::int64: return make_value(static_cast<float>(d.int64));
    case Kind::uint64: return make_value(static_cast<float>(d.uint64));
    case Kind::float64:
      if (std::isfinite(d.float64) && std::fabs(d.float64) > std::numeric_limits<float>::max()) {
        return out_of_range(n, format_double(d.float64));
      }
      return make_value(static_cast<float>(d.float64));
    case Kind::text:
      switch (parse_float_text(d.text, v)) {
        case Parsed::malformed: return mismatch(n, d);
        case Parsed::overflow: return out_of_range(n, number_for_message(d.text));
        case Parsed::ok: return make_value(v);
      }
      return mismatch(n, d);
    default: return mismatch(n, d);
  }
}

cql::Varint varint_of(std::uint64_t v) {
  std::array<char, 9> be{};  // a leading zero byte keeps it positive
  for (std::size_t i = 0; i < 8; ++i) be[8 - i] = static_cast<char>((v >> (8 * i)) & 0xFFU);
  return cql::Varint::from_bytes(std::string_view(be.data(), be.size()));
}

// The exact value of an integral double.
cql::Varint varint_of(double v) {
  std::int64_t i = 0;
  if (double_to_int64(v, i)) return cql::Varint::from_int64(i);
  // Beyond 64 bits: the exact digits (a precision of 0 prints the exact value, unlike the shortest form).
  std::array<char, 400> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed, 0);
  auto varint = cql::Varint::from_string(std::string_view(buf.data(), static_cast<std::size_t>(r.ptr - buf.data())));
  return varint.ok() ? std::move(*varint) : cql::Varint{};
}

Result<Value> to_varint(const Node& n, const Datum& d) {
  switch (d.kind) {
    case Kind::int64: return make_value(cql::Varint::from_int64(d.int64));
    case Kind::uint64: return make_value(varint_of(d.uint64));
    case Kind::float64:
      if (!is_integral(d.float64)) return mismatch(n, d);
      return make_value(varint_of(d.float64));
    case Kind::text: {
      if (d.text.size() > kMaxNumberText) {
        return mismatch(n, d, fmt::format("longer than {} characters", kMaxNumberText));
      }
      auto v = cql::Varint::from_string(d.text);
      if (!v.ok()) return mismatch(n, d);
      return make_value(std::move(*v));
    }
    case Kind::bytes:
      if (d.logical == "decimal" && d.scale == 0) return make_value(cql::Varint::from_bytes(d.text));
      return mismatch(n, d);
    default: return mismatch(n, d);
  }
}

Result<Value> to_decimal(const Node& n, const Datum& d) {
  switch (d.kind) {
    case Kind::int64: return make_value(cql::Decimal{cql::Varint::from_int64(d.int64), 0});
    case Kind::uint64: return make_value(cql::Decimal{varint_of(d.uint64), 0});
    case Kind::float64: {
      if (!std::isfinite(d.float64)) return mismatch(n, d);
      // The shortest spelling that reads back as the same double: 0.1 is 0.1, not its binary expansion.
      std::array<char, 32> buf{};
      auto r = std::to_chars(buf.data(), buf.data() + buf.size(), d.float64);
      auto v = cql::Decimal::from_string(std::string_view(buf.data(), static_cast<std::size_t>(r.ptr - buf.data())));
      if (!v.ok()) return mismatch(n, d);
      return make_value(std::move(*v));
    }
    case Kind::text: {
      if (d.text.size() > kMaxNumberText) {
        return mismatch(n, d, fmt::format("longer than {} characters", kMaxNumberText));
      }
      auto v = cql::Decimal::from_string(d.text);
      if (!v.ok()) return mismatch(n, d);
      return make_value(std::move(*v));
    }
    case Kind::bytes:
      if (d.logical != "decimal") return mismatch(n, d, "bytes are a decimal only as an Avro decimal (with a scale)");
      return make_value(cql::Decimal{cql::Varint::from_bytes(d.text), d.scale});
    default: return mismatch(n, d);
  }
}

Result<Value> to_boolean(const Node& n, const Datum& d) {
  if (d.kind == Kind::boolean) return make_value(d.boolean);
  if (d.kind == Kind::text) {
    if (iequals(d.text, "true")) return make_value(true);
    if (iequals(d.text, "false")) return make_value(false);
  }
  return mismatch(n, d);
}

// ---- text ------------------------------------------------------------------------------------

void append_hex4(std::uint32_t v, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(v >> static_cast<unsigned>(shift)) & 0xFU];
}

// A JSON string literal; non-ASCII characters escaped when `ascii`. False if `s` is not UTF-8.
bool append_json_string(std::string_view s, std::string& out, bool ascii) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20) {
            append_hex4(c, out);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    std::uint32_t cp = 0;
    std::size_t len = utf8_char(s, i, cp);
    if (len == 0) return false;
    if (!ascii) {
      out.append(s.substr(i, len));
    } else if (cp < 0x10000) {
      append_hex4(cp, out);
    } else {
      cp -= 0x10000;
      append_hex4(0xD800 + (cp >> 10U), out);
      append_hex4(0xDC00 + (cp & 0x3FFU), out);
    }
    i += len;
  }
  out += '"';
  return true;
}

void append_number(double v, std::string& out) {
  std::array<char, 32> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), r.ptr);
}

// Compact JSON for a datum; the error says why there is none.
Status append_json(const Datum& d, std::string& out, bool ascii, int depth) {
  if (depth > kMaxJsonDepth) return invalid(fmt::format("nested deeper than {} levels", kMaxJsonDepth));
  switch (d.kind) {
    case Kind::missing:
    case Kind::null: out += "null"; break;
    case Kind::boolean: out += d.boolean ? "true" : "false"; break;
    case Kind::int64: fmt::format_to(std::back_inserter(out), "{}", d.int64); break;
    case Kind::uint64: fmt::format_to(std::back_inserter(out), "{}", d.uint64); break;
    case Kind::float64:
      if (!std::isfinite(d.float64)) return invalid(fmt::format("{} has no JSON spelling", format_double(d.float64)));
      append_number(d.float64, out);
      break;
    case Kind::text:
      if (!append_json_string(d.text, out, ascii)) return invalid("a string in it is not valid UTF-8");
      break;
    case Kind::bytes: return invalid("bytes in it have no JSON spelling");
    case Kind::array:
      out += '[';
      for (std::size_t i = 0; i < d.items.size(); ++i) {
        if (i > 0) out += ',';
        SLUICE_TRY(append_json(d.items[i], out, ascii, depth + 1));
      }
      out += ']';
      break;
    case Kind::object:
      out += '{';
      for (std::size_t i = 0; i < d.members.size(); ++i) {
        if (i > 0) out += ',';
        if (!append_json_string(d.members[i].first, out, ascii)) {
          return invalid("a member name in it is not valid UTF-8");
        }
        out += ':';
        SLUICE_TRY(append_json(d.members[i].second, out, ascii, depth + 1));
      }
      out += '}';
      break;
  }
  return {};
}

Result<Value> to_text(const Node& n, const Datum& d, bool ascii) {
  switch (d.kind) {
    case Kind::text:
      if (ascii ? !is_ascii(d.text) : !is_valid_utf8(d.text)) {
        return mismatch(n, d, ascii ? "not ASCII" : "not valid UTF-8");
      }
      return make_value(std::string(d.text));
    case Kind::boolean: return make_value(std::string(d.boolean ? "true" : "false"));
    case Kind::int64: return make_value(fmt::format("{}", d.int64));
    case Kind::uint64: return make_value(fmt::format("{}", d.uint64));
    case Kind::float64:
      if (!std::isfinite(d.float64)) return mismatch(n, d, "it has no JSON spelling");
      return make_value(format_double(d.float64));
    case Kind::array:
    case Kind::object: {
      std::string out;
      auto s = append_json(d, out, ascii, 0);
      if (!s.ok()) return mismatch(n, d, s.error().message());
      return make_value(std::move(out));
    }
    default: return mismatch(n, d);
  }
}

Result<Value> to_blob(const Node& n, const Datum& d) {
  if (d.kind == Kind::bytes) return make_value(cql::Blob{std::string(d.text)});
  if (d.kind != Kind::text) return mismatch(n, d);
  auto bytes = decode_base64(d.text);
  if (!bytes.ok()) return mismatch(n, d, "not base64: " + bytes.error().message());
  return make_value(cql::Blob{std::move(*bytes)});
}

// ---- uuid, inet, duration --------------------------------------------------------------------

Result<Value> to_uuid(const Node& n, const Datum& d, bool time_based) {
  cql::Uuid u;
  if (d.kind == Kind::text) {
    auto parsed = cql::Uuid::from_string(d.text);
    if (!parsed.ok()) return mismatch(n, d, "not a UUID (8-4-4-4-12 hex digits)");
    u = *parsed;
  } else if (d.kind == Kind::bytes) {
    if (d.text.size() != u.bytes.size()) return mismatch(n, d, "a UUID is 16 bytes");
    std::memcpy(u.bytes.data(), d.text.data(), u.bytes.size());
  } else {
    return mismatch(n, d);
  }
  if (time_based && u.version() != 1) {
    return mismatch(n, d, fmt::format("a version {} UUID, not a time-based one (version 1)", u.version()));
  }
  return make_value(u);
}

Result<Value> to_inet(const Node& n, const Datum& d) {
  if (d.kind == Kind::bytes && (d.text.size() == 4 || d.text.size() == 16)) {
    return make_value(cql::Inet{std::string(d.text)});
  }
  if (d.kind != Kind::text) return mismatch(n, d);
  auto v = cql::Inet::from_string(d.text);
  if (!v.ok()) return mismatch(n, d, "not an IPv4 or IPv6 address");
  return make_value(std::move(*v));
}

std::uint32_t le32(std::string_view s, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + i])) << (8 * i);
  return v;
}

Result<Value> to_duration(const Node& n, const Datum& d) {
  if (d.kind == Kind::text) {
    auto v = parse_duration(d.text);
    if (!v.ok()) return mismatch(n, d, v.error().message());
    return make_value(*v);
  }
  // Avro's duration: fixed(12), three little-endian unsigned 32-bit counts (months, days, milliseconds).
  if (d.kind == Kind::bytes && d.logical == "duration" && d.text.size() == 12) {
    std::uint32_t months = le32(d.text, 0);
    std::uint32_t days = le32(d.text, 4);
    std::uint32_t millis = le32(d.text, 8);
    constexpr auto kMax = static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max());
    if (months > kMax || days > kMax) return mismatch(n, d, "more months or days than an int holds");
    return make_value(cql::Duration{static_cast<std::int32_t>(months), static_cast<std::int32_t>(days),
                                    std::int64_t{millis} * 1000000});
  }
  return mismatch(n, d);
}

// ---- timestamp, date, time -------------------------------------------------------------------

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// An integer or an integral number as an int64; the error is the type's mismatch or range.
Result<std::int64_t> whole_number(const Node& n, const Datum& d) {
  std::int64_t v = 0;
  switch (d.kind) {
    case Kind::int64: return d.int64;
    case Kind::uint64: return out_of_range(n, fmt::format("{}", d.uint64));
    case Kind::float64:
      if (!is_integral(d.float64)) return mismatch(n, d);
      if (!double_to_int64(d.float64, v)) return out_of_range(n, format_double(d.float64));
      return v;
    default: return mismatch(n, d);
  }
}

Result<Value> to_timestamp(const Node& n, const Datum& d, const TimeParser& time) {
  if (d.kind == Kind::text) {
    auto v = time.timestamp_millis(d.text);
    if (!v.ok()) return mismatch(n, d, v.error().message());
    return make_value(cql::Timestamp{*v});
  }
  auto v = whole_number(n, d);
  SLUICE_TRY(v);
  std::string_view logical = d.logical;
  if (logical == "timestamp-millis") return make_value(cql::Timestamp{*v});
  if (logical == "timestamp-micros") return make_value(cql::Timestamp{floor_div(*v, 1000)});
  if (logical == "timestamp-nanos") return make_value(cql::Timestamp{floor_div(*v, 1000000)});
  if (starts_with(logical, "local-timestamp-")) {
    // A wall-clock time with no zone: read in the configured zone.
    std::int64_t micros = 0;
    if (logical == "local-timestamp-millis") {
      if (__builtin_mul_overflow(*v, 1000, &micros)) return out_of_range(n, fmt::format("{}", *v));
    } else if (logical == "local-timestamp-micros") {
      micros = *v;
    } else if (logical == "local-timestamp-nanos") {
      micros = floor_div(*v, 1000);
    } else {
      return mismatch(n, d, "unknown logical type");
    }
    auto utc = time.local_to_utc_micros(micros);
    if (!utc.ok()) return mismatch(n, d, utc.error().message());
    return make_value(cql::Timestamp{floor_div(*utc, 1000)});
  }
  if (logical == "date" || starts_with(logical, "time-")) return mismatch(n, d, "not a point in time");
  auto millis = time.epoch_millis(*v);
  if (!millis.ok()) {
    return out_of_range(n, fmt::format("{}", *v),
                        fmt::format(" ({} since the epoch)", time_unit_name(time.settings().epoch_unit)));
  }
  return make_value(cql::Timestamp{*millis});
}

Result<Value> to_date(const Node& n, const Datum& d, const TimeParser& time) {
  if (d.kind == Kind::text) {
    auto v = time.date_days(d.text);
    if (!v.ok()) return mismatch(n, d, v.error().message());
    return make_value(cql::Date::from_days_since_epoch(*v));
  }
  auto v = whole_number(n, d);
  SLUICE_TRY(v);
  if (starts_with(d.logical, "timestamp-") || starts_with(d.logical, "local-timestamp-") ||
      starts_with(d.logical, "time-")) {
    return mismatch(n, d, "not a count of days");
  }
  if (*v < std::numeric_limits<std::int32_t>::min() || *v > std::numeric_limits<std::int32_t>::max()) {
    return out_of_range(n, fmt::format("{}", *v), " (days since the epoch)");
  }
  return make_value(cql::Date::from_days_since_epoch(static_cast<std::int32_t>(*v)));
}

Result<Value> to_time(const Node& n, const Datum& d, const TimeParser& time) {
  if (d.kind == Kind::text) {
    auto v = time.time_nanos(d.text);
    if (!v.ok()) return mismatch(n, d, v.error().message());
    return make_value(cql::Time{*v});
  }
  auto v = whole_number(n, d);
  SLUICE_TRY(v);
  std::int64_t nanos = *v;
  std::string_view note = " (nanoseconds since midnight)";
  if (d.logical == "time-millis" || d.logical == "time-micros") {
    bool millis = d.logical == "time-millis";
    note = millis ? " (milliseconds since midnight)" : " (microseconds since midnight)";
    if (__builtin_mul_overflow(*v, millis ? 1000000 : 1000, &nanos)) nanos = -1;
  } else if (starts_with(d.logical, "timestamp-") || starts_with(d.logical, "local-timestamp-") ||
             d.logical == "date") {
    return mismatch(n, d, "not a time of day");
  }
  if (nanos < 0 || nanos >= kNanosPerDay) return out_of_range(n, fmt::format("{}", *v), note);
  return make_value(cql::Time{nanos});
}

// ---- collections, tuples, user types ---------------------------------------------------------

Result<Value> convert_node(const Node& n, const Datum& d, const TimeParser& time);

// An element of a collection: never null.
Result<Value> convert_element(const Node& n, const Datum& d, const TimeParser& time, std::string_view container) {
  if (d.is_null() || d.is_missing()) {
    return invalid(fmt::format("expected {}, got {} (a {} cannot hold nulls)", n.name, describe(d), container));
  }
  return convert_node(n, d, time);
}

// A component of a tuple or UDT: null when null or missing.
Result<Value> convert_component(const Node& n, const Datum& d, const TimeParser& time) {
  if (d.is_null() || d.is_missing()) return make_value(cql::Null{});
  return convert_node(n, d, time);
}

Result<std::vector<Value>> convert_items(const Node& n, const Datum& d, const TimeParser& time) {
  std::vector<Value> items;
  items.reserve(d.items.size());
  std::string_view container = n.id == TypeId::list ? "list" : n.id == TypeId::set ? "set" : "vector";
  for (std::size_t i = 0; i < d.items.size(); ++i) {
    auto v = convert_element(n.children[0], d.items[i], time, container);
    if (!v.ok()) return inside(fmt::format("element {}", i), v.error());
    items.push_back(std::move(*v));
  }
  return items;
}

Result<Value> to_map(const Node& n, const Datum& d, const TimeParser& time) {
  const Node& key_node = n.children[0];
  const Node& value_node = n.children[1];
  cql::Map map;
  if (d.kind == Kind::object) {
    // Object member names are text: each is read as the key type would read text.
    map.entries.reserve(d.members.size());
    for (const auto& [name, member] : d.members) {
      auto k = convert_node(key_node, Datum::of_text(name), time);
      if (!k.ok()) return inside(fmt::format("key {}", quote_for_message(name)), k.error());
      auto v = convert_element(value_node, member, time, "map");
      if (!v.ok()) return inside(fmt::format("value of key {}", quote_for_message(name)), v.error());
      map.entries.emplace_back(std::move(*k), std::move(*v));
    }
    return make_value(std::move(map));
  }
  if (d.kind != Kind::array) return mismatch(n, d);
  // [[key, value], ...]
  map.entries.reserve(d.items.size());
  for (std::size_t i = 0; i < d.items.size(); ++i) {
    const Datum& pair = d.items[i];
    if (pair.kind != Kind::array || pair.items.size() != 2) {
      return invalid(fmt::format("entry {}: expected a [key, value] pair, got {}", i, describe(pair)));
    }
    auto k = convert_element(key_node, pair.items[0], time, "map");
    if (!k.ok()) return inside(fmt::format("key of entry {}", i), k.error());
    auto v = convert_element(value_node, pair.items[1], time, "map");
    if (!v.ok()) return inside(fmt::format("value of entry {}", i), v.error());
    map.entries.emplace_back(std::move(*k), std::move(*v));
  }
  return make_value(std::move(map));
}

Result<Value> to_tuple(const Node& n, const Datum& d, const TimeParser& time) {
  if (d.kind != Kind::array) return mismatch(n, d);
  if (d.items.size() != n.children.size()) {
    return mismatch(n, d, fmt::format("a tuple of {} needs exactly {} items", n.children.size(), n.children.size()));
  }
  cql::Tuple tuple;
  tuple.items.reserve(n.children.size());
  for (std::size_t i = 0; i < n.children.size(); ++i) {
    auto v = convert_component(n.children[i], d.items[i], time);
    if (!v.ok()) return inside(fmt::format("component {}", i), v.error());
    tuple.items.push_back(std::move(*v));
  }
  return make_value(std::move(tuple));
}

Result<Value> to_udt(const Node& n, const Datum& d, const TimeParser& time) {
  if (d.kind != Kind::object) return mismatch(n, d);
  // Unset marks a field not seen yet; it becomes Null at the end.
  cql::Udt udt{std::vector<Value>(n.children.size(), Value{cql::Unset{}})};
  for (const auto& [name, member] : d.members) {
    std::size_t field = 0;
    while (field < n.fields.size() && n.fields[field] != name) ++field;
    if (field == n.fields.size()) {
      return invalid(fmt::format("user type {} has no field {}", n.name, quote_for_message(name)));
    }
    if (!std::holds_alternative<cql::Unset>(udt.fields[field])) {
      return invalid(fmt::format("field {} of {} is given twice", quote_for_message(name), n.name));
    }
    auto v = convert_component(n.children[field], member, time);
    if (!v.ok()) return inside(fmt::format("field {}", n.fields[field]), v.error());
    udt.fields[field] = std::move(*v);
  }
  for (auto& f : udt.fields) {
    if (std::holds_alternative<cql::Unset>(f)) f = cql::Null{};
  }
  return make_value(std::move(udt));
}

Result<Value> convert_node(const Node& n, const Datum& d, const TimeParser& time) {
  switch (n.id) {
    case TypeId::tinyint: return to_integer_value<std::int8_t>(n, d);
    case TypeId::smallint: return to_integer_value<std::int16_t>(n, d);
    case TypeId::int_: return to_integer_value<std::int32_t>(n, d);
    case TypeId::bigint:
    case TypeId::counter: return to_integer_value<std::int64_t>(n, d);
    case TypeId::float_: return to_float(n, d);
    case TypeId::double_: return to_double(n, d);
    case TypeId::decimal: return to_decimal(n, d);
    case TypeId::varint: return to_varint(n, d);
    case TypeId::boolean: return to_boolean(n, d);
    case TypeId::ascii: return to_text(n, d, true);
    case TypeId::varchar: return to_text(n, d, false);
    case TypeId::blob: return to_blob(n, d);
    case TypeId::uuid: return to_uuid(n, d, false);
    case TypeId::timeuuid: return to_uuid(n, d, true);
    case TypeId::timestamp: return to_timestamp(n, d, time);
    case TypeId::date: return to_date(n, d, time);
    case TypeId::time: return to_time(n, d, time);
    case TypeId::inet: return to_inet(n, d);
    case TypeId::duration: return to_duration(n, d);
    case TypeId::list:
    case TypeId::set:
    case TypeId::vector: {
      if (d.kind != Kind::array) return mismatch(n, d);
      if (n.id == TypeId::vector && d.items.size() != n.dimension) {
        return mismatch(n, d, fmt::format("a vector of {} needs exactly {} items", n.dimension, n.dimension));
      }
      auto items = convert_items(n, d, time);
      SLUICE_TRY(items);
      if (n.id == TypeId::list) return make_value(cql::List{std::move(*items)});
      if (n.id == TypeId::set) return make_value(cql::Set{std::move(*items)});
      return make_value(cql::Vector{std::move(*items)});
    }
    case TypeId::map: return to_map(n, d, time);
    case TypeId::tuple: return to_tuple(n, d, time);
    case TypeId::udt: return to_udt(n, d, time);
    case TypeId::custom: break;
  }
  return mismatch(n, d);
}

// ---- compiling -------------------------------------------------------------------------------

Result<Node> compile(const cql::DataType& type, int depth) {
  Node n;
  n.id = type.id;
  n.name = type.to_string();
  if (depth > cql::kMaxTypeDepth) return invalid(fmt::format("type nested deeper than {} levels", cql::kMaxTypeDepth));
  std::size_t params = 0;
  switch (type.id) {
    case TypeId::custom:
      return invalid(fmt::format("cannot fill a column of the custom type {}: no conversion to custom types", n.name));
    case TypeId::list:
    case TypeId::set: params = 1; break;
    case TypeId::vector:
      params = 1;
      if (type.dimension <= 0) return invalid(fmt::format("type {} has no dimension", n.name));
      n.dimension = static_cast<std::size_t>(type.dimension);
      break;
    case TypeId::map: params = 2; break;
    case TypeId::tuple: params = type.params.size(); break;
    case TypeId::udt:
      if (type.params.empty() || type.udt_fields.size() != type.params.size()) {
        return invalid(fmt::format("the fields of user type {} are not known: resolve it first", n.name));
      }
      params = type.params.size();
      n.fields = type.udt_fields;
      break;
    default: break;
  }
  if (type.params.size() != params) {
    return invalid(fmt::format("type {} has {} parameters, not {}", n.name, type.params.size(), params));
  }
  n.children.reserve(params);
  for (std::size_t i = 0; i < params; ++i) {
    auto child = compile(type.params[i], depth + 1);
    SLUICE_TRY(child);
    n.children.push_back(std::move(*child));
  }
  return n;
}

}  // namespace

// ---- Converter -------------------------------------------------------------------------------

Result<Converter> Converter::make(const cql::DataType& type, const TimeSettings& settings) {
  auto time = TimeParser::make(settings);
  SLUICE_TRY(time);
  return make(type, std::make_shared<const TimeParser>(std::move(*time)));
}

Result<Converter> Converter::make(const cql::DataType& type, std::shared_ptr<const TimeParser> time) {
  SLUICE_CHECK(time != nullptr, "Converter::make without a TimeParser");
  auto root = compile(type, 0);
  SLUICE_TRY(root);
  return Converter(std::make_shared<const Impl>(Impl{type, std::move(*root), std::move(time)}));
}

Result<cql::Value> Converter::convert(const Datum& d) const {
  if (d.kind == Kind::missing) return make_value(cql::Unset{});
  if (d.kind == Kind::null) return make_value(cql::Null{});
  return convert_node(impl_->root, d, *impl_->time);
}

const cql::DataType& Converter::type() const { return impl_->type; }

const TimeParser& Converter::time() const { return *impl_->time; }

// ---- text helpers ----------------------------------------------------------------------------

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    // Eight ASCII bytes at a time.
    if (text.size() - i >= 8) {
      std::uint64_t chunk = 0;
      std::memcpy(&chunk, text.data() + i, 8);
      if ((chunk & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    std::uint32_t cp = 0;
    std::size_t len = utf8_char(text, i, cp);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

Result<std::string> decode_base64(std::string_view text) {
  auto value_of = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return invalid(fmt::format("{} characters, not a multiple of 4", text.size()));
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    std::array<std::uint32_t, 4> v{};
    int padding = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      char c = text[i + k];
      if (c == '=' && last && k >= 2) {
        ++padding;
        continue;
      }
      int x = value_of(c);
      if (x < 0 || padding > 0) {
        return invalid(fmt::format("{} at character {}", quote_for_message(text.substr(i + k, 1)), i + k));
      }
      v[k] = static_cast<std::uint32_t>(x);
    }
    std::uint32_t triple = (v[0] << 18U) | (v[1] << 12U) | (v[2] << 6U) | v[3];
    if ((padding == 1 && (v[2] & 0x3U) != 0) || (padding == 2 && (v[1] & 0xFU) != 0)) {
      return invalid("the last character has bits set past the end of the data");
    }
    out += static_cast<char>((triple >> 16U) & 0xFFU);
    if (padding < 2) out += static_cast<char>((triple >> 8U) & 0xFFU);
    if (padding < 1) out += static_cast<char>(triple & 0xFFU);
  }
  return out;
}

std::string quote_for_message(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out = "\"";
  std::size_t i = 0;
  while (i < text.size()) {
    if (i >= kMax) return out + "\"...";
    auto c = static_cast<unsigned char>(text[i]);
    std::uint32_t cp = 0;
    std::size_t len = utf8_char(text, i, cp);
    if (len == 0) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    } else if (len > 1) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c == 0x7F) {
            append_hex4(c, out);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
    }
  }
  return out + "\"";
}

}  // namespace sluice::codec

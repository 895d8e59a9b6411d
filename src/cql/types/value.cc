// The value model: Uuid, Varint, Decimal and Inet conversions, equality of the recursive
// alternatives, value_kind and to_display. The wire codecs are in codec.cc.
#include "cql/types/value.h"

#include "base/overloaded.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace sluice::cql {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Strips redundant sign bytes from big-endian two's complement; empty becomes zero.
std::string canonical_twos(std::string_view in) {
  std::size_t skip = 0;
  while (skip + 1 < in.size()) {
    auto b0 = static_cast<unsigned char>(in[skip]);
    auto b1 = static_cast<unsigned char>(in[skip + 1]);
    bool redundant = (b0 == 0x00 && (b1 & 0x80U) == 0) || (b0 == 0xFF && (b1 & 0x80U) != 0);
    if (!redundant) break;
    ++skip;
  }
  if (in.empty()) return std::string(1, '\0');
  return std::string(in.substr(skip));
}

// Magnitude of a two's complement number as little-endian unsigned bytes.
std::vector<std::uint8_t> magnitude_le(std::string_view twos, bool negative) {
  std::vector<std::uint8_t> mag(twos.size());
  for (std::size_t i = 0; i < twos.size(); ++i) mag[i] = static_cast<std::uint8_t>(twos[twos.size() - 1 - i]);
  if (negative) {  // -x = ~x + 1
    unsigned carry = 1;
    for (auto& b : mag) {
      unsigned v = static_cast<std::uint8_t>(~b) + carry;
      b = static_cast<std::uint8_t>(v & 0xFFU);
      carry = v >> 8U;
    }
  }
  return mag;
}

// Canonical two's complement of sign * magnitude (little-endian unsigned bytes).
std::string from_magnitude(std::vector<std::uint8_t> mag, bool negative) {
  mag.push_back(0);  // room for the sign bit
  if (negative) {
    unsigned carry = 1;
    for (auto& b : mag) {
      unsigned v = static_cast<std::uint8_t>(~b) + carry;
      b = static_cast<std::uint8_t>(v & 0xFFU);
      carry = v >> 8U;
    }
  }
  std::string be(mag.size(), '\0');
  for (std::size_t i = 0; i < mag.size(); ++i) be[mag.size() - 1 - i] = static_cast<char>(mag[i]);
  return canonical_twos(be);
}

bool is_zero(const std::vector<std::uint8_t>& mag) {
  return std::all_of(mag.begin(), mag.end(), [](std::uint8_t b) { return b == 0; });
}

// Divides the little-endian magnitude by `divisor` in place, returning the remainder.
std::uint32_t divide_small(std::vector<std::uint8_t>& mag, std::uint32_t divisor) {
  std::uint64_t rem = 0;
  for (std::size_t i = mag.size(); i-- > 0;) {
    std::uint64_t cur = (rem << 8U) | mag[i];
    mag[i] = static_cast<std::uint8_t>(cur / divisor);
    rem = cur % divisor;
  }
  while (!mag.empty() && mag.back() == 0) mag.pop_back();
  return static_cast<std::uint32_t>(rem);
}

std::string magnitude_to_decimal(std::vector<std::uint8_t> mag) {
  while (!mag.empty() && mag.back() == 0) mag.pop_back();
  if (mag.empty()) return "0";
  std::string digits;  // reversed
  while (!is_zero(mag)) {
    std::uint32_t chunk = divide_small(mag, 1000000000U);
    for (int i = 0; i < 9; ++i) {
      digits.push_back(static_cast<char>('0' + chunk % 10));
      chunk /= 10;
    }
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::reverse(digits.begin(), digits.end());
  return digits;
}

std::string quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  return out + "'";
}

std::string display(const Value& value, bool nested);

std::string display_items(const std::vector<Value>& items, std::string_view open, std::string_view close) {
  std::string out(open);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += display(items[i], true);
  }
  return out + std::string(close);
}

std::string display(const Value& value, bool nested) {
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
                        [&](const std::string& v) { return nested ? quoted(v) : v; },
                        [](const Blob& v) { return fmt::format("<{} bytes>", v.bytes.size()); },
                        [](const Uuid& v) { return v.to_string(); },
                        [](const Timestamp& v) { return fmt::format("{}ms", v.millis); },
                        [](const Date& v) { return fmt::format("day {}", v.days_since_epoch()); },
                        [](const Time& v) { return fmt::format("{}ns", v.nanos); },
                        [](const Varint& v) { return v.to_string(); },
                        [](const Decimal& v) { return v.to_string(); },
                        [](const Inet& v) { return v.to_string(); },
                        [](const Duration& v) { return fmt::format("{}mo{}d{}ns", v.months, v.days, v.nanos); },
                        [](const List& v) { return display_items(v.items, "[", "]"); },
                        [](const Set& v) { return display_items(v.items, "{", "}"); },
                        [](const Map& v) {
                          std::string out = "{";
                          for (std::size_t i = 0; i < v.entries.size(); ++i) {
                            if (i) out += ", ";
                            out += display(v.entries[i].first, true) + ": " + display(v.entries[i].second, true);
                          }
                          return out + "}";
                        },
                        [](const Tuple& v) { return display_items(v.items, "(", ")"); },
                        [](const Udt& v) { return display_items(v.fields, "{", "}"); },
                        [](const Vector& v) { return display_items(v.items, "[", "]"); },
                    },
                    value);
}

}  // namespace

// ---- Uuid ------------------------------------------------------------------------------------

Result<Uuid> Uuid::from_string(std::string_view text) {
  Uuid u;
  bool ok = text.size() == 36;
  std::size_t byte = 0;
  for (std::size_t i = 0; ok && i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      ok = text[i] == '-';
      ++i;
      continue;
    }
    int hi = hex_digit(text[i]);
    int lo = i + 1 < text.size() ? hex_digit(text[i + 1]) : -1;
    ok = hi >= 0 && lo >= 0 && byte < u.bytes.size();
    if (ok) u.bytes[byte++] = static_cast<std::uint8_t>(hi * 16 + lo);
    i += 2;
  }
  if (!ok || byte != u.bytes.size()) {
    return Error(Errc::invalid_argument, fmt::format("'{}' is not a UUID (8-4-4-4-12 hex)", text.substr(0, 64)));
  }
  return u;
}

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

// ---- Varint ----------------------------------------------------------------------------------

Varint Varint::from_int64(std::int64_t v) {
  std::string be(8, '\0');
  auto u = static_cast<std::uint64_t>(v);
  for (int i = 7; i >= 0; --i) {
    be[static_cast<std::size_t>(i)] = static_cast<char>(u & 0xFFU);
    u >>= 8U;
  }
  return Varint{canonical_twos(be)};
}

Varint Varint::from_bytes(std::string_view twos_complement) { return Varint{canonical_twos(twos_complement)}; }

Result<Varint> Varint::from_string(std::string_view decimal) {
  std::string_view digits = decimal;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Error(Errc::invalid_argument, fmt::format("'{}' is not a decimal integer", decimal.substr(0, 64)));
  }
  std::vector<std::uint8_t> mag;  // little-endian
  for (char c : digits) {
    unsigned carry = static_cast<unsigned>(c - '0');
    for (auto& b : mag) {
      unsigned v = b * 10U + carry;
      b = static_cast<std::uint8_t>(v & 0xFFU);
      carry = v >> 8U;
    }
    if (carry) mag.push_back(static_cast<std::uint8_t>(carry));
  }
  bool sign = negative && !is_zero(mag);
  return Varint{from_magnitude(std::move(mag), sign)};
}

Result<std::int64_t> Varint::to_int64() const {
  std::string c = canonical_twos(bytes);
  if (c.size() > 8) return Error(Errc::invalid_argument, "varint " + to_string() + " does not fit in 64 bits");
  std::uint64_t u = (static_cast<unsigned char>(c[0]) & 0x80U) ? ~std::uint64_t{0} : 0;
  for (char b : c) u = (u << 8U) | static_cast<unsigned char>(b);
  return static_cast<std::int64_t>(u);
}

std::string Varint::to_string() const {
  bool negative = is_negative();
  std::string digits = magnitude_to_decimal(magnitude_le(bytes, negative));
  return negative ? "-" + digits : digits;
}

// ---- Decimal ---------------------------------------------------------------------------------

Result<Decimal> Decimal::from_string(std::string_view text) {
  auto bad = [&]() { return Error(Errc::invalid_argument, fmt::format("'{}' is not a decimal", text.substr(0, 64))); };
  std::size_t i = 0;
  std::string digits;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
    if (text[i] == '-') digits.push_back('-');
    ++i;
  }
  std::size_t mantissa_digits = 0;
  std::int64_t fraction_digits = 0;
  bool point = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
      ++mantissa_digits;
      if (point) ++fraction_digits;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (mantissa_digits == 0) return bad();
  std::int64_t exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) exp_negative = text[i++] == '-';
    std::size_t start = i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      exponent = exponent * 10 + (text[i] - '0');
      if (exponent > (std::int64_t{1} << 40)) return bad();
    }
    if (i == start) return bad();
    if (exp_negative) exponent = -exponent;
  }
  if (i != text.size()) return bad();
  std::int64_t scale = fraction_digits - exponent;
  if (scale < std::numeric_limits<std::int32_t>::min() || scale > std::numeric_limits<std::int32_t>::max()) {
    return Error(Errc::invalid_argument, fmt::format("the scale of '{}' does not fit in 32 bits", text.substr(0, 64)));
  }
  auto unscaled = Varint::from_string(digits);
  if (!unscaled.ok()) return bad();
  return Decimal{std::move(*unscaled), static_cast<std::int32_t>(scale)};
}

std::string Decimal::to_string() const {
  bool negative = unscaled.is_negative();
  std::string coefficient = magnitude_to_decimal(magnitude_le(unscaled.bytes, negative));
  auto n = static_cast<std::int64_t>(coefficient.size());
  std::int64_t adjusted = -static_cast<std::int64_t>(scale) + n - 1;
  std::string out = negative ? "-" : "";
  if (scale >= 0 && adjusted >= -6) {
    if (scale == 0) return out + coefficient;
    if (n > scale) {
      auto int_digits = static_cast<std::size_t>(n - scale);
      return out + coefficient.substr(0, int_digits) + "." + coefficient.substr(int_digits);
    }
    return out + "0." + std::string(static_cast<std::size_t>(scale - n), '0') + coefficient;
  }
  out += coefficient.substr(0, 1);
  if (n > 1) out += "." + coefficient.substr(1);
  return out + "E" + (adjusted >= 0 ? "+" : "") + std::to_string(adjusted);
}

// ---- Inet ------------------------------------------------------------------------------------

Result<Inet> Inet::from_string(std::string_view text) {
  std::string s(text.substr(0, 64));
  bool v6 = s.find(':') != std::string::npos;
  unsigned char buf[16];
  if (text.size() <= 64 && inet_pton(v6 ? AF_INET6 : AF_INET, s.c_str(), buf) == 1) {
    return Inet{std::string(reinterpret_cast<const char*>(buf), v6 ? 16 : 4)};
  }
  return Error(Errc::invalid_argument, fmt::format("'{}' is not an IPv4 or IPv6 address", s));
}

std::string Inet::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (bytes.size() != 4 && bytes.size() != 16) return fmt::format("<{}-byte inet>", bytes.size());
  if (inet_ntop(bytes.size() == 4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof(buf)) == nullptr) return "<inet>";
  return buf;
}

// ---- recursive alternatives ------------------------------------------------------------------

bool List::operator==(const List& o) const { return items == o.items; }
bool Set::operator==(const Set& o) const { return items == o.items; }
bool Map::operator==(const Map& o) const { return entries == o.entries; }
bool Tuple::operator==(const Tuple& o) const { return items == o.items; }
bool Udt::operator==(const Udt& o) const { return fields == o.fields; }
bool Vector::operator==(const Vector& o) const { return items == o.items; }

std::string_view value_kind(const Value& value) {
  static constexpr std::array<std::string_view, std::variant_size_v<Value>> kNames{
      "null",     "unset", "boolean", "tinyint",   "smallint", "int",  "bigint", "float",   "double",
      "text",     "blob",  "uuid",    "timestamp", "date",     "time", "varint", "decimal", "inet",
      "duration", "list",  "set",     "map",       "tuple",    "udt",  "vector"};
  return kNames[value.index()];
}

std::string to_display(const Value& value) { return display(value, false); }

}  // namespace sluice::cql

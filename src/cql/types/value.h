// Value: one CQL value, as a bound parameter or a decoded cell, for every CQL type.
//
// The alternative held says what the value is: an int32_t is a CQL int, an int64_t a bigint, a
// std::string text, a Timestamp a timestamp, a List a list... Collections, tuples, UDTs and vectors
// hold Values recursively. Values are always sent as bound parameters, never spliced into CQL text.
//
// Two ways to encode: write_value guesses the wire form from the alternative alone (no checks);
// write_typed encodes for a known column type, checking that the value fits it. decode_cell is
// the reverse of write_typed and refuses malformed or hostile cells with Errc::protocol.
//
// Plain values: copyable, comparable with == (structurally: 1.0 and 1.00 are different decimals,
// NaN is not equal to itself). Thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "cql/types/data_type.h"

namespace sluice::cql {

struct Null {
  bool operator==(const Null&) const = default;
};
struct Unset {  // "leave this column alone" (v4+): no tombstone is written
  bool operator==(const Unset&) const = default;
};
struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};
struct Uuid {
  std::array<std::uint8_t, 16> bytes{};
  bool operator==(const Uuid&) const = default;
  // Accepts 8-4-4-4-12 hex, either case; Errc::invalid_argument otherwise.
  static Result<Uuid> from_string(std::string_view text);
  std::string to_string() const;  // 8-4-4-4-12 lowercase hex
  int version() const { return bytes[6] >> 4U; }
};
struct Timestamp {  // milliseconds since the Unix epoch, UTC
  std::int64_t millis = 0;
  bool operator==(const Timestamp&) const = default;
};
struct Date {  // days since the epoch, with 2^31 as the epoch (the wire form)
  std::uint32_t days = 1U << 31U;
  bool operator==(const Date&) const = default;
  static Date from_days_since_epoch(std::int32_t days) {
    return Date{static_cast<std::uint32_t>(static_cast<std::int64_t>(days) + (std::int64_t{1} << 31))};
  }
  std::int64_t days_since_epoch() const { return static_cast<std::int64_t>(days) - (std::int64_t{1} << 31); }
};
struct Time {  // nanoseconds since midnight, 0 to 86399999999999
  std::int64_t nanos = 0;
  bool operator==(const Time&) const = default;
};

// An arbitrary-precision integer (CQL varint): big-endian two's complement in the fewest bytes
// (0 is one 0x00 byte, 128 is 00 80, -129 is FF 7F). from_* and decode_cell give that canonical
// form; == compares bytes, so build values through from_* rather than by hand.
struct Varint {
  std::string bytes{'\0'};
  bool operator==(const Varint&) const = default;

  static Varint from_int64(std::int64_t v);
  // Optional sign then decimal digits ("-123"); Errc::invalid_argument otherwise.
  static Result<Varint> from_string(std::string_view decimal);
  // Any two's complement bytes, made canonical. Empty input is zero.
  static Varint from_bytes(std::string_view twos_complement);
  // Errc::invalid_argument if the value does not fit.
  Result<std::int64_t> to_int64() const;
  std::string to_string() const;  // decimal
  bool is_negative() const { return !bytes.empty() && (static_cast<unsigned char>(bytes[0]) & 0x80U) != 0; }
};

// An arbitrary-precision decimal (CQL decimal): unscaled * 10^-scale. The scale is kept, so
// 1.0 (10, scale 1) and 1.00 (100, scale 2) are different values, as in Cassandra.
struct Decimal {
  Varint unscaled;
  std::int32_t scale = 0;
  bool operator==(const Decimal&) const = default;

  // "-12.345", "1E+3", "1.5e-7", "0.000": the scale is the digits after the point minus the
  // exponent (so "1E+3" has scale -3). Errc::invalid_argument if malformed or the scale overflows.
  static Result<Decimal> from_string(std::string_view text);
  // Java BigDecimal.toString / Python str(Decimal) spelling: plain when scale >= 0 and the
  // adjusted exponent >= -6 ("12.345", "0.000001"), scientific otherwise ("1E+3", "1.5E-7").
  std::string to_string() const;
};

// An IP address (CQL inet): 4 bytes (IPv4) or 16 bytes (IPv6), network order.
struct Inet {
  std::string bytes;
  bool operator==(const Inet&) const = default;
  // "192.168.0.1", "::1", "2001:db8::ff00:42:8329"; Errc::invalid_argument otherwise.
  static Result<Inet> from_string(std::string_view text);
  std::string to_string() const;
};

// A CQL duration. Cassandra requires all three parts to be >= 0 or all <= 0.
struct Duration {
  std::int32_t months = 0;
  std::int32_t days = 0;
  std::int64_t nanos = 0;
  bool operator==(const Duration&) const = default;
};

struct List;
struct Set;
struct Map;
struct Tuple;
struct Udt;
struct Vector;

using Value = std::variant<Null, Unset, bool, std::int8_t, std::int16_t, std::int32_t, std::int64_t, float, double,
                           std::string, Blob, Uuid, Timestamp, Date, Time, Varint, Decimal, Inet, Duration, List, Set,
                           Map, Tuple, Udt, Vector>;

struct List {
  std::vector<Value> items;
  bool operator==(const List&) const;
};
struct Set {  // elements in the order given; Cassandra sorts and deduplicates them
  std::vector<Value> items;
  bool operator==(const Set&) const;
};
struct Map {  // entries in the order given; Cassandra sorts them by key
  std::vector<std::pair<Value, Value>> entries;
  bool operator==(const Map&) const;
};
struct Tuple {  // one item per tuple component; Null for a null component
  std::vector<Value> items;
  bool operator==(const Tuple&) const;
};
struct Udt {  // field values in the type's field order; Null for null or missing trailing fields
  std::vector<Value> fields;
  bool operator==(const Udt&) const;
};
struct Vector {  // exactly `dimension` non-null elements
  std::vector<Value> items;
  bool operator==(const Vector&) const;
};

// Appends the value as a protocol [value]: a 4-byte length then the bytes (-1 null, -2 unset).
// The wire form follows the alternative alone (an int8_t is a tinyint, a List a list of its
// elements' own forms, a Vector packs bool/int/bigint/float/double/timestamp/uuid elements and
// vint-prefixes the rest). Nothing is checked: prefer write_typed when the column type is known.
void write_value(const Value& value, ByteWriter& out);

// Appends the value as a protocol [value] for a column of the given type, after checking that it
// fits: the alternative must be the type's own or a lossless widening (tinyint/smallint/int into
// wider integer columns and into varint and decimal, varint into decimal, float into double,
// text into ascii only if it is ASCII, a uuid into timeuuid only if it is version 1), text must be
// UTF-8, time within a day, inet 4 or 16 bytes, duration parts of one sign, vectors exactly their
// dimension. Null and Unset are allowed at the top level only: collections and vectors cannot
// hold nulls (tuples and UDTs can). On error nothing is appended and the message names the
// column type and the value: "column type int cannot take a bigint value 5000000000".
Status write_typed(const DataType& type, const Value& value, ByteWriter& out);

// The cell bytes write_typed would send (without the length prefix). Null and Unset have no
// cell bytes and are Errc::invalid_argument here.
Result<std::string> encode_cell(const DataType& type, const Value& value);

// Decodes one cell's content (without its length prefix) as the given type, recursively. A null
// cell is the caller's business (length -1): pass it as `Null{}` without calling this. An empty
// cell of a type whose values cannot be empty (anything but ascii, text, blob and custom) is
// Null, as Cassandra's drivers read it. Custom types decode as Blob. Malformed input (wrong
// sizes, counts that do not fit the bytes, trailing bytes, types nested deeper than the limit)
// is Errc::protocol; a udt type without its fields is Errc::invalid_argument.
Result<Value> decode_cell(const DataType& type, Bytes cell);

// The CQL name of the kind of value held: "int" for int32_t, "bigint", "text", "list"...
std::string_view value_kind(const Value& value);

// A short human spelling of the value, for logs and the CLI. Text is bare at the top level and
// 'quoted' inside collections.
std::string to_display(const Value& value);

}  // namespace sluice::cql

// Value: one CQL value, typed, as a bound parameter or a decoded cell.
//
// The alternative held decides the wire encoding (an int32_t is a CQL int, an int64_t a bigint,
// a Timestamp a timestamp...). Values are always sent as bound parameters, never spliced into
// CQL text. Thread-compatible, copyable.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>

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
  std::string to_string() const;  // 8-4-4-4-12 lowercase hex
};
struct Timestamp {  // milliseconds since the Unix epoch, UTC
  std::int64_t millis = 0;
  bool operator==(const Timestamp&) const = default;
};
struct Date {  // days since the epoch, with 2^31 as the epoch (the wire form)
  std::uint32_t days = 1U << 31U;
  bool operator==(const Date&) const = default;
};
struct Time {  // nanoseconds since midnight
  std::int64_t nanos = 0;
  bool operator==(const Time&) const = default;
};

using Value = std::variant<Null, Unset, bool, std::int8_t, std::int16_t, std::int32_t, std::int64_t,
                           float, double, std::string, Blob, Uuid, Timestamp, Date, Time>;

// Appends the value as a protocol [value]: a 4-byte length then the bytes (-1 null, -2 unset).
void write_value(const Value& value, ByteWriter& out);

// Decodes one cell's content (without its length prefix) as the given type. A null cell is the
// caller's business (length -1): pass it as `Null{}` without calling this. Types this build does
// not decode yet come back as an error naming the type.
Result<Value> decode_cell(const DataType& type, Bytes cell);

// A short human spelling of the value, for logs and the CLI.
std::string to_display(const Value& value);

}  // namespace sluice::cql

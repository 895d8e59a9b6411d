// Datum: one field of a decoded record, before it is converted to a column's type.
//
// Every format decodes into this one shape (JSON, Avro, raw string/bytes), so the conversion to
// CQL values (convert.h) is written once. A Datum does not own its text: `text` points into the
// decoder's buffers (simdjson's parsed document, the Avro decoder's arena, the Kafka message) and
// is valid until that decoder decodes its next record. Arrays and objects hold their children;
// scalars never allocate.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::codec {

struct Datum {
  enum class Kind : std::uint8_t {
    missing,  // the path is absent from the record (not the same as an explicit null)
    null,
    boolean,
    int64,    // integers that fit in int64
    uint64,   // integers above INT64_MAX (JSON only)
    float64,  // any other number
    text,     // UTF-8 text (JSON strings, Avro string/enum, raw string records)
    bytes,    // raw bytes (Avro bytes/fixed, raw bytes records)
    array,    // items
    object,   // members (JSON objects, Avro records and maps)
  };

  Kind kind = Kind::missing;
  bool boolean = false;
  std::int64_t int64 = 0;
  std::uint64_t uint64 = 0;
  double float64 = 0;
  std::string_view text;  // text and bytes
  // Avro decimals carry their scale here (bytes hold the unscaled two's complement value);
  // Avro logical types name themselves in `logical` ("timestamp-millis", "date", "uuid", ...).
  std::int32_t scale = 0;
  std::string_view logical;
  std::vector<Datum> items{};                               // array
  std::vector<std::pair<std::string_view, Datum>> members{};  // object, in document order

  static Datum missing_value() { return {}; }
  static Datum null_value() { return Datum{.kind = Kind::null}; }
  static Datum of_bool(bool b) { return Datum{.kind = Kind::boolean, .boolean = b}; }
  static Datum of_int(std::int64_t v) { return Datum{.kind = Kind::int64, .int64 = v}; }
  static Datum of_uint(std::uint64_t v) { return Datum{.kind = Kind::uint64, .uint64 = v}; }
  static Datum of_double(double v) { return Datum{.kind = Kind::float64, .float64 = v}; }
  static Datum of_text(std::string_view s) { return Datum{.kind = Kind::text, .text = s}; }
  static Datum of_bytes(std::string_view s) { return Datum{.kind = Kind::bytes, .text = s}; }

  bool is_missing() const { return kind == Kind::missing; }
  bool is_null() const { return kind == Kind::null; }
  // The member called `name` of an object, or nullptr.
  const Datum* member(std::string_view name) const {
    for (const auto& [k, v] : members) {
      if (k == name) return &v;
    }
    return nullptr;
  }
};

}  // namespace sluice::codec

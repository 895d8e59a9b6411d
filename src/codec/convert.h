// Converter: a decoded record field (Datum) to the CQL value of one column.
//
// A Converter is compiled once per column from the column's type and the time settings (the zone
// is looked up, the patterns checked, the type tree walked), then converts every record's field.
// Converting a scalar into a scalar column does not allocate, except for the value's own string
// (text and blob; varint, decimal and inet bytes beyond the small-string size). Converters are immutable: copies share
// their compiled form, and one converter may be used from many threads at once.
//
// The rules are strict: a value converts only if nothing is lost or guessed (ranges are checked,
// integers must be integers, text must be whole and well-formed), and an error says what was
// expected and what was found: `expected int, got text "abc"`, `value 3000000000 out of range for
// int`, `element 2: expected int, got boolean true`. See README.md for the table of conversions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "base/result.h"
#include "codec/datum.h"
#include "codec/time.h"
#include "cql/types/data_type.h"
#include "cql/types/value.h"

namespace sluice::codec {

class Converter {
 public:
  // Refuses (Errc::invalid_argument, with the reason) types it cannot fill: custom types, user
  // types whose fields are not known, malformed type trees; and bad settings (unknown zone, bad
  // pattern).
  static Result<Converter> make(const cql::DataType& type, const TimeSettings& settings);
  // The same, sharing an already compiled TimeParser (one per table, say).
  static Result<Converter> make(const cql::DataType& type, std::shared_ptr<const TimeParser> time);

  // missing -> cql::Unset; null -> cql::Null; otherwise the converted value, or
  // Errc::invalid_argument naming the CQL type and what was found. Inputs are quoted in messages
  // up to about 64 bytes.
  Result<cql::Value> convert(const Datum& d) const;

  const cql::DataType& type() const;
  const TimeParser& time() const;

  struct Node;  // the compiled type tree (convert.cc)
  struct Impl;

 private:
  explicit Converter(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

  std::shared_ptr<const Impl> impl_;
};

// Text helpers the converters use, shared with the decoders.

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
// U+10FFFF, no truncated sequences.
bool is_valid_utf8(std::string_view text);

// Strict base64: the standard alphabet (A-Z a-z 0-9 + /), padded with '=' to a multiple of 4
// characters, unused bits zero, no whitespace. Errc::invalid_argument with the reason (not the
// text) otherwise. "" decodes to "".
Result<std::string> decode_base64(std::string_view text);

// Text for an error message: in double quotes, JSON-style escapes, bytes that are not UTF-8 as
// \xNN, cut after about 64 bytes of input (then followed by "...").
std::string quote_for_message(std::string_view text);

}  // namespace sluice::codec

// Internal to cql/types: the spellings of native CQL types (CQL keywords and Cassandra marshal
// class names) and CQL identifier quoting, shared by DataType's printers and the type parsers.
// Pure functions over constant tables; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cql/types/data_type.h"

namespace sluice::cql {

inline constexpr std::string_view kMarshalPrefix = "org.apache.cassandra.db.marshal.";

// "int" for TypeId::int_; empty for non-native ids (collections, tuple, udt, vector, custom).
std::string_view native_type_name(TypeId id);
// "Int32Type" for TypeId::int_; empty for non-native ids.
std::string_view marshal_short_name(TypeId id);
// The native type a CQL keyword names, case-insensitively ("TEXT", "varchar" -> varchar).
std::optional<TypeId> native_type_from_name(std::string_view name);
// The native type a marshal class names (short name, without the package; DateType and
// LexicalUUIDType included as their modern equivalents).
std::optional<TypeId> native_type_from_marshal(std::string_view short_name);

// A name as CQL needs it written: bare if it is [a-z][a-z0-9_]*, else "double-quoted" with
// inner quotes doubled.
std::string quote_identifier(std::string_view name);
// Doubles single quotes, for '...' custom class literals.
std::string escape_single_quotes(std::string_view s);

}  // namespace sluice::cql

// DataType: a CQL type, as the native protocol carries it ([option]), as Cassandra's marshal classes
// spell it ('org.apache.cassandra.db.marshal.ListType(...)') and as system_schema writes it
// ("frozen<map<text, int>>", "vector<float, 3>").
//
// A plain value: copyable, comparable with ==, immutable once built. Collections, tuples, UDTs and
// vectors hold their parameters in a vector, so copies of those allocate. Thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace sluice::cql {

// The option ids of the protocol spec (section 4.2.5.2 in v4), plus `vector`.
enum class TypeId : std::uint16_t {
  custom = 0x0000,
  ascii = 0x0001,
  bigint = 0x0002,
  blob = 0x0003,
  boolean = 0x0004,
  counter = 0x0005,
  decimal = 0x0006,
  double_ = 0x0007,
  float_ = 0x0008,
  int_ = 0x0009,
  timestamp = 0x000B,
  uuid = 0x000C,
  varchar = 0x000D,  // text and varchar are one type
  varint = 0x000E,
  timeuuid = 0x000F,
  inet = 0x0010,
  date = 0x0011,
  time = 0x0012,
  smallint = 0x0013,
  tinyint = 0x0014,
  duration = 0x0015,
  list = 0x0020,
  map = 0x0021,
  set = 0x0022,
  udt = 0x0030,
  tuple = 0x0031,
  // Not a protocol id. Cassandra 5.0's vector<T, n> travels (v4 and v5) as the custom type
  // 'org.apache.cassandra.db.marshal.VectorType(T,n)'; read_data_type turns that class into this id,
  // and refuses 0xFF00 as an id on the wire.
  vector = 0xFF00,
};

struct DataType {
  TypeId id = TypeId::blob;
  std::string custom_class;             // custom: the marshal class as the server spelt it
  std::vector<DataType> params;         // list/set/vector: 1, map: 2, tuple: n, udt: field types
  std::string udt_keyspace, udt_name;   // udt
  std::vector<std::string> udt_fields;  // udt, parallel to params
  std::int32_t dimension = 0;           // vector: the element count, > 0
  bool frozen = false;                  // written as frozen<...> in schema; the protocol's [option] never says

  static DataType simple(TypeId id) { return DataType{.id = id}; }
  static DataType list_of(DataType element);
  static DataType set_of(DataType element);
  static DataType map_of(DataType key, DataType value);
  static DataType tuple_of(std::vector<DataType> elements);
  static DataType vector_of(DataType element, std::int32_t dimension);
  static DataType udt_of(std::string keyspace, std::string name, std::vector<std::pair<std::string, DataType>> fields);
  // The same type marked frozen (frozen<...> in schema strings, FrozenType(...) in marshal classes).
  DataType as_frozen() const;

  // CQL spelling as system_schema.columns.type writes it: "int", "frozen<list<text>>",
  // "map<text, bigint>", "vector<float, 3>", "ks.address" (or "address" without keyspace),
  // "'org.example.MyType'" for custom types. parse_cql_type reads it back.
  std::string to_string() const;
  // Cassandra's marshal class spelling, as a custom [option] carries it:
  // "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType,3)".
  // parse_marshal_type reads it back.
  std::string to_marshal_class() const;

  bool operator==(const DataType&) const = default;
};

// Nesting deeper than this is refused by every reader of types (wire, CQL strings, marshal classes).
inline constexpr int kMaxTypeDepth = 32;

// The length every value of this type has if that length is fixed, in Cassandra's sense
// (AbstractType.valueLengthIfFixed): boolean 1, int and float 4, bigint, double and timestamp 8,
// uuid and timeuuid 16, vector<fixed T, n> n * |T|. Everything else, counter, smallint, tinyint,
// date and time included, is variable. Decides how vector elements are framed.
std::optional<std::size_t> fixed_value_length(const DataType& type);

// Decodes an [option] type description. On malformed input marks the reader failed and returns
// a blob type; nesting deeper than kMaxTypeDepth is refused the same way. A custom type whose
// class names a known type (VectorType(...) above all) comes back as that type; an unknown or
// unparsable class stays custom.
DataType read_data_type(ByteReader& in);

// Looks up a user-defined type by keyspace and name (both as stored: unquoted, case kept) and
// returns it with its fields (TypeId::udt), or an error (Errc::not_found, say) that the parse
// passes on. Called once per UDT mention; may call parse_cql_type itself for field types.
using UdtResolver = std::function<Result<DataType>(std::string_view keyspace, std::string_view name)>;

struct TypeParseOptions {
  std::string keyspace;     // the keyspace of unqualified UDT names ("address" -> keyspace.address)
  UdtResolver resolve_udt;  // unset: a UDT name becomes a udt DataType with keyspace and name only
};

// Parses a CQL type string as system_schema.columns.type holds it (case-insensitive keywords,
// "double-quoted" names, 'quoted' custom classes). Errc::invalid_argument names what is wrong.
Result<DataType> parse_cql_type(std::string_view text, const TypeParseOptions& options = {});

// Parses a Cassandra marshal class name ("org.apache.cassandra.db.marshal.MapType(...)", short
// names without the package allowed). Known classes become their types (FrozenType(T) marks T
// frozen, ReversedType(T) is T); unknown classes become TypeId::custom keeping their text.
// Errc::invalid_argument on broken syntax or a malformed known class.
Result<DataType> parse_marshal_type(std::string_view class_name);

}  // namespace sluice::cql

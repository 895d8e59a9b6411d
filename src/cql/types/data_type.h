// DataType: a CQL type as carried in the native protocol's [option] encoding.
//
// Immutable after construction; cheap to copy for simple types (collections hold their
// parameters in a vector). Thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace sluice::cql {

// The option ids of the protocol spec (section 4.2.5.2 in v4).
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
  varchar = 0x000D,
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
};

struct DataType {
  TypeId id = TypeId::blob;
  std::string custom_class;               // for custom types
  std::vector<DataType> params;           // list/set: 1, map: 2, tuple: n, udt: field types
  std::string udt_keyspace, udt_name;     // for udt
  std::vector<std::string> udt_fields;    // for udt, parallel to params

  static DataType simple(TypeId id) { return DataType{.id = id}; }

  // "int", "list<text>", "map<text, bigint>" — CQL spelling, for messages.
  std::string to_string() const;
};

// Decodes an [option] type description. On malformed input marks the reader failed and
// returns a blob type; nesting deeper than 32 levels is refused the same way.
DataType read_data_type(ByteReader& in);

}  // namespace sluice::cql

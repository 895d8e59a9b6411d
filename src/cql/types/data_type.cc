#include "cql/types/data_type.h"

namespace sluice::cql {

namespace {

std::string read_short_string(ByteReader& in) {
  auto n = in.u16();
  return std::string(as_chars(in.take(n)));
}

DataType read_at_depth(ByteReader& in, int depth) {
  if (depth > 32) {
    in.fail();
    return {};
  }
  DataType t;
  t.id = static_cast<TypeId>(in.u16());
  switch (t.id) {
    case TypeId::custom:
      t.custom_class = read_short_string(in);
      break;
    case TypeId::list:
    case TypeId::set:
      t.params.push_back(read_at_depth(in, depth + 1));
      break;
    case TypeId::map:
      t.params.push_back(read_at_depth(in, depth + 1));
      t.params.push_back(read_at_depth(in, depth + 1));
      break;
    case TypeId::udt: {
      t.udt_keyspace = read_short_string(in);
      t.udt_name = read_short_string(in);
      auto n = in.u16();
      for (std::uint16_t i = 0; i < n && in.ok(); ++i) {
        t.udt_fields.push_back(read_short_string(in));
        t.params.push_back(read_at_depth(in, depth + 1));
      }
      break;
    }
    case TypeId::tuple: {
      auto n = in.u16();
      for (std::uint16_t i = 0; i < n && in.ok(); ++i) {
        t.params.push_back(read_at_depth(in, depth + 1));
      }
      break;
    }
    case TypeId::ascii: case TypeId::bigint: case TypeId::blob: case TypeId::boolean:
    case TypeId::counter: case TypeId::decimal: case TypeId::double_: case TypeId::float_:
    case TypeId::int_: case TypeId::timestamp: case TypeId::uuid: case TypeId::varchar:
    case TypeId::varint: case TypeId::timeuuid: case TypeId::inet: case TypeId::date:
    case TypeId::time: case TypeId::smallint: case TypeId::tinyint: case TypeId::duration:
      break;
    default:
      in.fail();
      return {};
  }
  return t;
}

}  // namespace

DataType read_data_type(ByteReader& in) { return read_at_depth(in, 0); }

std::string DataType::to_string() const {
  switch (id) {
    case TypeId::custom: return "'" + custom_class + "'";
    case TypeId::ascii: return "ascii";
    case TypeId::bigint: return "bigint";
    case TypeId::blob: return "blob";
    case TypeId::boolean: return "boolean";
    case TypeId::counter: return "counter";
    case TypeId::decimal: return "decimal";
    case TypeId::double_: return "double";
    case TypeId::float_: return "float";
    case TypeId::int_: return "int";
    case TypeId::timestamp: return "timestamp";
    case TypeId::uuid: return "uuid";
    case TypeId::varchar: return "text";
    case TypeId::varint: return "varint";
    case TypeId::timeuuid: return "timeuuid";
    case TypeId::inet: return "inet";
    case TypeId::date: return "date";
    case TypeId::time: return "time";
    case TypeId::smallint: return "smallint";
    case TypeId::tinyint: return "tinyint";
    case TypeId::duration: return "duration";
    case TypeId::list: return "list<" + params.at(0).to_string() + ">";
    case TypeId::set: return "set<" + params.at(0).to_string() + ">";
    case TypeId::map: return "map<" + params.at(0).to_string() + ", " + params.at(1).to_string() + ">";
    case TypeId::udt: return udt_keyspace + "." + udt_name;
    case TypeId::tuple: {
      std::string out = "tuple<";
      for (std::size_t i = 0; i < params.size(); ++i) {
        if (i) out += ", ";
        out += params[i].to_string();
      }
      return out + ">";
    }
  }
  return "unknown";
}

}  // namespace sluice::cql

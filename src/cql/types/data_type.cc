#include "cql/types/data_type.h"

#include "cql/types/type_names.h"

namespace sluice::cql {

namespace {

std::string read_short_string(ByteReader& in) {
  auto n = in.u16();
  return std::string(as_chars(in.take(n)));
}

DataType read_at_depth(ByteReader& in, int depth) {
  if (depth > kMaxTypeDepth) {
    in.fail();
    return {};
  }
  DataType t;
  auto raw_id = in.u16();
  if (raw_id == static_cast<std::uint16_t>(TypeId::vector)) {  // sluice's own id, never a wire id
    in.fail();
    return {};
  }
  t.id = static_cast<TypeId>(raw_id);
  switch (t.id) {
    case TypeId::custom: {
      t.custom_class = read_short_string(in);
      if (!in.ok()) return {};
      // Known classes (VectorType above all) become their types; unknown or garbled ones stay
      // custom and decode as blobs, which is what the server's own custom types need.
      auto parsed = parse_marshal_type(t.custom_class);
      if (parsed.ok()) return std::move(*parsed);
      break;
    }
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
    case TypeId::vector:
    default:
      in.fail();
      return {};
  }
  if (!in.ok()) return {};
  return t;
}

std::string join_params(const std::vector<DataType>& params, std::string_view separator,
                        std::string (DataType::*render)() const) {
  std::string out;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i) out += separator;
    out += (params[i].*render)();
  }
  return out;
}

// Collections and UDTs print frozen<...> / FrozenType(...); tuples are always frozen and
// Cassandra prints them bare in marshal classes, so only the CQL spelling keeps their mark.
bool freezable(TypeId id) {
  return id == TypeId::list || id == TypeId::set || id == TypeId::map || id == TypeId::udt ||
         id == TypeId::tuple;
}

// A parameter for printing; a hand-built type missing it prints as blob rather than throwing.
const DataType& param(const DataType& t, std::size_t i) {
  static const DataType kMissing{};
  return i < t.params.size() ? t.params[i] : kMissing;
}

}  // namespace

DataType read_data_type(ByteReader& in) { return read_at_depth(in, 0); }

DataType DataType::list_of(DataType element) { return DataType{.id = TypeId::list, .params = {std::move(element)}}; }

DataType DataType::set_of(DataType element) { return DataType{.id = TypeId::set, .params = {std::move(element)}}; }

DataType DataType::map_of(DataType key, DataType value) {
  return DataType{.id = TypeId::map, .params = {std::move(key), std::move(value)}};
}

DataType DataType::tuple_of(std::vector<DataType> elements) {
  return DataType{.id = TypeId::tuple, .params = std::move(elements)};
}

DataType DataType::vector_of(DataType element, std::int32_t dimension) {
  return DataType{.id = TypeId::vector, .params = {std::move(element)}, .dimension = dimension};
}

DataType DataType::udt_of(std::string keyspace, std::string name,
                          std::vector<std::pair<std::string, DataType>> fields) {
  DataType t{.id = TypeId::udt, .udt_keyspace = std::move(keyspace), .udt_name = std::move(name)};
  for (auto& [field, type] : fields) {
    t.udt_fields.push_back(std::move(field));
    t.params.push_back(std::move(type));
  }
  return t;
}

DataType DataType::as_frozen() const {
  DataType t = *this;
  t.frozen = true;
  return t;
}

std::string DataType::to_string() const {
  std::string body;
  switch (id) {
    case TypeId::custom: return "'" + escape_single_quotes(custom_class) + "'";
    case TypeId::list: body = "list<" + param(*this, 0).to_string() + ">"; break;
    case TypeId::set: body = "set<" + param(*this, 0).to_string() + ">"; break;
    case TypeId::map: body = "map<" + param(*this, 0).to_string() + ", " + param(*this, 1).to_string() + ">"; break;
    case TypeId::tuple: body = "tuple<" + join_params(params, ", ", &DataType::to_string) + ">"; break;
    case TypeId::udt:
      body = udt_keyspace.empty() ? quote_identifier(udt_name)
                                  : quote_identifier(udt_keyspace) + "." + quote_identifier(udt_name);
      break;
    case TypeId::vector:
      return "vector<" + param(*this, 0).to_string() + ", " + std::to_string(dimension) + ">";
    default: {
      auto name = native_type_name(id);
      return name.empty() ? "unknown" : std::string(name);
    }
  }
  return frozen ? "frozen<" + body + ">" : body;
}

std::string DataType::to_marshal_class() const {
  std::string body;
  switch (id) {
    case TypeId::custom: return custom_class;
    case TypeId::list: body = std::string(kMarshalPrefix) + "ListType(" + param(*this, 0).to_marshal_class() + ")"; break;
    case TypeId::set: body = std::string(kMarshalPrefix) + "SetType(" + param(*this, 0).to_marshal_class() + ")"; break;
    case TypeId::map:
      body = std::string(kMarshalPrefix) + "MapType(" + param(*this, 0).to_marshal_class() + "," +
             param(*this, 1).to_marshal_class() + ")";
      break;
    case TypeId::tuple:
      return std::string(kMarshalPrefix) + "TupleType(" + join_params(params, ",", &DataType::to_marshal_class) + ")";
    case TypeId::udt: {
      body = std::string(kMarshalPrefix) + "UserType(" + udt_keyspace + "," + to_hex(udt_name);
      for (std::size_t i = 0; i < params.size(); ++i) {
        std::string field = i < udt_fields.size() ? udt_fields[i] : std::string();
        body += "," + to_hex(field) + ":" + params[i].to_marshal_class();
      }
      body += ")";
      break;
    }
    case TypeId::vector:
      return std::string(kMarshalPrefix) + "VectorType(" + param(*this, 0).to_marshal_class() + "," +
             std::to_string(dimension) + ")";
    default: {
      auto name = marshal_short_name(id);
      return name.empty() ? std::string(kMarshalPrefix) + "BytesType" : std::string(kMarshalPrefix) + std::string(name);
    }
  }
  if (frozen && freezable(id)) return std::string(kMarshalPrefix) + "FrozenType(" + body + ")";
  return body;
}

std::optional<std::size_t> fixed_value_length(const DataType& type) {
  switch (type.id) {
    case TypeId::boolean: return 1;
    case TypeId::int_:
    case TypeId::float_: return 4;
    case TypeId::bigint:
    case TypeId::double_:
    case TypeId::timestamp: return 8;
    case TypeId::uuid:
    case TypeId::timeuuid: return 16;
    case TypeId::vector: {
      if (type.params.size() != 1 || type.dimension <= 0) return std::nullopt;
      auto element = fixed_value_length(type.params[0]);
      if (!element) return std::nullopt;
      return *element * static_cast<std::size_t>(type.dimension);
    }
    default: return std::nullopt;
  }
}

}  // namespace sluice::cql

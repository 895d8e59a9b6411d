#include "cql/types/type_names.h"

#include <array>

namespace sluice::cql {

namespace {

struct NativeName {
  TypeId id;
  std::string_view cql;
  std::string_view marshal;
};

constexpr std::array<NativeName, 20> kNatives{{
    {TypeId::ascii, "ascii", "AsciiType"},
    {TypeId::bigint, "bigint", "LongType"},
    {TypeId::blob, "blob", "BytesType"},
    {TypeId::boolean, "boolean", "BooleanType"},
    {TypeId::counter, "counter", "CounterColumnType"},
    {TypeId::decimal, "decimal", "DecimalType"},
    {TypeId::double_, "double", "DoubleType"},
    {TypeId::float_, "float", "FloatType"},
    {TypeId::int_, "int", "Int32Type"},
    {TypeId::timestamp, "timestamp", "TimestampType"},
    {TypeId::uuid, "uuid", "UUIDType"},
    {TypeId::varchar, "text", "UTF8Type"},
    {TypeId::varint, "varint", "IntegerType"},
    {TypeId::timeuuid, "timeuuid", "TimeUUIDType"},
    {TypeId::inet, "inet", "InetAddressType"},
    {TypeId::date, "date", "SimpleDateType"},
    {TypeId::time, "time", "TimeType"},
    {TypeId::smallint, "smallint", "ShortType"},
    {TypeId::tinyint, "tinyint", "ByteType"},
    {TypeId::duration, "duration", "DurationType"},
}};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

std::string_view native_type_name(TypeId id) {
  for (const auto& n : kNatives) {
    if (n.id == id) return n.cql;
  }
  return {};
}

std::string_view marshal_short_name(TypeId id) {
  for (const auto& n : kNatives) {
    if (n.id == id) return n.marshal;
  }
  return {};
}

std::optional<TypeId> native_type_from_name(std::string_view name) {
  if (iequals(name, "varchar")) return TypeId::varchar;
  for (const auto& n : kNatives) {
    if (iequals(name, n.cql)) return n.id;
  }
  return std::nullopt;
}

std::optional<TypeId> native_type_from_marshal(std::string_view short_name) {
  if (short_name == "DateType") return TypeId::timestamp;  // the pre-2.0 timestamp class
  if (short_name == "LexicalUUIDType") return TypeId::uuid;
  for (const auto& n : kNatives) {
    if (short_name == n.marshal) return n.id;
  }
  return std::nullopt;
}

std::string quote_identifier(std::string_view name) {
  bool bare = !name.empty() && name[0] >= 'a' && name[0] <= 'z';
  for (char c : name) {
    bare = bare && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  if (bare) return std::string(name);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

std::string escape_single_quotes(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  return out;
}

}  // namespace sluice::cql

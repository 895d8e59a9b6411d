// Why: our own codec checked only against our own reading of the spec could be consistently
// wrong. gen_vectors.py has the Python cassandra-driver serialize a few hundred values of every
// CQL type; this test demands the same bytes from encode_cell and write_value, and the same value
// back from decode_cell. It also checks that the type strings and marshal classes of the cases
// parse and print back.
//
// The file comes from $SLUICE_CQL_VECTORS (ctest runs the generator first); without it the test
// is skipped.
#include <simdjson.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cql/types/value.h"

namespace sluice::cql {
namespace {

using simdjson::dom::element;

Error json_error(std::string_view what) { return Error(Errc::invalid_argument, std::string(what)); }

// ---- JSON notation (see gen_vectors.py) -> Value -----------------------------------------------

Result<Value> from_json(const DataType& type, element e);

Result<std::vector<Value>> items_from_json(const DataType& element_type, element e) {
  simdjson::dom::array array;
  if (e.get(array)) return json_error("expected an array");
  std::vector<Value> out;
  for (element item : array) {
    auto v = from_json(element_type, item);
    if (!v.ok()) return v.error();
    out.push_back(std::move(*v));
  }
  return out;
}

Result<std::vector<Value>> components_from_json(const std::vector<DataType>& types, element e) {
  simdjson::dom::array array;
  if (e.get(array)) return json_error("expected an array");
  if (array.size() != types.size()) return json_error("wrong component count");
  std::vector<Value> out;
  std::size_t i = 0;
  for (element item : array) {
    auto v = from_json(types[i++], item);
    if (!v.ok()) return v.error();
    out.push_back(std::move(*v));
  }
  return out;
}

Result<double> number_from_json(element e) {
  std::string_view s;
  if (!e.get(s)) {
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    return json_error("bad float string");
  }
  std::int64_t i = 0;
  if (!e.get(i)) return static_cast<double>(i);
  double d = 0;
  if (e.get(d)) return json_error("expected a number");
  return d;
}

Result<std::int64_t> int_from_json(element e, std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  if (e.get(v) || v < min || v > max) return json_error("expected an integer in range");
  return v;
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

Result<Value> from_json(const DataType& type, element e) {
  if (e.is_null()) return Value(Null{});
  std::string_view s;
  switch (type.id) {
    case TypeId::ascii:
    case TypeId::varchar:
      if (e.get(s)) return json_error("expected a string");
      return Value(std::string(s));
    case TypeId::boolean: {
      bool b = false;
      if (e.get(b)) return json_error("expected a boolean");
      return Value(b);
    }
    case TypeId::tinyint: {
      auto v = int_from_json(e, -128, 127);
      if (!v.ok()) return v.error();
      return Value(static_cast<std::int8_t>(*v));
    }
    case TypeId::smallint: {
      auto v = int_from_json(e, -32768, 32767);
      if (!v.ok()) return v.error();
      return Value(static_cast<std::int16_t>(*v));
    }
    case TypeId::int_: {
      auto v = int_from_json(e, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max());
      if (!v.ok()) return v.error();
      return Value(static_cast<std::int32_t>(*v));
    }
    case TypeId::bigint:
    case TypeId::counter: {
      auto v = int_from_json(e, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
      if (!v.ok()) return v.error();
      return Value(*v);
    }
    case TypeId::varint: {
      if (e.get(s)) return json_error("expected a varint string");
      auto v = Varint::from_string(s);
      if (!v.ok()) return v.error();
      return Value(std::move(*v));
    }
    case TypeId::decimal: {
      if (e.get(s)) return json_error("expected a decimal string");
      auto v = Decimal::from_string(s);
      if (!v.ok()) return v.error();
      return Value(std::move(*v));
    }
    case TypeId::float_: {
      auto v = number_from_json(e);
      if (!v.ok()) return v.error();
      return Value(static_cast<float>(*v));
    }
    case TypeId::double_: {
      auto v = number_from_json(e);
      if (!v.ok()) return v.error();
      return Value(*v);
    }
    case TypeId::blob:
      if (e.get(s)) return json_error("expected a hex string");
      return Value(Blob{from_hex(s)});
    case TypeId::timestamp: {
      auto v = int_from_json(e, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
      if (!v.ok()) return v.error();
      return Value(Timestamp{*v});
    }
    case TypeId::date: {
      auto v = int_from_json(e, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max());
      if (!v.ok()) return v.error();
      return Value(Date::from_days_since_epoch(static_cast<std::int32_t>(*v)));
    }
    case TypeId::time: {
      auto v = int_from_json(e, 0, std::numeric_limits<std::int64_t>::max());
      if (!v.ok()) return v.error();
      return Value(Time{*v});
    }
    case TypeId::uuid:
    case TypeId::timeuuid: {
      if (e.get(s)) return json_error("expected a uuid string");
      auto v = Uuid::from_string(s);
      if (!v.ok()) return v.error();
      return Value(*v);
    }
    case TypeId::inet: {
      if (e.get(s)) return json_error("expected an address string");
      auto v = Inet::from_string(s);
      if (!v.ok()) return v.error();
      return Value(std::move(*v));
    }
    case TypeId::duration: {
      simdjson::dom::array a;
      if (e.get(a) || a.size() != 3) return json_error("expected [months, days, nanos]");
      std::int64_t parts[3] = {};
      std::size_t i = 0;
      for (element p : a) {
        if (p.get(parts[i++])) return json_error("expected integers");
      }
      return Value(Duration{static_cast<std::int32_t>(parts[0]), static_cast<std::int32_t>(parts[1]), parts[2]});
    }
    case TypeId::list:
    case TypeId::set:
    case TypeId::vector: {
      auto items = items_from_json(type.params.at(0), e);
      if (!items.ok()) return items.error();
      if (type.id == TypeId::list) return Value(List{std::move(*items)});
      if (type.id == TypeId::set) return Value(Set{std::move(*items)});
      return Value(Vector{std::move(*items)});
    }
    case TypeId::map: {
      simdjson::dom::array a;
      if (e.get(a)) return json_error("expected an array of pairs");
      Map m;
      for (element pair : a) {
        simdjson::dom::array kv;
        if (pair.get(kv) || kv.size() != 2) return json_error("expected [key, value]");
        auto k = from_json(type.params.at(0), kv.at(0).value());
        auto v = from_json(type.params.at(1), kv.at(1).value());
        if (!k.ok()) return k.error();
        if (!v.ok()) return v.error();
        m.entries.emplace_back(std::move(*k), std::move(*v));
      }
      return Value(std::move(m));
    }
    case TypeId::tuple: {
      auto items = components_from_json(type.params, e);
      if (!items.ok()) return items.error();
      return Value(Tuple{std::move(*items)});
    }
    case TypeId::udt: {
      auto items = components_from_json(type.params, e);
      if (!items.ok()) return items.error();
      return Value(Udt{std::move(*items)});
    }
    case TypeId::custom: break;
  }
  return json_error("no JSON notation for " + type.to_string());
}

// ---- comparison --------------------------------------------------------------------------------

// == except that floats compare by bits, so NaN matches NaN and -0.0 does not match 0.0.
bool identical(const Value& a, const Value& b);

bool identical_items(const std::vector<Value>& a, const std::vector<Value>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!identical(a[i], b[i])) return false;
  }
  return true;
}

bool identical(const Value& a, const Value& b) {
  if (a.index() != b.index()) return false;
  if (const auto* f = std::get_if<float>(&a))
    return std::bit_cast<std::uint32_t>(*f) == std::bit_cast<std::uint32_t>(std::get<float>(b));
  if (const auto* d = std::get_if<double>(&a))
    return std::bit_cast<std::uint64_t>(*d) == std::bit_cast<std::uint64_t>(std::get<double>(b));
  if (const auto* l = std::get_if<List>(&a)) return identical_items(l->items, std::get<List>(b).items);
  if (const auto* s = std::get_if<Set>(&a)) return identical_items(s->items, std::get<Set>(b).items);
  if (const auto* t = std::get_if<Tuple>(&a)) return identical_items(t->items, std::get<Tuple>(b).items);
  if (const auto* u = std::get_if<Udt>(&a)) return identical_items(u->fields, std::get<Udt>(b).fields);
  if (const auto* v = std::get_if<Vector>(&a)) return identical_items(v->items, std::get<Vector>(b).items);
  if (const auto* m = std::get_if<Map>(&a)) {
    const auto& n = std::get<Map>(b);
    if (m->entries.size() != n.entries.size()) return false;
    for (std::size_t i = 0; i < m->entries.size(); ++i) {
      if (!identical(m->entries[i].first, n.entries[i].first) ||
          !identical(m->entries[i].second, n.entries[i].second)) {
        return false;
      }
    }
    return true;
  }
  return a == b;
}

DataType strip_frozen(DataType t) {
  t.frozen = false;
  for (auto& p : t.params) p = strip_frozen(std::move(p));
  return t;
}

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    out.push_back(kHex[b >> 4U]);
    out.push_back(kHex[b & 0xFU]);
  }
  return out;
}

// UDTs of the file, served through the parse_cql_type resolver hook.
class UdtCatalog {
 public:
  UdtCatalog(std::string keyspace, std::map<std::string, std::vector<std::pair<std::string, std::string>>> udts)
      : keyspace_(std::move(keyspace)), udts_(std::move(udts)) {
    options_.keyspace = keyspace_;
    options_.resolve_udt = [this](std::string_view ks, std::string_view name) -> Result<DataType> {
      auto it = udts_.find(std::string(name));
      if (ks != keyspace_ || it == udts_.end()) return Error(Errc::not_found, "no such user type");
      std::vector<std::pair<std::string, DataType>> fields;
      for (const auto& [field, type_text] : it->second) {
        auto t = parse_cql_type(type_text, options_);
        if (!t.ok()) return t.error();
        fields.emplace_back(field, std::move(*t));
      }
      return DataType::udt_of(std::string(ks), std::string(name), std::move(fields));
    };
  }
  const TypeParseOptions& options() const { return options_; }

 private:
  std::string keyspace_;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> udts_;
  TypeParseOptions options_;
};

TEST(CqlTypesCrossCheck, MatchesThePythonDriver) {
  const char* path = std::getenv("SLUICE_CQL_VECTORS");
  // A cross-check that did not run proved nothing: no vectors is a failure, never a skip.
  ASSERT_TRUE(path != nullptr && *path != '\0') << "SLUICE_CQL_VECTORS is not set (ctest sets it)";

  simdjson::dom::parser parser;
  element doc;
  auto load_error = parser.load(path).get(doc);
  ASSERT_FALSE(load_error) << path << ": " << simdjson::error_message(load_error);

  std::string_view keyspace;
  ASSERT_FALSE(doc["keyspace"].get(keyspace));
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> udts;
  simdjson::dom::object udt_object;
  ASSERT_FALSE(doc["udts"].get(udt_object));
  for (auto [name, fields] : udt_object) {
    auto& list = udts[std::string(name)];
    for (element f : fields.get_array()) {
      list.emplace_back(std::string(f.at(0).get_string().value()), std::string(f.at(1).get_string().value()));
    }
  }
  UdtCatalog catalog(std::string(keyspace), std::move(udts));

  simdjson::dom::array cases;
  ASSERT_FALSE(doc["cases"].get(cases));
  std::size_t total = 0;
  std::size_t passed = 0;
  std::map<std::string, int> per_kind;
  for (element c : cases) {
    ++total;
    std::string_view type_text, marshal, want_hex;
    ASSERT_FALSE(c["type"].get(type_text));
    ASSERT_FALSE(c["marshal"].get(marshal));
    ASSERT_FALSE(c["hex"].get(want_hex));
    SCOPED_TRACE(
        fmt::format("case {}: {} = {}", total, type_text, simdjson::minify(c["value"].value()).substr(0, 200)));

    // The type string, its printed form and the marshal class all name the same type.
    auto type = parse_cql_type(type_text, catalog.options());
    ASSERT_TRUE(type.ok()) << type.error().to_string();
    auto reparsed = parse_cql_type(type->to_string(), catalog.options());
    ASSERT_TRUE(reparsed.ok()) << reparsed.error().to_string();
    EXPECT_EQ(*reparsed, *type) << type->to_string();
    EXPECT_EQ(type->to_marshal_class(), marshal);
    auto from_marshal = parse_marshal_type(marshal);
    ASSERT_TRUE(from_marshal.ok()) << from_marshal.error().to_string();
    EXPECT_EQ(strip_frozen(*from_marshal), strip_frozen(*type));

    auto value = from_json(*type, c["value"].value());
    ASSERT_TRUE(value.ok()) << value.error().to_string();
    std::string want = from_hex(want_hex);

    bool ok = true;
    auto typed = encode_cell(*type, *value);
    if (!typed.ok()) {
      ADD_FAILURE() << "encode_cell: " << typed.error().to_string();
      ok = false;
    } else if (*typed != want) {
      ADD_FAILURE() << "encode_cell gave " << hex(*typed) << "\n                  want " << want_hex;
      ok = false;
    }
    std::string untyped;
    ByteWriter w(untyped);
    write_value(*value, w);
    if (untyped.size() < 4 || untyped.substr(4) != want) {
      ADD_FAILURE() << "write_value gave " << hex(untyped) << " (with its length)\n               want " << want_hex;
      ok = false;
    }
    auto decoded = decode_cell(*type, as_bytes(want));
    if (!decoded.ok()) {
      ADD_FAILURE() << "decode_cell: " << decoded.error().to_string();
      ok = false;
    } else if (!identical(*decoded, *value)) {
      ADD_FAILURE() << "decode_cell gave " << to_display(*decoded) << ", want " << to_display(*value);
      ok = false;
    } else {
      // Scalars whose JSON notation is a string print back to the driver's spelling.
      std::string_view text;
      if (!c["value"].get(text)) {
        if (type->id == TypeId::decimal) {
          EXPECT_EQ(std::get<Decimal>(*decoded).to_string(), text);
        }
        if (type->id == TypeId::varint) {
          EXPECT_EQ(std::get<Varint>(*decoded).to_string(), text);
        }
        if (type->id == TypeId::inet) {
          EXPECT_EQ(std::get<Inet>(*decoded).to_string(), text);
        }
        if (type->id == TypeId::uuid) {
          EXPECT_EQ(std::get<Uuid>(*decoded).to_string(), text);
        }
      }
    }
    if (ok) {
      ++passed;
      ++per_kind[std::string(value_kind(*value))];
    }
  }
  std::string summary;
  for (const auto& [kind, n] : per_kind) summary += fmt::format(" {}:{}", kind, n);
  std::printf("cross-checked %zu/%zu cases against %s\nby value kind:%s\n", passed, total,
              std::string(doc["generator"].get_string().value_unsafe()).c_str(), summary.c_str());
  EXPECT_GE(total, 100U);
  EXPECT_EQ(passed, total);
}

}  // namespace
}  // namespace sluice::cql

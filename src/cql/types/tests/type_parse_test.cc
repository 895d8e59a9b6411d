// Why: schema tables (system_schema.columns.type) and custom [option]s describe columns as text;
// the sink plans its writes from those strings, so every spelling Cassandra uses must parse to
// the right DataType, print back the same, and garbage must be an error, never a crash.
#include <gtest/gtest.h>

#include "cql/types/data_type.h"

namespace sluice::cql {
namespace {

DataType T(TypeId id) { return DataType::simple(id); }

DataType parse(std::string_view text, const TypeParseOptions& options = {}) {
  auto r = parse_cql_type(text, options);
  EXPECT_TRUE(r.ok()) << text << ": " << r.error().to_string();
  return r.ok() ? *r : DataType{};
}

TEST(CqlTypeParse, NativeTypes) {
  struct Case {
    std::string_view text;
    TypeId id;
  };
  for (const auto& c : std::vector<Case>{
           {"ascii", TypeId::ascii},         {"bigint", TypeId::bigint},   {"blob", TypeId::blob},
           {"boolean", TypeId::boolean},     {"counter", TypeId::counter}, {"decimal", TypeId::decimal},
           {"double", TypeId::double_},      {"float", TypeId::float_},    {"int", TypeId::int_},
           {"timestamp", TypeId::timestamp}, {"uuid", TypeId::uuid},       {"text", TypeId::varchar},
           {"varchar", TypeId::varchar},     {"varint", TypeId::varint},   {"timeuuid", TypeId::timeuuid},
           {"inet", TypeId::inet},           {"date", TypeId::date},       {"time", TypeId::time},
           {"smallint", TypeId::smallint},   {"tinyint", TypeId::tinyint}, {"duration", TypeId::duration},
           {"  INT ", TypeId::int_},         {"Text", TypeId::varchar},
       }) {
    EXPECT_EQ(parse(c.text), T(c.id)) << c.text;
  }
  EXPECT_EQ(T(TypeId::varchar).to_string(), "text");
}

TEST(CqlTypeParse, CollectionsTuplesAndVectors) {
  auto t = parse("frozen<map<text, frozen<list<int>>>>");
  EXPECT_EQ(t, DataType::map_of(T(TypeId::varchar), DataType::list_of(T(TypeId::int_)).as_frozen()).as_frozen());
  EXPECT_EQ(t.to_string(), "frozen<map<text, frozen<list<int>>>>");
  EXPECT_EQ(parse("tuple<int, text>"), DataType::tuple_of({T(TypeId::int_), T(TypeId::varchar)}));
  auto v = parse("vector<float, 3>");
  EXPECT_EQ(v, DataType::vector_of(T(TypeId::float_), 3));
  EXPECT_EQ(v.to_string(), "vector<float, 3>");
  EXPECT_EQ(parse("vector<frozen<list<int>>, 2>").params.at(0).frozen, true);
  EXPECT_EQ(parse(" map < text , set< bigint > > "),
            DataType::map_of(T(TypeId::varchar), DataType::set_of(T(TypeId::bigint))));
  EXPECT_EQ(parse("LIST<Int>"), DataType::list_of(T(TypeId::int_)));
}

TEST(CqlTypeParse, UserTypesByName) {
  TypeParseOptions in_ks{.keyspace = "shop"};
  auto a = parse("frozen<address>", in_ks);
  EXPECT_EQ(a.id, TypeId::udt);
  EXPECT_TRUE(a.frozen);
  EXPECT_EQ(a.udt_keyspace, "shop");
  EXPECT_EQ(a.udt_name, "address");
  EXPECT_TRUE(a.params.empty());
  EXPECT_EQ(a.to_string(), "frozen<shop.address>");
  auto b = parse("other.Address");  // unquoted names are case-insensitive: stored lowercase
  EXPECT_EQ(b.udt_keyspace, "other");
  EXPECT_EQ(b.udt_name, "address");
  auto c = parse("list<frozen<\"My \"\"Type\"\"\">>", in_ks);
  EXPECT_EQ(c.params.at(0).udt_name, "My \"Type\"");
  EXPECT_EQ(c.to_string(), "list<frozen<shop.\"My \"\"Type\"\"\">>");
  EXPECT_EQ(parse(c.to_string()), c);
}

TEST(CqlTypeParse, ResolverSuppliesFields) {
  int calls = 0;
  TypeParseOptions options{.keyspace = "ks"};
  options.resolve_udt = [&](std::string_view ks, std::string_view name) -> Result<DataType> {
    ++calls;
    if (ks == "ks" && name == "point")
      return DataType::udt_of("ks", "point", {{"x", T(TypeId::double_)}, {"y", T(TypeId::double_)}});
    if (name == "weird") return T(TypeId::int_);
    return Error(Errc::not_found, "no such type");
  };
  auto t = parse("map<text, frozen<point>>", options);
  EXPECT_EQ(calls, 1);
  const auto& point = t.params.at(1);
  EXPECT_TRUE(point.frozen);
  EXPECT_EQ(point.udt_fields, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(point.params.size(), 2U);

  auto missing = parse_cql_type("frozen<nowhere>", options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), Errc::not_found);
  EXPECT_NE(missing.error().message().find("ks.nowhere"), std::string::npos);
  EXPECT_FALSE(parse_cql_type("weird", options).ok());  // the resolver must answer with a udt
}

TEST(CqlTypeParse, CustomClassesInQuotes) {
  auto v = parse("'org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType,3)'");
  EXPECT_EQ(v, DataType::vector_of(T(TypeId::float_), 3));
  auto custom = parse("'org.apache.cassandra.db.marshal.DynamicCompositeType(s=>UTF8Type, i=>Int32Type)'");
  EXPECT_EQ(custom.id, TypeId::custom);
  EXPECT_EQ(custom.custom_class, "org.apache.cassandra.db.marshal.DynamicCompositeType(s=>UTF8Type, i=>Int32Type)");
  EXPECT_EQ(parse(custom.to_string()), custom);
  EXPECT_EQ(parse("'it''s custom'").custom_class, "it's custom");
}

TEST(CqlTypeParse, GarbageIsAnError) {
  for (std::string_view bad : {"",
                               "   ",
                               "list<",
                               "list<int",
                               "list<int>>",
                               "map<int>",
                               "map<int, >",
                               "vector<float>",
                               "vector<float, 0>",
                               "vector<float, -1>",
                               "vector<float, 99999999999>",
                               "frozen<int>",
                               "int int",
                               "tuple<>",
                               "set<int,int>",
                               "'unterminated",
                               "\"unterminated",
                               "ks.",
                               "<int>",
                               "list<int>,",
                               "frozen",
                               "list"}) {
    auto r = parse_cql_type(bad);
    EXPECT_FALSE(r.ok()) << "'" << bad << "' parsed as " << r->to_string();
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), Errc::invalid_argument);
    }
  }
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "list<";
  deep += "int";
  for (int i = 0; i < 40; ++i) deep += ">";
  EXPECT_FALSE(parse_cql_type(deep).ok());
  std::string very_deep(100000, '<');
  EXPECT_FALSE(parse_cql_type("list" + very_deep).ok());
}

TEST(CqlTypeParse, EveryTypePrintsBackToItself) {
  for (std::string_view text :
       {"int", "frozen<list<frozen<set<text>>>>", "map<timeuuid, frozen<tuple<int, blob>>>",
        "tuple<varint, decimal, duration, inet, date, time, smallint, tinyint>", "vector<vector<float, 2>, 4>",
        "frozen<ks.address>", "list<ks.\"Odd Name\">", "'com.example.Custom'", "counter", "vector<text, 1>"}) {
    auto t = parse(text);
    EXPECT_EQ(t.to_string(), text);
    EXPECT_EQ(parse(t.to_string()), t);
  }
}

TEST(CqlMarshalType, KnownClassesBecomeTypes) {
  const std::string p = "org.apache.cassandra.db.marshal.";
  EXPECT_EQ(*parse_marshal_type(p + "Int32Type"), T(TypeId::int_));
  EXPECT_EQ(*parse_marshal_type("UTF8Type"), T(TypeId::varchar));
  EXPECT_EQ(*parse_marshal_type(p + "DateType"), T(TypeId::timestamp));
  EXPECT_EQ(*parse_marshal_type(p + "ReversedType(" + p + "LongType)"), T(TypeId::bigint));
  EXPECT_EQ(*parse_marshal_type(p + "FrozenType(" + p + "ListType(" + p + "Int32Type))"),
            DataType::list_of(T(TypeId::int_)).as_frozen());
  EXPECT_EQ(*parse_marshal_type("MapType(UTF8Type, SetType(ShortType))"),
            DataType::map_of(T(TypeId::varchar), DataType::set_of(T(TypeId::smallint))));
  EXPECT_EQ(*parse_marshal_type("TupleType(ByteType,SimpleDateType,TimeType)"),
            DataType::tuple_of({T(TypeId::tinyint), T(TypeId::date), T(TypeId::time)}));
  EXPECT_EQ(*parse_marshal_type(p + "VectorType(" + p + "FloatType,3)"), DataType::vector_of(T(TypeId::float_), 3));
  auto udt =
      parse_marshal_type(p + "UserType(ks,61646472657373,737472656574:" + p + "UTF8Type,7a6970:" + p + "Int32Type)");
  ASSERT_TRUE(udt.ok()) << udt.error().to_string();
  EXPECT_EQ(*udt, DataType::udt_of("ks", "address", {{"street", T(TypeId::varchar)}, {"zip", T(TypeId::int_)}}));
  EXPECT_EQ(udt->to_marshal_class(),
            p + "UserType(ks,61646472657373,737472656574:" + p + "UTF8Type,7a6970:" + p + "Int32Type)");
}

TEST(CqlMarshalType, UnknownClassesStayCustomAndGarbageFails) {
  auto c = parse_marshal_type("com.example.Geo(a,b(c))");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->id, TypeId::custom);
  EXPECT_EQ(c->custom_class, "com.example.Geo(a,b(c))");
  auto inner = parse_marshal_type("ListType(com.example.Geo)");
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ(inner->params.at(0).custom_class, "com.example.Geo");
  for (std::string_view bad : {"", "ListType(", "ListType(Int32Type", "MapType(Int32Type)", "UserType(ks,zz)",
                               "VectorType(FloatType,0)", "VectorType(FloatType)", "Int32Type)", "(", "Geo(a"}) {
    EXPECT_FALSE(parse_marshal_type(bad).ok()) << bad;
  }
}

TEST(CqlDataType, FixedLengthsFollowCassandra) {
  EXPECT_EQ(fixed_value_length(T(TypeId::boolean)), 1U);
  EXPECT_EQ(fixed_value_length(T(TypeId::int_)), 4U);
  EXPECT_EQ(fixed_value_length(T(TypeId::float_)), 4U);
  EXPECT_EQ(fixed_value_length(T(TypeId::bigint)), 8U);
  EXPECT_EQ(fixed_value_length(T(TypeId::double_)), 8U);
  EXPECT_EQ(fixed_value_length(T(TypeId::timestamp)), 8U);
  EXPECT_EQ(fixed_value_length(T(TypeId::uuid)), 16U);
  EXPECT_EQ(fixed_value_length(T(TypeId::timeuuid)), 16U);
  EXPECT_EQ(fixed_value_length(DataType::vector_of(T(TypeId::float_), 3)), 12U);
  for (auto id : {TypeId::counter, TypeId::smallint, TypeId::tinyint, TypeId::date, TypeId::time, TypeId::varchar,
                  TypeId::varint, TypeId::decimal, TypeId::inet, TypeId::duration, TypeId::blob}) {
    EXPECT_FALSE(fixed_value_length(T(id)).has_value()) << T(id).to_string();
  }
  EXPECT_FALSE(fixed_value_length(DataType::vector_of(T(TypeId::varchar), 3)).has_value());
}

TEST(CqlDataType, ReadsVectorsFromCustomOptions) {
  std::string cls = "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType,3)";
  std::string bytes("\x00\x00", 2);
  bytes += static_cast<char>(cls.size() >> 8U);
  bytes += static_cast<char>(cls.size() & 0xFFU);
  bytes += cls;
  ByteReader in(bytes);
  auto t = read_data_type(in);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(t, DataType::vector_of(T(TypeId::float_), 3));

  std::string garbled("\x00\x00\x00\x05Geo((", 9);  // an unparsable class stays custom
  ByteReader g(garbled);
  auto c = read_data_type(g);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(c.id, TypeId::custom);
  EXPECT_EQ(c.custom_class, "Geo((");

  std::string sluice_only("\xff\x00", 2);  // the vector id is sluice's own, not a wire id
  ByteReader s(sluice_only);
  (void)read_data_type(s);
  EXPECT_FALSE(s.ok());
}

TEST(CqlDataType, ReadsUdtOptions) {
  // udt ks.pt { x int, tags list<text> }
  std::string bytes("\x00\x30\x00\x02ks\x00\x02pt\x00\x02\x00\x01x\x00\x09\x00\x04tags\x00\x20\x00\x0d", 27);
  ByteReader in(bytes);
  auto t = read_data_type(in);
  ASSERT_TRUE(in.ok());
  EXPECT_TRUE(in.at_end());
  EXPECT_EQ(t, DataType::udt_of("ks", "pt", {{"x", T(TypeId::int_)}, {"tags", DataType::list_of(T(TypeId::varchar))}}));
  EXPECT_EQ(t.to_string(), "ks.pt");
}

}  // namespace
}  // namespace sluice::cql

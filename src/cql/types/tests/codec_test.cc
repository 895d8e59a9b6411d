// Why: a cell's bytes are what Cassandra stores and what it sends back. These vectors are worked
// out by hand from the protocol spec (v4/v5 section 6, [vint] and [unsigned vint] in section 3)
// and from Cassandra's VectorType, so they check our codec against the spec itself, not against
// itself. Hostile-input tests make sure a lying peer gets an error, never a crash or a huge
// allocation. write_typed tests pin down which values a column type takes.
#include <limits>

#include <gtest/gtest.h>

#include "cql/types/value.h"

namespace sluice::cql {
namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    if (hex[i] == ' ') {
      --i;
      continue;
    }
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

DataType T(TypeId id) { return DataType::simple(id); }

Varint V(std::string_view decimal) { return *Varint::from_string(decimal); }

Uuid U(std::string_view text) { return *Uuid::from_string(text); }

std::string encode(const DataType& type, const Value& value) {
  auto r = encode_cell(type, value);
  EXPECT_TRUE(r.ok()) << type.to_string() << ": " << r.error().to_string();
  return r.ok() ? *r : std::string();
}

Result<Value> decode(const DataType& type, std::string_view bytes) { return decode_cell(type, as_bytes(bytes)); }

struct Vec {
  DataType type;
  Value value;
  std::string hex;
};

// Encodes to exactly the spec's bytes, decodes back to the value, and the untyped writer agrees.
void check_vectors(const std::vector<Vec>& vectors) {
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.type.to_string() + " " + to_display(v.value));
    std::string want = unhex(v.hex);
    EXPECT_EQ(encode(v.type, v.value), want);
    auto decoded = decode(v.type, want);
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, v.value);
    std::string untyped;
    ByteWriter w(untyped);
    write_value(v.value, w);
    EXPECT_EQ(untyped.substr(4), want);
  }
}

TEST(CqlCodec, NativeTypesMatchTheSpec) {
  check_vectors({
      {T(TypeId::ascii), std::string("ab"), "6162"},
      {T(TypeId::varchar), std::string("\xc3\xa9"), "c3a9"},
      {T(TypeId::blob), Blob{std::string("\x00\xff", 2)}, "00ff"},
      {T(TypeId::boolean), true, "01"},
      {T(TypeId::boolean), false, "00"},
      {T(TypeId::tinyint), std::int8_t{-1}, "ff"},
      {T(TypeId::smallint), std::int16_t{-2}, "fffe"},
      {T(TypeId::int_), std::int32_t{0x01020304}, "01020304"},
      {T(TypeId::bigint), std::int64_t{-2}, "fffffffffffffffe"},
      {T(TypeId::counter), std::int64_t{7}, "0000000000000007"},
      {T(TypeId::float_), 1.0F, "3f800000"},
      {T(TypeId::double_), -2.0, "c000000000000000"},
      {T(TypeId::timestamp), Timestamp{1000}, "00000000000003e8"},
      {T(TypeId::date), Date{1U << 31U}, "80000000"},  // 2^31: 1970-01-01
      {T(TypeId::date), Date{0}, "00000000"},          // -5877641-06-23
      {T(TypeId::time), Time{86399999999999}, "00004e94914effff"},
      {T(TypeId::uuid), U("00112233-4455-6677-8899-aabbccddeeff"), "00112233445566778899aabbccddeeff"},
      {T(TypeId::timeuuid), U("e7e3b6a0-6e8a-11ee-b962-0242ac120002"), "e7e3b6a06e8a11eeb9620242ac120002"},
      {T(TypeId::inet), *Inet::from_string("127.0.0.1"), "7f000001"},
      {T(TypeId::inet), *Inet::from_string("::1"), "00000000000000000000000000000001"},
  });
}

TEST(CqlCodec, VarintMatchesTheSpecTable) {
  // Section 6.24 (v4 6.23): the spec's own examples.
  check_vectors({
      {T(TypeId::varint), V("0"), "00"},
      {T(TypeId::varint), V("1"), "01"},
      {T(TypeId::varint), V("127"), "7f"},
      {T(TypeId::varint), V("128"), "0080"},
      {T(TypeId::varint), V("129"), "0081"},
      {T(TypeId::varint), V("-1"), "ff"},
      {T(TypeId::varint), V("-128"), "80"},
      {T(TypeId::varint), V("-129"), "ff7f"},
      {T(TypeId::varint), V("18446744073709551616"), "010000000000000000"},  // 2^64
  });
}

TEST(CqlCodec, DecimalIsScaleThenVarint) {
  // "<unscaled>E<-scale>": 1.5 is 15 with scale 1; -0.01 is -1 with scale 2; 1E+3 is 1, scale -3.
  check_vectors({
      {T(TypeId::decimal), *Decimal::from_string("1.5"), "00000001 0f"},
      {T(TypeId::decimal), *Decimal::from_string("-0.01"), "00000002 ff"},
      {T(TypeId::decimal), *Decimal::from_string("1E+3"), "fffffffd 01"},
      {T(TypeId::decimal), *Decimal::from_string("0"), "00000000 00"},
  });
}

TEST(CqlCodec, DurationIsThreeZigzagVints) {
  check_vectors({
      {T(TypeId::duration), Duration{1, 2, 3}, "02 04 06"},
      {T(TypeId::duration), Duration{-1, -2, -3}, "01 03 05"},
      {T(TypeId::duration), Duration{0, 0, 64}, "00 00 8080"},  // 128: 10|000000 10000000
      // The spec's vint example: 256000 is [110]00011 11101000 00000000; zigzag(128000) = 256000.
      {T(TypeId::duration), Duration{0, 0, 128000}, "00 00 c3e800"},
      // A full 64-bit value takes 9 bytes, the first 0xFF.
      {T(TypeId::duration), Duration{0, 0, std::numeric_limits<std::int64_t>::min()}, "00 00 ffffffffffffffffff"},
      {T(TypeId::duration), Duration{0, 0, std::numeric_limits<std::int64_t>::max()}, "00 00 fffffffffffffffffe"},
  });
}

TEST(CqlCodec, CollectionsAreCountedIntLengthElements) {
  auto list_int = DataType::list_of(T(TypeId::int_));
  auto map_text_int = DataType::map_of(T(TypeId::varchar), T(TypeId::int_));
  auto set_nested = DataType::set_of(DataType::list_of(T(TypeId::tinyint)).as_frozen());
  check_vectors({
      {list_int, List{}, "00000000"},
      {list_int, List{{std::int32_t{1}, std::int32_t{2}}}, "00000002 00000004 00000001 00000004 00000002"},
      {map_text_int, Map{{{std::string("a"), std::int32_t{1}}}}, "00000001 00000001 61 00000004 00000001"},
      {set_nested, Set{{List{{std::int8_t{5}}}, List{}}}, "00000002 00000009 00000001 00000001 05 00000004 00000000"},
  });
}

TEST(CqlCodec, TuplesAndUdtsAreSequencesOfBytesWithNulls) {
  auto tuple = DataType::tuple_of({T(TypeId::int_), T(TypeId::varchar)});
  auto udt = DataType::udt_of("ks", "pt", {{"x", T(TypeId::int_)}, {"label", T(TypeId::varchar)}});
  check_vectors({
      {tuple, Tuple{{std::int32_t{1}, Null{}}}, "00000004 00000001 ffffffff"},
      {tuple, Tuple{{Null{}, std::string("")}}, "ffffffff 00000000"},
      {udt, Udt{{std::int32_t{-1}, std::string("z")}}, "00000004 ffffffff 00000001 7a"},
  });
  // A UDT value may stop early (fields added by ALTER TYPE): the missing fields are null.
  auto short_cell = decode(udt, unhex("00000004 00000009"));
  ASSERT_TRUE(short_cell.ok()) << short_cell.error().to_string();
  EXPECT_EQ(*short_cell, Value(Udt{{std::int32_t{9}, Null{}}}));
  // write_typed sends only the fields given.
  EXPECT_EQ(encode(udt, Udt{{std::int32_t{9}}}), unhex("00000004 00000009"));
}

TEST(CqlCodec, VectorsPackFixedElementsAndVintPrefixTheRest) {
  check_vectors({
      {DataType::vector_of(T(TypeId::float_), 2), Vector{{1.0F, 2.0F}}, "3f800000 40000000"},
      {DataType::vector_of(T(TypeId::bigint), 1), Vector{{std::int64_t{1}}}, "0000000000000001"},
      {DataType::vector_of(T(TypeId::varchar), 2), Vector{{std::string("a"), std::string("bc")}}, "01 61 02 6263"},
      // smallint, tinyint, date and time are variable-length in Cassandra's sense.
      {DataType::vector_of(T(TypeId::smallint), 1), Vector{{std::int16_t{1}}}, "02 0001"},
      {DataType::vector_of(T(TypeId::time), 1), Vector{{Time{1}}}, "08 0000000000000001"},
      {DataType::vector_of(DataType::vector_of(T(TypeId::int_), 2), 2),
       Vector{{Vector{{std::int32_t{1}, std::int32_t{2}}}, Vector{{std::int32_t{3}, std::int32_t{4}}}}},
       "00000001 00000002 00000003 00000004"},
      {DataType::vector_of(DataType::list_of(T(TypeId::int_)).as_frozen(), 1), Vector{{List{{std::int32_t{7}}}}},
       "0c 00000001 00000004 00000007"},
  });
  // A 200-byte element needs a two-byte length: 10|000000 11001000.
  std::string long_text(200, 'x');
  EXPECT_EQ(encode(DataType::vector_of(T(TypeId::varchar), 1), Vector{{long_text}}), unhex("80c8") + long_text);
}

TEST(CqlCodec, EmptyCellsOfNonStringTypesAreNull) {
  for (auto id : {TypeId::int_, TypeId::bigint, TypeId::boolean, TypeId::varint, TypeId::decimal, TypeId::uuid,
                  TypeId::inet, TypeId::duration, TypeId::timestamp}) {
    auto r = decode(T(id), "");
    ASSERT_TRUE(r.ok()) << T(id).to_string();
    EXPECT_EQ(*r, Value(Null{})) << T(id).to_string();
  }
  EXPECT_EQ(*decode(DataType::list_of(T(TypeId::int_)), ""), Value(Null{}));
  EXPECT_EQ(*decode(T(TypeId::varchar), ""), Value(std::string()));
  EXPECT_EQ(*decode(T(TypeId::blob), ""), Value(Blob{}));
}

TEST(CqlCodec, CustomTypesDecodeAsBlobs) {
  DataType custom{.id = TypeId::custom, .custom_class = "com.example.Geo"};
  EXPECT_EQ(*decode(custom, "\x01\x02"), Value(Blob{"\x01\x02"}));
  EXPECT_EQ(encode(custom, Blob{"\x03"}), "\x03");
}

// ---- hostile input --------------------------------------------------------------------------

void expect_protocol_error(const DataType& type, std::string_view hex) {
  auto r = decode(type, unhex(hex));
  ASSERT_FALSE(r.ok()) << type.to_string() << " decoded " << hex << " as " << to_display(*r);
  EXPECT_EQ(r.error().code(), Errc::protocol) << r.error().to_string();
}

TEST(CqlCodecHostile, WrongFixedSizesAreProtocolErrors) {
  expect_protocol_error(T(TypeId::int_), "000001");
  expect_protocol_error(T(TypeId::bigint), "00");
  expect_protocol_error(T(TypeId::uuid), "00112233");
  expect_protocol_error(T(TypeId::inet), "0102030405");
  expect_protocol_error(T(TypeId::decimal), "00000001");  // a scale and no unscaled value
  expect_protocol_error(T(TypeId::boolean), "0101");
}

TEST(CqlCodecHostile, LyingCountsDoNotAllocate) {
  auto list = DataType::list_of(T(TypeId::int_));
  expect_protocol_error(list, "ffffffff");           // negative count
  expect_protocol_error(list, "7fffffff 00000000");  // 2^31-1 elements in 4 bytes
  expect_protocol_error(DataType::map_of(T(TypeId::int_), T(TypeId::int_)), "7fffffff 00000000 00000000");
  expect_protocol_error(list, "00000001 7fffffff 00");           // element longer than the cell
  expect_protocol_error(list, "00000001 00000004 00000001 ff");  // trailing byte
  expect_protocol_error(list, "000000");                         // no count at all
  auto huge_vector = DataType::vector_of(T(TypeId::varchar), std::numeric_limits<std::int32_t>::max());
  expect_protocol_error(huge_vector, "0161");
  auto huge_fixed = DataType::vector_of(T(TypeId::bigint), std::numeric_limits<std::int32_t>::max());
  expect_protocol_error(huge_fixed, "0000000000000001");
}

TEST(CqlCodecHostile, BrokenVectorsTuplesAndDurations) {
  expect_protocol_error(DataType::vector_of(T(TypeId::float_), 3), "3f800000 40000000");
  expect_protocol_error(DataType::vector_of(T(TypeId::varchar), 2), "01 61 ff ffffffffffffffff");  // length > rest
  expect_protocol_error(DataType::vector_of(T(TypeId::varchar), 1), "01 61 62");                   // trailing
  expect_protocol_error(DataType::tuple_of({T(TypeId::int_)}), "00000004 00000001 00");
  expect_protocol_error(DataType::tuple_of({T(TypeId::int_)}), "00000008 00000001");
  expect_protocol_error(T(TypeId::duration), "02 04");               // two vints
  expect_protocol_error(T(TypeId::duration), "02 04 c0");            // a truncated vint
  expect_protocol_error(T(TypeId::duration), "02 04 06 00");         // a fourth
  expect_protocol_error(T(TypeId::duration), "f8ffffffffff 00 00");  // months beyond 32 bits
}

TEST(CqlCodecHostile, DeepNestingIsRefused) {
  DataType t = T(TypeId::int_);
  std::string cell = unhex("00000004 00000001");
  for (int i = 0; i < 200; ++i) {
    t = DataType::list_of(std::move(t));
    std::string outer = unhex("00000001");
    auto n = static_cast<std::uint32_t>(cell.size());
    outer += std::string{static_cast<char>(n >> 24U), static_cast<char>((n >> 16U) & 0xFFU),
                         static_cast<char>((n >> 8U) & 0xFFU), static_cast<char>(n & 0xFFU)};
    cell = outer + cell;
  }
  auto r = decode(t, cell);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Errc::protocol);
}

TEST(CqlCodecHostile, UnresolvedUdtIsAnErrorNotACrash) {
  DataType t{.id = TypeId::udt, .udt_keyspace = "ks", .udt_name = "address"};
  auto r = decode(t, std::string(4, '\0'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Errc::invalid_argument);
  EXPECT_FALSE(encode_cell(t, Udt{}).ok());
}

TEST(CqlCodecHostile, HandBuiltMalformedTypesAreErrors) {
  DataType list{.id = TypeId::list};  // no element type
  EXPECT_EQ(list.to_string(), "list<blob>");
  EXPECT_EQ(decode(list, unhex("00000000")).error().code(), Errc::invalid_argument);
  EXPECT_FALSE(encode_cell(list, List{{Blob{}}}).ok());
  EXPECT_FALSE(encode_cell(DataType::vector_of(T(TypeId::int_), 0), Vector{}).ok());
}

// ---- write_typed: which values a column takes ------------------------------------------------

std::string typed_error(const DataType& type, const Value& value) {
  std::string out = "untouched";
  ByteWriter w(out);
  auto s = write_typed(type, value, w);
  EXPECT_FALSE(s.ok()) << type.to_string() << " took " << to_display(value);
  EXPECT_EQ(out, "untouched") << "a failed write_typed must append nothing";
  return s.ok() ? std::string() : s.error().message();
}

TEST(CqlWriteTyped, NamesColumnTypeAndValueWhenItDoesNotFit) {
  EXPECT_EQ(typed_error(T(TypeId::int_), std::int64_t{5000000000}),
            "column type int cannot take a bigint value 5000000000");
  EXPECT_EQ(typed_error(T(TypeId::varchar), Blob{"x"}), "column type text cannot take a blob value <1 bytes>");
  EXPECT_EQ(typed_error(DataType::list_of(T(TypeId::int_)), List{{std::int32_t{1}, std::int64_t{2}}}),
            "column type list<int> element 1: type int cannot take a bigint value 2");
  EXPECT_EQ(typed_error(T(TypeId::ascii), std::string("h\xc3\xa9")),
            "column type ascii cannot take a text value 'h\xc3\xa9' (not ASCII)");
}

TEST(CqlWriteTyped, AllowsOnlyLosslessWidening) {
  auto bigint = T(TypeId::bigint);
  EXPECT_EQ(encode(bigint, std::int8_t{-1}), unhex("ffffffffffffffff"));
  EXPECT_EQ(encode(bigint, std::int16_t{2}), unhex("0000000000000002"));
  EXPECT_EQ(encode(bigint, std::int32_t{3}), unhex("0000000000000003"));
  EXPECT_EQ(encode(T(TypeId::int_), std::int16_t{-2}), unhex("fffffffe"));
  EXPECT_EQ(encode(T(TypeId::smallint), std::int8_t{1}), unhex("0001"));
  EXPECT_EQ(encode(T(TypeId::double_), 1.5F), unhex("3ff8000000000000"));
  EXPECT_EQ(encode(T(TypeId::varint), std::int32_t{128}), unhex("0080"));
  EXPECT_EQ(encode(T(TypeId::decimal), std::int64_t{-1}), unhex("00000000 ff"));
  EXPECT_EQ(encode(T(TypeId::decimal), V("300")), unhex("00000000 012c"));
  EXPECT_EQ(encode(T(TypeId::ascii), std::string("ok")), "ok");

  typed_error(T(TypeId::tinyint), std::int16_t{1});
  typed_error(T(TypeId::smallint), std::int32_t{1});
  typed_error(T(TypeId::int_), 1.0);
  typed_error(T(TypeId::float_), 1.0);  // double into float loses
  typed_error(T(TypeId::bigint), V("1"));
  typed_error(T(TypeId::timestamp), std::int64_t{1});
  typed_error(T(TypeId::blob), std::string("text is not a blob"));
  typed_error(T(TypeId::boolean), std::int32_t{1});
}

TEST(CqlWriteTyped, ChecksTheValueItself) {
  EXPECT_NE(typed_error(T(TypeId::varchar), std::string("\xff\xfe")).find("not valid UTF-8"), std::string::npos);
  typed_error(T(TypeId::varchar), std::string("\xc0\x80"));      // overlong NUL
  typed_error(T(TypeId::varchar), std::string("\xed\xa0\x80"));  // a surrogate
  typed_error(T(TypeId::varchar), std::string("\xe2\x82"));      // truncated
  EXPECT_EQ(encode(T(TypeId::varchar), std::string("\xf0\x9f\x98\x80")), "\xf0\x9f\x98\x80");

  Uuid v4 = U("7c9e6679-7425-40de-944b-e07fc1f90ae7");
  EXPECT_NE(typed_error(T(TypeId::timeuuid), v4).find("version 4, not 1"), std::string::npos);
  EXPECT_EQ(encode(T(TypeId::uuid), v4).size(), 16U);
  typed_error(T(TypeId::time), Time{-1});
  typed_error(T(TypeId::time), Time{86400000000000});
  typed_error(T(TypeId::inet), Inet{"12345"});
  typed_error(T(TypeId::duration), Duration{1, -1, 0});
  typed_error(T(TypeId::varint), Varint{""});
}

TEST(CqlWriteTyped, ShapesMustMatch) {
  auto list = DataType::list_of(T(TypeId::int_));
  typed_error(list, Set{});  // a set is not a list
  EXPECT_NE(typed_error(list, List{{Null{}}}).find("null is not allowed"), std::string::npos);
  typed_error(DataType::map_of(T(TypeId::int_), T(TypeId::int_)), Map{{{std::int32_t{1}, Unset{}}}});
  typed_error(DataType::tuple_of({T(TypeId::int_), T(TypeId::int_)}), Tuple{{std::int32_t{1}}});
  typed_error(DataType::tuple_of({T(TypeId::int_)}), Tuple{{Unset{}}});
  typed_error(DataType::udt_of("ks", "u", {{"a", T(TypeId::int_)}}), Udt{{std::int32_t{1}, std::int32_t{2}}});
  typed_error(DataType::vector_of(T(TypeId::float_), 2), Vector{{1.0F}});
  typed_error(DataType::vector_of(T(TypeId::float_), 1), Vector{{Null{}}});
  EXPECT_NE(
      typed_error(DataType::udt_of("ks", "u", {{"zip", T(TypeId::int_)}}), Udt{{std::string("x")}}).find("field zip"),
      std::string::npos);
}

TEST(CqlWriteTyped, NullAndUnsetAtTheTopLevel) {
  std::string out;
  ByteWriter w(out);
  ASSERT_TRUE(write_typed(T(TypeId::int_), Null{}, w).ok());
  ASSERT_TRUE(write_typed(DataType::list_of(T(TypeId::int_)), Unset{}, w).ok());
  ASSERT_TRUE(write_typed(T(TypeId::int_), std::int32_t{1}, w).ok());
  EXPECT_EQ(out, unhex("ffffffff fffffffe 00000004 00000001"));
  EXPECT_FALSE(encode_cell(T(TypeId::int_), Null{}).ok());
}

// ---- the value helpers ----------------------------------------------------------------------

TEST(CqlVarint, ConvertsToAndFromDecimalAndInt64) {
  for (std::string_view s : {"0", "1", "-1", "127", "128", "-128", "-129", "255", "-256", "9223372036854775807",
                             "-9223372036854775808", "18446744073709551616", "-340282366920938463463374607431768211456",
                             "100000000000000000000000000000000000000000"}) {
    auto v = Varint::from_string(s);
    ASSERT_TRUE(v.ok()) << s;
    EXPECT_EQ(v->to_string(), s);
  }
  EXPECT_EQ(Varint::from_string("-0")->to_string(), "0");
  EXPECT_EQ(Varint::from_string("+007")->to_string(), "7");
  EXPECT_EQ(*Varint::from_string("-9223372036854775808")->to_int64(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(*Varint::from_int64(-129).to_int64(), -129);
  EXPECT_EQ(Varint::from_int64(std::numeric_limits<std::int64_t>::max()).to_string(), "9223372036854775807");
  EXPECT_FALSE(Varint::from_string("9223372036854775808")->to_int64().ok());
  EXPECT_EQ(Varint::from_bytes(std::string("\x00\x00\x01", 3)), V("1"));  // made canonical
  EXPECT_EQ(Varint::from_bytes(std::string("\xff\xff\x80", 3)), V("-128"));
  for (std::string_view bad : {"", "-", "1.0", "abc", "1 2", "0x10"})
    EXPECT_FALSE(Varint::from_string(bad).ok()) << bad;
}

TEST(CqlDecimal, KeepsTheScaleAndSpellsLikeBigDecimal) {
  struct Case {
    std::string_view in;
    std::string_view unscaled;
    std::int32_t scale;
    std::string_view out;
  };
  for (const auto& c : std::vector<Case>{
           {"1.0", "10", 1, "1.0"},
           {"1.00", "100", 2, "1.00"},
           {"-12.345", "-12345", 3, "-12.345"},
           {"1E+3", "1", -3, "1E+3"},
           {"1e3", "1", -3, "1E+3"},
           {"0.0000001", "1", 7, "1E-7"},
           {"0.000001", "1", 6, "0.000001"},
           {"123.456e2", "123456", 1, "12345.6"},
           {".5", "5", 1, "0.5"},
           {"5.", "5", 0, "5"},
           {"0E-10", "0", 10, "0E-10"},
           {"-1.2345E-20", "-12345", 24, "-1.2345E-20"},
           {"12E+1", "12", -1, "1.2E+2"},
       }) {
    auto d = Decimal::from_string(c.in);
    ASSERT_TRUE(d.ok()) << c.in;
    EXPECT_EQ(d->unscaled.to_string(), c.unscaled) << c.in;
    EXPECT_EQ(d->scale, c.scale) << c.in;
    EXPECT_EQ(d->to_string(), c.out) << c.in;
  }
  EXPECT_NE(*Decimal::from_string("1.0"), *Decimal::from_string("1.00"));
  for (std::string_view bad : {"", "-", ".", "1e", "1e+", "--1", "1..2", "abc", "1E-3000000000", "1 "}) {
    EXPECT_FALSE(Decimal::from_string(bad).ok()) << bad;
  }
}

TEST(CqlInetAndUuid, ParseAndPrint) {
  EXPECT_EQ(Inet::from_string("10.1.2.3")->bytes, std::string("\x0a\x01\x02\x03"));
  EXPECT_EQ(Inet::from_string("2001:db8::1")->to_string(), "2001:db8::1");
  EXPECT_EQ(Inet::from_string("::ffff:1.2.3.4")->bytes.size(), 16U);
  for (std::string_view bad : {"", "1.2.3", "1.2.3.256", "::g", "localhost"})
    EXPECT_FALSE(Inet::from_string(bad).ok()) << bad;
  EXPECT_EQ(U("E7E3B6A0-6E8A-11EE-B962-0242AC120002").to_string(), "e7e3b6a0-6e8a-11ee-b962-0242ac120002");
  EXPECT_EQ(U("e7e3b6a0-6e8a-11ee-b962-0242ac120002").version(), 1);
  for (std::string_view bad : {"", "e7e3b6a06e8a11eeb9620242ac120002", "e7e3b6a0-6e8a-11ee-b962-0242ac12000g",
                               "e7e3b6a0-6e8a-11ee-b962-0242ac1200021"}) {
    EXPECT_FALSE(Uuid::from_string(bad).ok()) << bad;
  }
}

TEST(CqlValue, DisplaysNestedValues) {
  Value v = Map{{{std::string("k"), List{{std::int32_t{1}, Null{}}}}}};
  EXPECT_EQ(to_display(v), "{'k': [1, null]}");
  EXPECT_EQ(to_display(Tuple{{*Decimal::from_string("1.50"), V("-7"), Duration{1, 2, 3}}}), "(1.50, -7, 1mo2d3ns)");
  EXPECT_EQ(to_display(Vector{{1.5F}}), "[1.5]");
  EXPECT_EQ(value_kind(Value(std::int16_t{1})), "smallint");
  EXPECT_EQ(value_kind(Value(Udt{})), "udt");
}

}  // namespace
}  // namespace sluice::cql

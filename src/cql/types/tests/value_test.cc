// Why: a bound value's bytes are what Cassandra stores; these vectors come from the v4 spec
// (section 6) and must round-trip through decode_cell exactly.
#include "cql/types/value.h"

#include <gtest/gtest.h>

namespace sluice::cql {
namespace {

std::string encode(const Value& v) {
  std::string out;
  ByteWriter w(out);
  write_value(v, w);
  return out;
}

TEST(CqlValue, EncodesWithLengthPrefix) {
  EXPECT_EQ(encode(std::int32_t{1}), std::string("\x00\x00\x00\x04\x00\x00\x00\x01", 8));
  EXPECT_EQ(encode(std::int64_t{-1}), std::string("\x00\x00\x00\x08\xff\xff\xff\xff\xff\xff\xff\xff", 12));
  EXPECT_EQ(encode(true), std::string("\x00\x00\x00\x01\x01", 5));
  EXPECT_EQ(encode(std::string("hé")), std::string("\x00\x00\x00\x03h\xc3\xa9", 7));
  EXPECT_EQ(encode(Null{}), std::string("\xff\xff\xff\xff", 4));
  EXPECT_EQ(encode(Unset{}), std::string("\xff\xff\xff\xfe", 4));
  EXPECT_EQ(encode(1.0), std::string("\x00\x00\x00\x08\x3f\xf0\x00\x00\x00\x00\x00\x00", 12));
  EXPECT_EQ(encode(Timestamp{1000}), std::string("\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x03\xe8", 12));
}

TEST(CqlValue, RoundTripsEverySupportedType) {
  struct Case {
    TypeId type;
    Value value;
  };
  Uuid u;
  for (std::size_t i = 0; i < 16; ++i) u.bytes[i] = static_cast<std::uint8_t>(i * 17);
  std::vector<Case> cases{
      {TypeId::int_, std::int32_t{-123456}}, {TypeId::bigint, std::int64_t{1LL << 40}},
      {TypeId::smallint, std::int16_t{-2}},  {TypeId::tinyint, std::int8_t{-128}},
      {TypeId::boolean, false},              {TypeId::double_, -2.5},
      {TypeId::float_, 3.25F},               {TypeId::varchar, std::string("text")},
      {TypeId::ascii, std::string("abc")},   {TypeId::blob, Blob{std::string("\x00\x01", 2)}},
      {TypeId::timestamp, Timestamp{-5}},    {TypeId::date, Date{(1U << 31U) + 19000}},
      {TypeId::time, Time{86399999999999}},  {TypeId::uuid, u},
      {TypeId::timeuuid, u},
  };
  for (const auto& c : cases) {
    std::string bytes = encode(c.value);
    auto cell = as_bytes(bytes).subspan(4);
    auto decoded = decode_cell(DataType::simple(c.type), cell);
    ASSERT_TRUE(decoded.ok()) << DataType::simple(c.type).to_string() << ": " << decoded.error().to_string();
    EXPECT_EQ(*decoded, c.value) << DataType::simple(c.type).to_string();
  }
}

TEST(CqlValue, WrongCellSizeIsAProtocolError) {
  std::string three("\x00\x00\x01", 3);
  auto r = decode_cell(DataType::simple(TypeId::int_), as_bytes(three));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Errc::protocol);
}

TEST(CqlValue, UuidPrintsCanonically) {
  Uuid u;
  for (std::size_t i = 0; i < 16; ++i) u.bytes[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(u.to_string(), "00010203-0405-0607-0809-0a0b0c0d0e0f");
}

TEST(CqlDataType, ReadsNestedOptions) {
  // map<text, list<int>>
  std::string bytes("\x00\x21\x00\x0d\x00\x20\x00\x09", 8);
  ByteReader in(bytes);
  auto t = read_data_type(in);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(t.to_string(), "map<text, list<int>>");
}

TEST(CqlDataType, RefusesUnknownIdAndDeepNesting) {
  std::string unknown("\x00\x99", 2);
  ByteReader a(unknown);
  (void)read_data_type(a);
  EXPECT_FALSE(a.ok());
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += std::string("\x00\x20", 2);
  deep += std::string("\x00\x09", 2);
  ByteReader b(deep);
  (void)read_data_type(b);
  EXPECT_FALSE(b.ok());
}

}  // namespace
}  // namespace sluice::cql

// Why: Avro records arrive from Kafka in two framings and may be hostile. These tests pin the
// Datum each Avro type becomes, the error a user sees for each malformed record, and that lengths
// and counts claiming more than the record holds fail cleanly (Avro C alone would allocate them).
#include "codec/avro.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace sluice::codec {
namespace {

// A tiny Avro binary encoder, written from the spec.
class Enc {
 public:
  Enc& lng(std::int64_t v) {
    auto n = (static_cast<std::uint64_t>(v) << 1U) ^ static_cast<std::uint64_t>(v >> 63);
    while (n >= 0x80) {
      out_.push_back(static_cast<char>((n & 0x7fU) | 0x80U));
      n >>= 7U;
    }
    out_.push_back(static_cast<char>(n));
    return *this;
  }
  Enc& boolean(bool b) { return byte(b ? 1 : 0); }
  Enc& byte(unsigned char b) {
    out_.push_back(static_cast<char>(b));
    return *this;
  }
  Enc& raw(std::string_view s) {
    out_.append(s);
    return *this;
  }
  Enc& str(std::string_view s) { return lng(static_cast<std::int64_t>(s.size())).raw(s); }
  Enc& f32(float f) {
    char b[4];
    std::memcpy(b, &f, 4);  // little-endian host
    return raw(std::string_view(b, 4));
  }
  Enc& f64(double d) {
    char b[8];
    std::memcpy(b, &d, 8);
    return raw(std::string_view(b, 8));
  }
  const std::string& bytes() const { return out_; }
  operator std::string() const { return out_; }  // NOLINT(google-explicit-constructor)

 private:
  std::string out_;
};

std::string confluent(std::int32_t id, std::string_view body) {
  std::string out(1, '\0');
  const auto u = static_cast<std::uint32_t>(id);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((u >> shift) & 0xffU));
  out.append(body);
  return out;
}

std::shared_ptr<const AvroSchemas> schemas_of(const std::string& json, std::int32_t id = 0) {
  auto s = AvroSchemas::from_json({{id, json}});
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message());
  return s.ok() ? *s : nullptr;
}

// Decodes `body` (plain wire) with a one-schema set.
class Plain {
 public:
  explicit Plain(const std::string& schema) : decoder_(schemas_of(schema), AvroWire::plain) {}
  Result<Datum> decode(std::string_view body) { return decoder_.decode(body); }
  std::string error(std::string_view body) {
    auto r = decoder_.decode(body);
    if (r.ok()) return "(decoded)";
    EXPECT_EQ(r.error().code(), Errc::invalid_argument);
    return r.error().message();
  }

 private:
  AvroDecoder decoder_;
};

std::string record_of(const std::string& field_type) {
  return R"({"type":"record","name":"R","fields":[{"name":"f","type":)" + field_type + "}]}";
}

// ---------------------------------------------------------------------------------------------
// Types

TEST(AvroDecode, EveryPrimitive) {
  Plain p(R"({"type":"record","name":"P","fields":[
    {"name":"n","type":"null"},{"name":"t","type":"boolean"},{"name":"f","type":"boolean"},
    {"name":"i","type":"int"},{"name":"imin","type":"int"},{"name":"l","type":"long"},{"name":"lmin","type":"long"},
    {"name":"fl","type":"float"},{"name":"d","type":"double"},{"name":"b","type":"bytes"},
    {"name":"s","type":"string"},{"name":"e","type":"string"}]})");
  const std::string bin("\x00\x01\xff", 3);
  Enc e;
  e.boolean(true).boolean(false);
  e.lng(std::numeric_limits<std::int32_t>::max()).lng(std::numeric_limits<std::int32_t>::min());
  e.lng(std::numeric_limits<std::int64_t>::max()).lng(std::numeric_limits<std::int64_t>::min());
  e.f32(1.5F).f64(-2.25).str(bin).str("h\xc3\xa9llo").str("");
  auto r = p.decode(e.bytes());
  ASSERT_TRUE(r.ok()) << r.error().message();
  const Datum& d = *r;
  ASSERT_EQ(d.kind, Datum::Kind::object);
  ASSERT_EQ(d.members.size(), 12U);
  EXPECT_EQ(d.members[0].first, "n");
  EXPECT_TRUE(d.member("n")->is_null());
  EXPECT_EQ(d.member("t")->kind, Datum::Kind::boolean);
  EXPECT_TRUE(d.member("t")->boolean);
  EXPECT_FALSE(d.member("f")->boolean);
  EXPECT_EQ(d.member("i")->kind, Datum::Kind::int64);
  EXPECT_EQ(d.member("i")->int64, std::numeric_limits<std::int32_t>::max());
  EXPECT_EQ(d.member("imin")->int64, std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(d.member("l")->int64, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(d.member("lmin")->int64, std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(d.member("fl")->kind, Datum::Kind::float64);
  EXPECT_EQ(d.member("fl")->float64, 1.5);
  EXPECT_EQ(d.member("d")->float64, -2.25);
  EXPECT_EQ(d.member("b")->kind, Datum::Kind::bytes);
  EXPECT_EQ(d.member("b")->text, bin);
  EXPECT_EQ(d.member("s")->kind, Datum::Kind::text);
  EXPECT_EQ(d.member("s")->text, "h\xc3\xa9llo");
  EXPECT_EQ(d.member("e")->kind, Datum::Kind::text);
  EXPECT_EQ(d.member("e")->text, "");
  EXPECT_TRUE(d.member("s")->logical.empty());
}

TEST(AvroDecode, TopLevelPrimitives) {
  EXPECT_EQ(Plain(R"("string")").decode(Enc().str("key-1").bytes())->text, "key-1");
  EXPECT_EQ(Plain(R"("long")").decode(Enc().lng(-5).bytes())->int64, -5);
  EXPECT_TRUE(Plain(R"("null")").decode("")->is_null());
  EXPECT_EQ(Plain(R"({"type":"bytes"})").decode(Enc().str("ab").bytes())->text, "ab");
}

// Bytes written by hand from the examples in the Avro specification, not by the test encoder.
TEST(AvroDecode, SpecExamplesByHand) {
  // "the record ... {a: 27, b: "foo"} is encoded as: 36 06 66 6f 6f"
  Plain rec(R"({"type":"record","name":"test","fields":[{"name":"a","type":"long"},{"name":"b","type":"string"}]})");
  const std::string rec_bytes("\x36\x06\x66\x6f\x6f", 5);
  auto r = rec.decode(rec_bytes);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->member("a")->int64, 27);
  EXPECT_EQ(r->member("b")->text, "foo");
  EXPECT_EQ(Enc().lng(27).str("foo").bytes(), rec_bytes);

  // "an array of longs containing the numbers 3 and 27 ... 04 06 36 00"
  Plain arr(R"({"type":"array","items":"long"})");
  const std::string arr_bytes("\x04\x06\x36\x00", 4);
  auto a = arr.decode(arr_bytes);
  ASSERT_TRUE(a.ok()) << a.error().message();
  ASSERT_EQ(a->items.size(), 2U);
  EXPECT_EQ(a->items[0].int64, 3);
  EXPECT_EQ(a->items[1].int64, 27);

  // "the union ["null","string"] would encode: null as zero (0): 00; the string "a" as one (1)
  // followed by the UTF-8 encoded string: 02 02 61"
  Plain uni(R"(["null","string"])");
  EXPECT_TRUE(uni.decode(std::string("\x00", 1))->is_null());
  EXPECT_EQ(uni.decode("\x02\x02\x61")->text, "a");

  // The zigzag table of the spec: 0->00, -1->01, 1->02, -2->03, 2->04, -64->7f, 64->80 01.
  Plain lng(R"("long")");
  const std::pair<std::string, std::int64_t> table[] = {{std::string("\x00", 1), 0},
                                                        {"\x01", -1},
                                                        {"\x02", 1},
                                                        {"\x03", -2},
                                                        {"\x04", 2},
                                                        {"\x7f", -64},
                                                        {"\x80\x01", 64}};
  for (const auto& [bytes, v] : table) {
    EXPECT_EQ(lng.decode(bytes)->int64, v);
    EXPECT_EQ(Enc().lng(v).bytes(), bytes);
  }
}

TEST(AvroDecode, NestedRecordsKeepFieldOrder) {
  Plain p(R"({"type":"record","name":"Outer","namespace":"a.b","fields":[
    {"name":"z","type":"int"},
    {"name":"inner","type":{"type":"record","name":"Inner","fields":[
      {"name":"y","type":"string"},{"name":"deep","type":{"type":"record","name":"Deep","fields":[{"name":"x","type":"long"}]}}]}},
    {"name":"again","type":"Inner"},
    {"name":"full","type":"a.b.Deep"}]})");
  Enc e;
  e.lng(1).str("one").lng(2).str("two").lng(3).lng(4);
  auto r = p.decode(e.bytes());
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->members.size(), 4U);
  EXPECT_EQ(r->members[0].first, "z");
  EXPECT_EQ(r->members[1].first, "inner");
  EXPECT_EQ(r->members[2].first, "again");
  EXPECT_EQ(r->members[3].first, "full");
  const Datum* inner = r->member("inner");
  ASSERT_EQ(inner->kind, Datum::Kind::object);
  EXPECT_EQ(inner->member("y")->text, "one");
  EXPECT_EQ(inner->member("deep")->member("x")->int64, 2);
  EXPECT_EQ(r->member("again")->member("y")->text, "two");
  EXPECT_EQ(r->member("again")->member("deep")->member("x")->int64, 3);
  EXPECT_EQ(r->member("full")->member("x")->int64, 4);
}

TEST(AvroDecode, ArraysInSeveralBlocks) {
  Plain p(R"({"type":"array","items":"string"})");
  Enc e;
  e.lng(2).str("a").str("bb");         // a block of 2
  e.lng(-1).lng(4).str("ccc");         // a block of 1 with its byte size (1 + 3)
  e.lng(-2).lng(4).str("d").str("e");  // a block of 2, 4 bytes
  e.lng(0);
  auto r = p.decode(e.bytes());
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->kind, Datum::Kind::array);
  ASSERT_EQ(r->items.size(), 5U);
  EXPECT_EQ(r->items[0].text, "a");
  EXPECT_EQ(r->items[1].text, "bb");
  EXPECT_EQ(r->items[2].text, "ccc");
  EXPECT_EQ(r->items[3].text, "d");
  EXPECT_EQ(r->items[4].text, "e");

  auto empty = p.decode(Enc().lng(0).bytes());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->kind, Datum::Kind::array);
  EXPECT_TRUE(empty->items.empty());
}

TEST(AvroDecode, MapsInSeveralBlocksKeepOrder) {
  Plain p(R"({"type":"map","values":"long"})");
  Enc e;
  e.lng(2).str("zeta").lng(1).str("alpha").lng(2);
  e.lng(-1).lng(4).str("mu").lng(-3);  // byte size: key (1 + 2) + value (1)
  e.lng(0);
  auto r = p.decode(e.bytes());
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->kind, Datum::Kind::object);
  ASSERT_EQ(r->members.size(), 3U);
  EXPECT_EQ(r->members[0].first, "zeta");
  EXPECT_EQ(r->members[1].first, "alpha");
  EXPECT_EQ(r->members[2].first, "mu");
  EXPECT_EQ(r->member("mu")->int64, -3);
}

TEST(AvroDecode, ArraysOfMapsOfArrays) {
  Plain p(R"({"type":"array","items":{"type":"map","values":{"type":"array","items":"int"}}})");
  Enc e;
  e.lng(2);
  e.lng(1).str("k").lng(2).lng(10).lng(11).lng(0).lng(0);  // {"k": [10, 11]}
  e.lng(0);                                                // {}
  e.lng(0);
  auto r = p.decode(e.bytes());
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->items.size(), 2U);
  EXPECT_EQ(r->items[0].member("k")->items.at(1).int64, 11);
  EXPECT_EQ(r->items[1].kind, Datum::Kind::object);
  EXPECT_TRUE(r->items[1].members.empty());
}

TEST(AvroDecode, UnionsBecomeTheirBranch) {
  Plain p(record_of(R"(["null","string",{"type":"record","name":"Pt","fields":[{"name":"x","type":"int"}]},"long"])"));
  EXPECT_TRUE(p.decode(Enc().lng(0).bytes())->member("f")->is_null());
  EXPECT_EQ(p.decode(Enc().lng(1).str("s").bytes())->member("f")->text, "s");
  auto rec = p.decode(Enc().lng(2).lng(-7).bytes());
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->member("f")->member("x")->int64, -7);
  EXPECT_EQ(p.decode(Enc().lng(3).lng(99).bytes())->member("f")->int64, 99);
}

TEST(AvroDecode, EnumsAreTheirSymbol) {
  Plain p(record_of(R"({"type":"enum","name":"Color","symbols":["RED","GREEN","BLUE"]})"));
  auto r = p.decode(Enc().lng(2).bytes());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->member("f")->kind, Datum::Kind::text);
  EXPECT_EQ(r->member("f")->text, "BLUE");
  EXPECT_EQ(p.decode(Enc().lng(0).bytes())->member("f")->text, "RED");
}

TEST(AvroDecode, FixedIsBytes) {
  Plain p(record_of(R"({"type":"fixed","name":"Md5","size":4})"));
  auto r = p.decode(std::string("\x00\xff\x10\x20", 4));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->member("f")->kind, Datum::Kind::bytes);
  EXPECT_EQ(r->member("f")->text, std::string("\x00\xff\x10\x20", 4));

  // Legal Avro, but Avro C cannot decode it: refused when the schema is loaded.
  auto zero = AvroSchemas::from_json({{0, R"({"type":"fixed","name":"Nothing","size":0})"}});
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().message().find("size 0"), std::string::npos) << zero.error().message();
}

TEST(AvroDecode, RecursiveSchema) {
  Plain p(
      R"({"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]})");
  Enc e;
  e.lng(1).lng(1).lng(2).lng(1).lng(3).lng(0);  // 1 -> 2 -> 3
  auto r = p.decode(e.bytes());
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->member("next")->member("next")->member("v")->int64, 3);
  EXPECT_TRUE(r->member("next")->member("next")->member("next")->is_null());
}

// ---------------------------------------------------------------------------------------------
// Logical types

TEST(AvroDecode, LogicalTypesNameThemselves) {
  Plain p(R"({"type":"record","name":"L","fields":[
    {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
    {"name":"decf","type":{"type":"fixed","name":"D8","size":8,"logicalType":"decimal","precision":18,"scale":4}},
    {"name":"dec0","type":{"type":"bytes","logicalType":"decimal","precision":5}},
    {"name":"uuid","type":{"type":"string","logicalType":"uuid"}},
    {"name":"date","type":{"type":"int","logicalType":"date"}},
    {"name":"tmil","type":{"type":"int","logicalType":"time-millis"}},
    {"name":"tmic","type":{"type":"long","logicalType":"time-micros"}},
    {"name":"tsmil","type":{"type":"long","logicalType":"timestamp-millis"}},
    {"name":"tsmic","type":{"type":"long","logicalType":"timestamp-micros"}},
    {"name":"ltmil","type":{"type":"long","logicalType":"local-timestamp-millis"}},
    {"name":"ltmic","type":{"type":"long","logicalType":"local-timestamp-micros"}},
    {"name":"opt","type":["null",{"type":"long","logicalType":"timestamp-millis"}]},
    {"name":"tsns","type":{"type":"long","logicalType":"timestamp-nanos"}},
    {"name":"ltsns","type":{"type":"long","logicalType":"local-timestamp-nanos"}},
    {"name":"uuidf","type":{"type":"fixed","name":"U16","size":16,"logicalType":"uuid"}},
    {"name":"dur","type":{"type":"fixed","name":"Dur","size":12,"logicalType":"duration"}}]})");
  Enc e;
  e.str(std::string("\xff\x85", 2));                          // -123 as two's complement: 1.23- => -1.23
  e.raw(std::string("\x00\x00\x00\x00\x00\x01\xe2\x40", 8));  // 123456 => 12.3456
  e.str("\x07");
  e.str("123e4567-e89b-12d3-a456-426614174000");
  e.lng(19000).lng(3600000).lng(3600000000LL).lng(1700000000000LL).lng(1700000000000000LL);
  e.lng(1700000000001LL).lng(1700000000000001LL);
  e.lng(1).lng(5);
  e.lng(1700000000000000001LL).lng(1700000000000000002LL);
  e.raw("0123456789abcdef");
  e.raw(std::string("\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00", 12));  // 1 month, 2 days, 3 ms
  auto r = p.decode(e.bytes());
  ASSERT_TRUE(r.ok()) << r.error().message();
  const Datum& d = *r;
  EXPECT_EQ(d.member("dec")->kind, Datum::Kind::bytes);
  EXPECT_EQ(d.member("dec")->logical, "decimal");
  EXPECT_EQ(d.member("dec")->scale, 2);
  EXPECT_EQ(d.member("dec")->text, std::string("\xff\x85", 2));
  EXPECT_EQ(d.member("decf")->kind, Datum::Kind::bytes);
  EXPECT_EQ(d.member("decf")->logical, "decimal");
  EXPECT_EQ(d.member("decf")->scale, 4);
  EXPECT_EQ(d.member("decf")->text.size(), 8U);
  EXPECT_EQ(d.member("dec0")->logical, "decimal");
  EXPECT_EQ(d.member("dec0")->scale, 0);
  EXPECT_EQ(d.member("uuid")->kind, Datum::Kind::text);
  EXPECT_EQ(d.member("uuid")->logical, "uuid");
  EXPECT_EQ(d.member("uuid")->text, "123e4567-e89b-12d3-a456-426614174000");
  const std::pair<const char*, std::int64_t> ints[] = {{"date", 19000},
                                                       {"tmil", 3600000},
                                                       {"tmic", 3600000000LL},
                                                       {"tsmil", 1700000000000LL},
                                                       {"tsmic", 1700000000000000LL},
                                                       {"ltmil", 1700000000001LL},
                                                       {"ltmic", 1700000000000001LL},
                                                       {"tsns", 1700000000000000001LL},
                                                       {"ltsns", 1700000000000000002LL}};
  const char* names[] = {"date",
                         "time-millis",
                         "time-micros",
                         "timestamp-millis",
                         "timestamp-micros",
                         "local-timestamp-millis",
                         "local-timestamp-micros",
                         "timestamp-nanos",
                         "local-timestamp-nanos"};
  for (std::size_t i = 0; i < std::size(ints); ++i) {
    const Datum* m = d.member(ints[i].first);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->kind, Datum::Kind::int64) << ints[i].first;
    EXPECT_EQ(m->int64, ints[i].second) << ints[i].first;
    EXPECT_EQ(m->logical, names[i]) << ints[i].first;
  }
  EXPECT_EQ(d.member("opt")->logical, "timestamp-millis");
  EXPECT_EQ(d.member("opt")->int64, 5);
  EXPECT_EQ(d.member("uuidf")->kind, Datum::Kind::bytes);
  EXPECT_EQ(d.member("uuidf")->logical, "uuid");
  EXPECT_EQ(d.member("dur")->kind, Datum::Kind::bytes);
  EXPECT_EQ(d.member("dur")->logical, "duration");
  EXPECT_EQ(d.member("dur")->text.size(), 12U);
}

// The spec: unknown logical types, and logical types on the wrong type or with bad parameters,
// are ignored; the value decodes as its underlying type.
TEST(AvroDecode, InvalidLogicalTypesAreIgnored) {
  Plain p(R"({"type":"record","name":"L","fields":[
    {"name":"scale_above_precision","type":{"type":"bytes","logicalType":"decimal","precision":2,"scale":3}},
    {"name":"no_precision","type":{"type":"bytes","logicalType":"decimal"}},
    {"name":"too_precise_for_fixed","type":{"type":"fixed","name":"F2","size":2,"logicalType":"decimal","precision":5}},
    {"name":"date_on_long","type":{"type":"long","logicalType":"date"}},
    {"name":"uuid_on_bytes","type":{"type":"bytes","logicalType":"uuid"}},
    {"name":"unknown","type":{"type":"string","logicalType":"color"}},
    {"name":"on_field","type":"long","logicalType":"timestamp-millis"},
    {"name":"duration_of_8","type":{"type":"fixed","name":"D8","size":8,"logicalType":"duration"}},
    {"name":"uuid_of_15","type":{"type":"fixed","name":"U15","size":15,"logicalType":"uuid"}}]})");
  Enc e;
  e.str("\x01").str("\x01").raw(std::string("\x00\x01", 2)).lng(1).str("u").str("red").lng(2);
  e.raw("12345678").raw("123456789012345");
  auto r = p.decode(e.bytes());
  ASSERT_TRUE(r.ok()) << r.error().message();
  for (const auto& [name, value] : r->members) {
    EXPECT_TRUE(value.logical.empty()) << name;
    EXPECT_EQ(value.scale, 0) << name;
  }
  EXPECT_EQ(r->member("date_on_long")->int64, 1);
}

// ---------------------------------------------------------------------------------------------
// Schema sets and wire formats

TEST(AvroSchemas, DirectoryIdsComeFromFileNames) {
  auto s = AvroSchemas::load_directory(SLUICE_AVRO_TEST_SCHEMAS);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ((*s)->ids(), (std::vector<std::int32_t>{1, 7}));
  EXPECT_NE((*s)->source(1).find("readings-1.avsc"), std::string::npos);
  EXPECT_EQ((*s)->source(2), "");
}

TEST(AvroDecode, ConfluentWireWithTwoSchemas) {
  auto s = AvroSchemas::load_directory(SLUICE_AVRO_TEST_SCHEMAS);
  ASSERT_TRUE(s.ok()) << s.error().message();
  AvroDecoder dec(*s, AvroWire::confluent);

  Enc reading;
  reading.str("s-1").f64(21.5).lng(1700000000000LL).lng(1);
  reading.lng(1).str("room").str("kitchen").lng(0);
  auto r = dec.decode(confluent(1, reading.bytes()));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(dec.last_schema_id(), 1);
  EXPECT_EQ(r->member("sensor")->text, "s-1");
  EXPECT_EQ(r->member("value")->float64, 21.5);
  EXPECT_EQ(r->member("at")->logical, "timestamp-millis");
  EXPECT_EQ(r->member("status")->text, "DEGRADED");
  EXPECT_EQ(r->member("tags")->member("room")->text, "kitchen");

  Enc event;
  event.str("123e4567-e89b-12d3-a456-426614174000").lng(1).str("boot").lng(1).lng(1).lng(42);
  auto e = dec.decode(confluent(7, event.bytes()));
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_EQ(dec.last_schema_id(), 7);
  EXPECT_EQ(e->member("id")->logical, "uuid");
  EXPECT_EQ(e->member("kind")->text, "boot");
  EXPECT_EQ(e->member("level")->text, "HIGH");
  EXPECT_EQ(e->member("at")->int64, 42);

  // Back to the first schema: its Avro C value is reused.
  auto again = dec.decode(confluent(1, reading.bytes()));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->member("tags")->members.size(), 1U);

  auto unknown = dec.decode(confluent(42, reading.bytes()));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), Errc::invalid_argument);
  EXPECT_EQ(unknown.error().message(), "avro: unknown schema id 42 (known: 1, 7)");
}

TEST(AvroDecode, PlainWireFromAFile) {
  auto s = AvroSchemas::load_file(std::string(SLUICE_AVRO_TEST_SCHEMAS) + "/7.avsc");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ((*s)->ids(), std::vector<std::int32_t>{0});
  AvroDecoder dec(*s, AvroWire::plain);
  Enc event;
  event.str("u").lng(0).lng(0).lng(-1);
  auto e = dec.decode(event.bytes());
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_TRUE(e->member("kind")->is_null());
  EXPECT_TRUE(e->member("level")->is_null());
  EXPECT_EQ(e->member("at")->int64, -1);
}

TEST(AvroDecode, PlainWireNeedsOneSchema) {
  auto s = AvroSchemas::load_directory(SLUICE_AVRO_TEST_SCHEMAS);
  ASSERT_TRUE(s.ok());
  AvroDecoder dec(*s, AvroWire::plain);
  auto r = dec.decode("x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("exactly one schema, there are 2"), std::string::npos) << r.error().message();
}

TEST(AvroDecode, DatumsStayValidUntilTheNextDecode) {
  Plain p(
      R"({"type":"record","name":"R","fields":[{"name":"s","type":"string"},{"name":"m","type":{"type":"map","values":"bytes"}}]})");
  std::string first = Enc().str("first").lng(1).str("key").str("value").lng(0);
  auto a = p.decode(first);
  ASSERT_TRUE(a.ok());
  first.assign(first.size(), 'x');  // the caller's buffer may go away: the Datum does not point into it
  EXPECT_EQ(a->member("s")->text, "first");
  EXPECT_EQ(a->member("m")->members.at(0).first, "key");
  EXPECT_EQ(a->member("m")->member("key")->text, "value");
  // An error in between leaves the decoder usable.
  EXPECT_FALSE(p.decode("\x02").ok());
  auto b = p.decode(Enc().str("second").lng(0).bytes());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->member("s")->text, "second");
  EXPECT_TRUE(b->member("m")->members.empty());
}

// ---------------------------------------------------------------------------------------------
// Errors a user sees

TEST(AvroErrors, Header) {
  auto s = AvroSchemas::load_directory(SLUICE_AVRO_TEST_SCHEMAS);
  ASSERT_TRUE(s.ok());
  AvroDecoder dec(*s, AvroWire::confluent);
  auto json = dec.decode(R"({"sensor":"s-1"})");
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.error().message(), "avro: magic byte 0x7b, expected 0x00 (is this JSON?)");
  EXPECT_EQ(dec.decode("\x05\x00").error().message(), "avro: magic byte 0x05, expected 0x00");
  EXPECT_EQ(dec.decode(std::string("\x00\x00", 2)).error().message(),
            "avro: record of 2 bytes is shorter than the 5-byte header (magic byte, schema id)");
  EXPECT_NE(dec.decode("").error().message().find("empty record"), std::string::npos);
  EXPECT_EQ(dec.decode(confluent(-1, "")).error().message(), "avro: unknown schema id -1 (known: 1, 7)");
}

TEST(AvroErrors, TruncatedAndTrailing) {
  Plain p(R"({"type":"record","name":"R","fields":[{"name":"s","type":"string"},{"name":"d","type":"double"}]})");
  const std::string ok = Enc().str("abcdefghijkl").f64(1.0);  // the double starts at offset 13
  EXPECT_EQ(p.error(ok.substr(0, 16)), "avro: truncated record (need 8 bytes at offset 13)");
  EXPECT_EQ(p.error(ok + "12345"), "avro: 5 bytes left after the record");
  EXPECT_EQ(p.error(ok + "1"), "avro: 1 byte left after the record");
  EXPECT_EQ(p.error(""), "avro: truncated record (need 1 byte at offset 0)");
  EXPECT_EQ(p.error(Enc().str("abc").bytes()), "avro: truncated record (need 8 bytes at offset 4)");

  // Offsets count from the start of the Kafka message, header included.
  auto s = AvroSchemas::from_json({{3, R"({"type":"record","name":"R","fields":[{"name":"d","type":"double"}]})"}});
  ASSERT_TRUE(s.ok());
  AvroDecoder dec(*s, AvroWire::confluent);
  EXPECT_EQ(dec.decode(confluent(3, "abc")).error().message(), "avro: truncated record (need 8 bytes at offset 5)");
}

// Lengths and counts that claim more than the record holds fail before anything of that size is
// allocated (Avro C would malloc the claimed length; under ASan a huge claim would abort).
TEST(AvroErrors, HostileLengths) {
  Plain s(R"("string")");
  EXPECT_EQ(s.error(Enc().lng(std::int64_t{1} << 62).bytes()),
            "avro: truncated record (need 4611686018427387904 bytes at offset 10)");
  EXPECT_EQ(s.error(Enc().lng(100).raw("abc").bytes()), "avro: truncated record (need 100 bytes at offset 2)");
  // Avro C would write before its buffer for a length of -1.
  EXPECT_EQ(s.error(Enc().lng(-1).bytes()), "avro: negative string length -1 at offset 0");
  Plain b(R"("bytes")");
  EXPECT_EQ(b.error(Enc().lng(-5).bytes()), "avro: negative bytes length -5 at offset 0");
  EXPECT_EQ(b.error(Enc().lng(std::numeric_limits<std::int64_t>::max()).bytes()),
            "avro: truncated record (need 9223372036854775807 bytes at offset 10)");

  Plain arr(R"({"type":"array","items":"long"})");
  EXPECT_EQ(arr.error(Enc().lng(std::int64_t{1} << 62).lng(1).bytes()),
            "avro: array block at offset 0 claims 4611686018427387904 items, more than the 1 byte left");
  EXPECT_EQ(arr.error(Enc().lng(std::numeric_limits<std::int64_t>::min()).bytes()),
            "avro: array block count at offset 0 is out of range");
  EXPECT_EQ(arr.error(Enc().lng(-1).lng(1000).lng(1).lng(0).bytes()),
            "avro: truncated record (need 1000 bytes at offset 3)");
  EXPECT_EQ(arr.error(Enc().lng(-1).lng(-2).bytes()), "avro: negative block byte size -2 at offset 1");
  EXPECT_EQ(arr.error(Enc().lng(-1).lng(2).lng(1).lng(0).lng(0).bytes()),
            "avro: array block at offset 0 says its items take 2 bytes, they take 1");
  EXPECT_EQ(arr.error(Enc().lng(3).lng(1).bytes()),
            "avro: array block at offset 0 claims 3 items, more than the 1 byte left");

  Plain map(R"({"type":"map","values":"null"})");
  EXPECT_EQ(map.error(Enc().lng(std::int64_t{1} << 40).bytes()),
            "avro: map block at offset 0 claims 1099511627776 items, more than the 0 bytes left");

  // Nulls take no bytes: 2^62 of them fit in 10 bytes. The empty-item allowance stops them.
  Plain nulls(R"({"type":"array","items":"null"})");
  EXPECT_EQ(nulls.error(Enc().lng(std::int64_t{1} << 62).lng(0).bytes()),
            "avro: array block at offset 0 claims 4611686018427387904 items: 1 byte left, and at most 65536 items "
            "that take no bytes in a record");
  // Many blocks of many empty records (a record of nulls takes no bytes either): the allowance
  // counts across blocks and across arrays.
  Plain empties(R"({"type":"array","items":{"type":"record","name":"E","fields":[{"name":"n","type":"null"}]}})");
  Enc many;
  for (int i = 0; i < 200; ++i) many.lng(60000);
  many.lng(0);
  EXPECT_EQ(empties.error(many.bytes()),
            "avro: array block at offset 3 claims 60000 items: 595 bytes left, and at most 65536 items that take no "
            "bytes in a record");
  Plain two(R"({"type":"record","name":"T","fields":[{"name":"a","type":{"type":"array","items":"null"}},
                                                    {"name":"b","type":{"type":"array","items":"null"}}]})");
  EXPECT_TRUE(two.decode(Enc().lng(65536).lng(0).lng(0).bytes()).ok());
  EXPECT_EQ(two.error(Enc().lng(65536).lng(0).lng(1).lng(0).bytes()),
            "avro: more than 65536 array items that take no bytes in the record (block at offset 4)");
  // Items that take bytes are bounded by the bytes, not by the allowance.
  Plain opt(R"({"type":"array","items":["null","int"]})");
  Enc opts;
  opts.lng(100000);
  for (int i = 0; i < 100000; ++i) opts.lng(0);
  opts.lng(0);
  auto o = opt.decode(opts.bytes());
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->items.size(), 100000U);
  // A legitimately long array of nulls decodes.
  auto some = nulls.decode(Enc().lng(1000).lng(-500).lng(0).lng(0).bytes());
  ASSERT_TRUE(some.ok()) << some.error().message();
  EXPECT_EQ(some->items.size(), 1500U);
  EXPECT_TRUE(some->items[1499].is_null());
}

TEST(AvroErrors, BadValues) {
  EXPECT_EQ(Plain(R"("boolean")").error("\x02"), "avro: boolean byte 0x02 at offset 0, expected 0x00 or 0x01");
  EXPECT_EQ(Plain(R"("int")").error(Enc().lng(std::int64_t{1} << 31).bytes()),
            "avro: int 2147483648 at offset 0 does not fit 32 bits");
  EXPECT_EQ(Plain(R"("long")").error(std::string(10, '\xff') + '\x01'),
            "avro: varint at offset 0 does not fit 64 bits");
  EXPECT_EQ(Plain(R"("long")").error(std::string(9, '\xff') + '\x02'), "avro: varint at offset 0 does not fit 64 bits");
  EXPECT_EQ(Plain(R"("long")").error(std::string(3, '\xff')), "avro: truncated record (need 1 byte at offset 3)");
  EXPECT_EQ(Plain(R"(["null","long"])").error(Enc().lng(2).bytes()),
            "avro: union branch 2 at offset 0 is out of range: the union has 2 branches");
  EXPECT_EQ(Plain(R"(["null","long"])").error(Enc().lng(-1).bytes()),
            "avro: union branch -1 at offset 0 is out of range: the union has 2 branches");
  EXPECT_EQ(Plain(R"({"type":"enum","name":"E","namespace":"n","symbols":["A","B"]})").error(Enc().lng(2).bytes()),
            "avro: enum index 2 at offset 0 is out of range: n.E has 2 symbols");
  EXPECT_EQ(Plain(R"({"type":"enum","name":"E","symbols":["A"]})").error(Enc().lng(-1).bytes()),
            "avro: enum index -1 at offset 0 is out of range: E has 1 symbol");
  EXPECT_EQ(Plain(R"("string")").error(Enc().str("ab\xff").bytes()), "avro: string at offset 1 is not valid UTF-8");
  EXPECT_EQ(Plain(R"("string")").error(Enc().str("\xed\xa0\x80").bytes()),  // a surrogate
            "avro: string at offset 1 is not valid UTF-8");

  Plain map(R"({"type":"map","values":"int"})");
  EXPECT_EQ(map.error(Enc().lng(1).str(std::string("a\0b", 3)).lng(1).lng(0).bytes()),
            "avro: map key at offset 1 contains a NUL byte");
  EXPECT_EQ(map.error(Enc().lng(1).str("k\xc0").lng(1).lng(0).bytes()), "avro: map key at offset 2 is not valid UTF-8");
  EXPECT_EQ(map.error(Enc().lng(2).str("k").lng(1).str("j").lng(2).lng(1).str("k").lng(3).lng(0).bytes()),
            "avro: map has the key \"k\" twice");
  // The same key in two sibling maps is fine.
  Plain maps(R"({"type":"array","items":{"type":"map","values":"int"}})");
  EXPECT_TRUE(
      maps.decode(Enc().lng(2).lng(1).str("k").lng(1).lng(0).lng(1).str("k").lng(2).lng(0).lng(0).bytes()).ok());
}

TEST(AvroErrors, NestingDepth) {
  Plain p(R"({"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]})");
  // 45 levels of record + union: 91 nested values, within the limit of 100.
  Enc shallow;
  for (int i = 0; i < 45; ++i) shallow.lng(1);
  shallow.lng(0);
  EXPECT_TRUE(p.decode(shallow.bytes()).ok());
  Enc deep;
  for (int i = 0; i < 100000; ++i) deep.lng(1);
  deep.lng(0);
  const std::string msg = p.error(deep.bytes());
  EXPECT_NE(msg.find("avro: values nested more than 100 deep"), std::string::npos) << msg;

  Plain arrays(R"({"type":"record","name":"A","fields":[{"name":"a","type":{"type":"array","items":"A"}}]})");
  Enc nested;
  for (int i = 0; i < 200; ++i) nested.lng(1);
  EXPECT_NE(arrays.error(nested.bytes()).find("nested more than 100 deep"), std::string::npos);
}

// A record that must contain itself has no finite value: every input fails in the scanner, and
// Avro C never builds a value for it.
TEST(AvroErrors, RecordThatContainsItself) {
  Plain p(R"({"type":"record","name":"R","fields":[{"name":"r","type":"R"}]})");
  EXPECT_NE(p.error("").find("nested more than 100 deep"), std::string::npos);
  EXPECT_NE(p.error("abc").find("nested more than 100 deep"), std::string::npos);
}

// Decoders on several threads share one schema set.
TEST(AvroDecode, DecodersOnThreadsShareSchemas) {
  auto s = AvroSchemas::load_directory(SLUICE_AVRO_TEST_SCHEMAS);
  ASSERT_TRUE(s.ok());
  const std::string record =
      confluent(1, Enc().str("s-1").f64(1.0).lng(5).lng(0).lng(1).str("k").str("v").lng(0).bytes());
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      AvroDecoder dec(*s, AvroWire::confluent);
      for (int i = 0; i < 500; ++i) {
        auto r = dec.decode(record);
        if (r.ok() && r->member("tags")->member("k")->text == "v") good.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 2000);
}

// ---------------------------------------------------------------------------------------------
// Schema errors

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("sluice-avro-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() { std::filesystem::remove_all(path_); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

std::string load_error(const TempDir& dir) {
  auto s = AvroSchemas::load_directory(dir.path());
  if (s.ok()) return "(loaded)";
  EXPECT_EQ(s.error().code(), Errc::invalid_argument);
  return s.error().message();
}

TEST(AvroSchemaErrors, FileNamesWithoutAnId) {
  TempDir dir;
  dir.write("readings.avsc", R"("string")");
  const std::string msg = load_error(dir);
  EXPECT_NE(msg.find("readings.avsc: no schema id in the file name"), std::string::npos) << msg;
}

TEST(AvroSchemaErrors, DuplicateIdsAndEmptyDirectories) {
  TempDir dir;
  EXPECT_NE(load_error(dir).find("no .avsc files in"), std::string::npos);
  dir.write("notes.txt", "not a schema");
  EXPECT_NE(load_error(dir).find("no .avsc files in"), std::string::npos);
  dir.write("a-5.avsc", R"("string")");
  dir.write("b-005.avsc", R"("long")");
  const std::string msg = load_error(dir);
  EXPECT_NE(msg.find("a-5.avsc and "), std::string::npos) << msg;
  EXPECT_NE(msg.find("b-005.avsc both have schema id 5"), std::string::npos) << msg;
  EXPECT_NE(AvroSchemas::load_directory(dir.path() + "/missing").error().message().find("cannot list"),
            std::string::npos);
}

TEST(AvroSchemaErrors, NamedTypesFromOtherFilesAreNotVisible) {
  TempDir dir;
  dir.write("1.avsc", R"({"type":"record","name":"Point","namespace":"geo","fields":[{"name":"x","type":"int"}]})");
  dir.write("2.avsc", R"({"type":"record","name":"Shape","namespace":"geo","fields":[{"name":"p","type":"Point"}]})");
  const std::string msg = load_error(dir);
  EXPECT_NE(msg.find("2.avsc"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown type \"geo.Point\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("types from other .avsc files are not visible"), std::string::npos) << msg;
}

TEST(AvroSchemaErrors, BadSchemas) {
  auto err = [](const std::string& json) {
    auto s = AvroSchemas::from_json({{9, json}});
    return s.ok() ? std::string("(loaded)") : s.error().message();
  };
  EXPECT_EQ(err("{\"type\":\n  \"record\" \"name\"}"),
            "avro: schema 9: JSON error at line 2, column 12: expected ',' or '}'");
  EXPECT_NE(err(R"({"type":"record","name":"R"})").find("must have \"fields\""), std::string::npos);
  EXPECT_NE(err(R"({"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"int"}]})")
                .find("two fields named \"a\""),
            std::string::npos);
  EXPECT_NE(err(R"({"type":"enum","name":"E","symbols":[]})").find("at least one"), std::string::npos);
  EXPECT_NE(err(R"({"type":"fixed","name":"F","size":-1})").find("must have a \"size\""), std::string::npos);
  EXPECT_NE(err(R"({"type":"fixed","name":"F","size":1.5})").find("must have a \"size\""), std::string::npos);
  EXPECT_NE(err(R"("Nope")").find("unknown type \"Nope\""), std::string::npos);
  EXPECT_NE(err(R"([])").find("at least one branch"), std::string::npos);
  EXPECT_NE(err(R"({"type":"record","name":"1R","fields":[]})").find("not a valid Avro name"), std::string::npos);
  EXPECT_NE(
      err(R"({"type":"record","name":"R","fields":[{"name":"a","type":{"type":"record","name":"R","fields":[]}}]})")
          .find("defined twice"),
      std::string::npos);
  EXPECT_NE(err("\"str\xff\"").find("not valid UTF-8"), std::string::npos);
  EXPECT_NE(err("").find("unexpected end of input"), std::string::npos);
  EXPECT_EQ(err(R"({"type":"string"} x)"),
            "avro: schema 9: JSON error at line 1, column 19: unexpected text after the JSON value");
  // Deeply nested JSON is refused by our parser before Avro C (which recurses) sees it.
  EXPECT_NE(err(std::string(5000, '[') + std::string(5000, ']')).find("nested too deeply"), std::string::npos);
}

TEST(AvroSchemas, NamespacesResolveLikeTheSpec) {
  auto s = AvroSchemas::from_json({{1, R"({"type":"record","name":"Outer","namespace":"x.y","fields":[
      {"name":"a","type":{"type":"fixed","name":"Id","size":2}},
      {"name":"b","type":"Id"},
      {"name":"c","type":"x.y.Id"},
      {"name":"d","type":{"type":"enum","name":"other.Kind","symbols":["K"]}},
      {"name":"e","type":"other.Kind"},
      {"name":"f","type":{"type":"record","name":"In","namespace":"z","fields":[{"name":"g","type":"Kind"}]}}]})"}});
  // "Kind" inside namespace z means z.Kind, which does not exist.
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("unknown type \"z.Kind\""), std::string::npos) << s.error().message();

  auto good = AvroSchemas::from_json({{1, R"({"type":"record","name":"Outer","namespace":"x.y","fields":[
      {"name":"a","type":{"type":"fixed","name":"Id","size":2}},
      {"name":"b","type":"Id"},
      {"name":"c","type":"x.y.Id"},
      {"name":"d","type":{"type":"enum","name":"other.Kind","symbols":["K"]}},
      {"name":"e","type":"other.Kind"},
      {"name":"f","type":{"type":"record","name":"In","namespace":"other","fields":[{"name":"g","type":"Kind"}]}}]})"}});
  ASSERT_TRUE(good.ok()) << good.error().message();
  AvroDecoder dec(*good, AvroWire::confluent);
  auto r = dec.decode(confluent(1, Enc().raw("abcdef").lng(0).lng(0).lng(0).bytes()));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->member("c")->text, "ef");
  EXPECT_EQ(r->member("f")->member("g")->text, "K");
}

}  // namespace
}  // namespace sluice::codec

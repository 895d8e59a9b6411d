// Why: the converter decides what reaches Cassandra from every record, so each rule is pinned here
// with its edges and its error messages (the messages are what an operator sees in a dead-letter
// record). Expected instants and day counts were worked out independently (Python's datetime), and
// a handful of results are encoded with write_typed and compared with bytes written out by hand
// from the native protocol spec, so the values are checked against the wire, not against
// themselves.
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <thread>

#include <gtest/gtest.h>

#include "codec/convert.h"

// Counts allocations, to hold the converter to "no allocation for a scalar". gcc -O2 inlines the
// replaced operator delete and then mistakes its free() for a mismatch with new.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t /*size*/) noexcept { std::free(p); }

namespace sluice::codec {
namespace {

using cql::DataType;
using cql::TypeId;
using cql::Value;

DataType T(TypeId id) { return DataType::simple(id); }

Converter make(const DataType& type, const TimeSettings& settings = {}) {
  auto c = Converter::make(type, settings);
  if (!c.ok()) ADD_FAILURE() << type.to_string() << ": " << c.error().to_string();
  return std::move(c).value();
}

// The converted value; a failure (with the message) if the conversion failed.
Value ok(const Converter& c, const Datum& d) {
  auto r = c.convert(d);
  if (!r.ok()) {
    ADD_FAILURE() << c.type().to_string() << ": " << r.error().message();
    return cql::Null{};
  }
  return *r;
}

// The error message; a failure if the conversion succeeded.
std::string err(const Converter& c, const Datum& d) {
  auto r = c.convert(d);
  if (r.ok()) {
    ADD_FAILURE() << c.type().to_string() << ": unexpectedly converted to " << cql::to_display(*r);
    return {};
  }
  EXPECT_EQ(r.error().code(), Errc::invalid_argument);
  return r.error().message();
}

testing::AssertionResult Contains(const std::string& s, std::string_view part) {
  if (s.find(part) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << '"' << s << "\" does not contain \"" << part << '"';
}

std::string make_error(const DataType& type, const TimeSettings& settings = {}) {
  auto c = Converter::make(type, settings);
  if (c.ok()) {
    ADD_FAILURE() << type.to_string() << ": unexpectedly compiled";
    return {};
  }
  EXPECT_EQ(c.error().code(), Errc::invalid_argument);
  return c.error().message();
}

Datum text(std::string_view s) { return Datum::of_text(s); }
Datum num(std::int64_t v) { return Datum::of_int(v); }
Datum dbl(double v) { return Datum::of_double(v); }

Datum array(std::vector<Datum> items) { return Datum{.kind = Datum::Kind::array, .items = std::move(items)}; }

Datum object(std::vector<std::pair<std::string_view, Datum>> members) {
  return Datum{.kind = Datum::Kind::object, .members = std::move(members)};
}

Datum with_logical(Datum d, std::string_view logical) {
  d.logical = logical;
  return d;
}

cql::Varint V(std::string_view decimal) { return *cql::Varint::from_string(decimal); }
cql::Decimal D(std::string_view decimal) { return *cql::Decimal::from_string(decimal); }

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i < hex.size();) {
    if (hex[i] == ' ') {
      ++i;
      continue;
    }
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    i += 2;
  }
  return out;
}

// ---- top level -------------------------------------------------------------------------------

TEST(Convert, MissingIsUnsetAndNullIsNull) {
  for (TypeId id : {TypeId::int_, TypeId::varchar, TypeId::timestamp, TypeId::blob}) {
    auto c = make(T(id));
    EXPECT_EQ(ok(c, Datum::missing_value()), Value{cql::Unset{}});
    EXPECT_EQ(ok(c, Datum::null_value()), Value{cql::Null{}});
  }
  auto list = make(DataType::list_of(T(TypeId::int_)));
  EXPECT_EQ(ok(list, Datum::null_value()), Value{cql::Null{}});
  EXPECT_EQ(list.type(), DataType::list_of(T(TypeId::int_)));
}

TEST(Convert, RefusesTypesItCannotFill) {
  DataType custom{.id = TypeId::custom, .custom_class = "org.example.Thing"};
  EXPECT_EQ(make_error(custom),
            "cannot fill a column of the custom type 'org.example.Thing': no conversion to custom types");
  EXPECT_NE(make_error(DataType::list_of(custom)).find("custom type"), std::string::npos);
  DataType unresolved{.id = TypeId::udt, .udt_keyspace = "ks", .udt_name = "address"};
  EXPECT_EQ(make_error(unresolved), "the fields of user type ks.address are not known: resolve it first");
  DataType bad_list{.id = TypeId::list};
  EXPECT_EQ(make_error(bad_list), "type list<blob> has 0 parameters, not 1");
}

// ---- integers --------------------------------------------------------------------------------

TEST(Convert, IntegerRangesAtEveryWidth) {
  auto tiny = make(T(TypeId::tinyint));
  EXPECT_EQ(ok(tiny, num(127)), Value{std::int8_t{127}});
  EXPECT_EQ(ok(tiny, num(-128)), Value{std::int8_t{-128}});
  EXPECT_EQ(err(tiny, num(128)), "value 128 out of range for tinyint");
  EXPECT_EQ(err(tiny, num(-129)), "value -129 out of range for tinyint");

  auto small = make(T(TypeId::smallint));
  EXPECT_EQ(ok(small, num(32767)), Value{std::int16_t{32767}});
  EXPECT_EQ(ok(small, num(-32768)), Value{std::int16_t{-32768}});
  EXPECT_EQ(err(small, num(32768)), "value 32768 out of range for smallint");
  EXPECT_EQ(err(small, num(-32769)), "value -32769 out of range for smallint");

  auto i32 = make(T(TypeId::int_));
  EXPECT_EQ(ok(i32, num(2147483647)), Value{std::int32_t{2147483647}});
  EXPECT_EQ(ok(i32, num(-2147483648)), Value{std::int32_t{-2147483647 - 1}});
  EXPECT_EQ(err(i32, num(3000000000)), "value 3000000000 out of range for int");
  EXPECT_EQ(err(i32, num(-2147483649)), "value -2147483649 out of range for int");

  auto big = make(T(TypeId::bigint));
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(ok(big, num(kMin)), Value{kMin});
  EXPECT_EQ(ok(big, num(kMax)), Value{kMax});
  EXPECT_EQ(err(big, Datum::of_uint(9223372036854775808ULL)), "value 9223372036854775808 out of range for bigint");
  EXPECT_EQ(ok(make(T(TypeId::counter)), num(-5)), Value{std::int64_t{-5}});
}

TEST(Convert, IntegersFromNumbers) {
  auto i32 = make(T(TypeId::int_));
  EXPECT_EQ(ok(i32, dbl(42.0)), Value{std::int32_t{42}});
  EXPECT_EQ(ok(i32, dbl(-0.0)), Value{std::int32_t{0}});
  EXPECT_EQ(err(i32, dbl(1.5)), "expected int, got number 1.5");
  EXPECT_EQ(err(i32, dbl(1e20)), "value 1e+20 out of range for int");
  EXPECT_EQ(err(i32, dbl(std::nan(""))), "expected int, got number NaN");
  EXPECT_EQ(err(i32, dbl(INFINITY)), "expected int, got number Infinity");
  EXPECT_EQ(err(i32, Datum::of_bool(true)), "expected int, got boolean true");
  EXPECT_EQ(err(i32, Datum::of_bytes("\x01")), "expected int, got 1 byte");
  EXPECT_EQ(err(i32, array({num(1)})), "expected int, got an array of 1 item");

  auto big = make(T(TypeId::bigint));
  EXPECT_EQ(ok(big, dbl(-9223372036854775808.0)), Value{std::numeric_limits<std::int64_t>::min()});
  EXPECT_EQ(err(big, dbl(9223372036854775808.0)), "value 9223372036854775808 out of range for bigint");
}

TEST(Convert, IntegersFromText) {
  auto i32 = make(T(TypeId::int_));
  EXPECT_EQ(ok(i32, text("123")), Value{std::int32_t{123}});
  EXPECT_EQ(ok(i32, text("+5")), Value{std::int32_t{5}});
  EXPECT_EQ(ok(i32, text("-0")), Value{std::int32_t{0}});
  EXPECT_EQ(ok(i32, text("007")), Value{std::int32_t{7}});
  EXPECT_EQ(err(i32, text("abc")), "expected int, got text \"abc\"");
  for (std::string_view bad : {"", "+", "-", " 1", "1 ", "1.0", "1e3", "0x10", "1_000", "--1", "١"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(err(i32, text(bad)).rfind("expected int, got text", 0), 0U);
  }
  EXPECT_EQ(err(i32, text("2147483648")), "value 2147483648 out of range for int");
  auto big = make(T(TypeId::bigint));
  EXPECT_EQ(ok(big, text("-9223372036854775808")), Value{std::numeric_limits<std::int64_t>::min()});
  EXPECT_EQ(err(big, text("9223372036854775808")), "value 9223372036854775808 out of range for bigint");
  EXPECT_EQ(err(big, text("-99999999999999999999")), "value -99999999999999999999 out of range for bigint");
  std::string huge(100, '9');
  EXPECT_EQ(err(big, text(huge)), "value " + std::string(64, '9') + "... out of range for bigint");
}

// ---- float, double ---------------------------------------------------------------------------

TEST(Convert, DoubleFromNumbersAndText) {
  auto c = make(T(TypeId::double_));
  EXPECT_EQ(ok(c, num(-3)), Value{-3.0});
  EXPECT_EQ(ok(c, Datum::of_uint(18446744073709551615ULL)), Value{18446744073709551616.0});
  EXPECT_EQ(ok(c, dbl(0.1)), Value{0.1});
  EXPECT_EQ(ok(c, text("1.5")), Value{1.5});
  EXPECT_EQ(ok(c, text("-2e3")), Value{-2000.0});
  EXPECT_EQ(ok(c, text("+.5")), Value{0.5});
  EXPECT_EQ(ok(c, text("5.")), Value{5.0});
  EXPECT_EQ(ok(c, text("1E-3")), Value{0.001});
  EXPECT_EQ(ok(c, text("Infinity")), Value{std::numeric_limits<double>::infinity()});
  EXPECT_EQ(ok(c, text("-Infinity")), Value{-std::numeric_limits<double>::infinity()});
  EXPECT_TRUE(std::isnan(std::get<double>(ok(c, text("NaN")))));
  // A NaN number (Avro doubles can hold one) goes into a double column as it is.
  EXPECT_TRUE(std::isnan(std::get<double>(ok(c, dbl(std::nan(""))))));
  for (std::string_view bad : {"", "nan", "inf", "infinity", "-NaN", "1e", "e5", ".", "0x10", " 1", "1.5f", "1,5"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(err(c, text(bad)).rfind("expected double, got text", 0), 0U);
  }
  EXPECT_EQ(err(c, text("1e400")), "value 1e400 out of range for double");
  EXPECT_EQ(err(c, text("-1e-400")), "value -1e-400 out of range for double");  // would be 0
  EXPECT_EQ(ok(c, text("4.9e-324")), Value{std::numeric_limits<double>::denorm_min()});
  EXPECT_EQ(err(c, Datum::of_bool(false)), "expected double, got boolean false");
}

TEST(Convert, FloatRangeIsChecked) {
  auto c = make(T(TypeId::float_));
  EXPECT_EQ(ok(c, dbl(1.5)), Value{1.5F});
  EXPECT_EQ(ok(c, dbl(0.1)), Value{0.1F});
  double max = std::numeric_limits<float>::max();
  EXPECT_EQ(ok(c, dbl(max)), Value{std::numeric_limits<float>::max()});
  EXPECT_EQ(ok(c, dbl(-max)), Value{-std::numeric_limits<float>::max()});
  EXPECT_EQ(err(c, dbl(1e39)), "value 1e+39 out of range for float");
  EXPECT_EQ(err(c, dbl(-1e39)), "value -1e+39 out of range for float");
  EXPECT_EQ(ok(c, dbl(INFINITY)), Value{std::numeric_limits<float>::infinity()});
  EXPECT_EQ(ok(c, num(16777216)), Value{16777216.0F});
  EXPECT_EQ(ok(c, text("3.25")), Value{3.25F});
  EXPECT_EQ(err(c, text("1e39")), "value 1e39 out of range for float");
  EXPECT_EQ(err(c, text("1e-50")), "value 1e-50 out of range for float");
  EXPECT_EQ(ok(c, text("-Infinity")), Value{-std::numeric_limits<float>::infinity()});
}

// ---- decimal, varint -------------------------------------------------------------------------

TEST(Convert, Decimal) {
  auto c = make(T(TypeId::decimal));
  EXPECT_EQ(ok(c, num(-42)), Value{D("-42")});
  EXPECT_EQ(ok(c, Datum::of_uint(18446744073709551615ULL)), Value{D("18446744073709551615")});
  // The shortest spelling of the double: 0.1 is unscaled 1, scale 1.
  EXPECT_EQ(ok(c, dbl(0.1)), Value{D("0.1")});
  EXPECT_EQ(ok(c, dbl(1e20)), Value{D("1e+20")});
  EXPECT_EQ(ok(c, dbl(-2.5e-7)), Value{D("-2.5e-07")});
  EXPECT_EQ(ok(c, text("-12.345")), Value{D("-12.345")});
  EXPECT_EQ(ok(c, text("1E+3")), Value{D("1E+3")});
  EXPECT_EQ(err(c, text("abc")), "expected decimal, got text \"abc\"");
  EXPECT_EQ(err(c, text("NaN")), "expected decimal, got text \"NaN\"");
  EXPECT_EQ(err(c, dbl(std::nan(""))), "expected decimal, got number NaN");
  EXPECT_EQ(err(c, Datum::of_bool(true)), "expected decimal, got boolean true");
  // Avro: two's complement unscaled value and the schema's scale. 0x04D2 = 1234.
  Datum avro = with_logical(Datum::of_bytes("\x04\xD2"), "decimal");
  avro.scale = 2;
  EXPECT_EQ(ok(c, avro), Value{D("12.34")});
  Datum negative = with_logical(Datum::of_bytes("\xFB\x2E"), "decimal");  // -1234
  negative.scale = 3;
  EXPECT_EQ(ok(c, negative), Value{D("-1.234")});
  EXPECT_EQ(err(c, Datum::of_bytes("\x04\xD2")),
            "expected decimal, got 2 bytes: bytes are a decimal only as an Avro decimal (with a scale)");
  EXPECT_TRUE(Contains(err(c, text(std::string(1001, '1'))), "longer than 1000 characters"));
}

TEST(Convert, Varint) {
  auto c = make(T(TypeId::varint));
  EXPECT_EQ(ok(c, num(std::numeric_limits<std::int64_t>::min())), Value{V("-9223372036854775808")});
  // Above INT64_MAX: refused by bigint, fine for varint.
  EXPECT_EQ(ok(c, Datum::of_uint(18446744073709551615ULL)), Value{V("18446744073709551615")});
  EXPECT_EQ(ok(c, dbl(1e20)), Value{V("100000000000000000000")});
  EXPECT_EQ(ok(c, dbl(std::ldexp(1.0, 70))), Value{V("1180591620717411303424")});  // exact, not shortest
  EXPECT_EQ(ok(c, dbl(-4.0)), Value{V("-4")});
  EXPECT_EQ(err(c, dbl(1.5)), "expected varint, got number 1.5");
  EXPECT_EQ(ok(c, text("-123456789012345678901234567890")), Value{V("-123456789012345678901234567890")});
  EXPECT_EQ(err(c, text("1.0")), "expected varint, got text \"1.0\"");
  EXPECT_EQ(err(c, Datum::of_bool(true)), "expected varint, got boolean true");
  Datum avro = with_logical(Datum::of_bytes(std::string_view("\x01\x00", 2)), "decimal");
  EXPECT_EQ(ok(c, avro), Value{V("256")});
}

// ---- boolean, text ---------------------------------------------------------------------------

TEST(Convert, Boolean) {
  auto c = make(T(TypeId::boolean));
  EXPECT_EQ(ok(c, Datum::of_bool(true)), Value{true});
  EXPECT_EQ(ok(c, Datum::of_bool(false)), Value{false});
  EXPECT_EQ(ok(c, text("TRUE")), Value{true});
  EXPECT_EQ(ok(c, text("False")), Value{false});
  EXPECT_EQ(err(c, text("yes")), "expected boolean, got text \"yes\"");
  EXPECT_EQ(err(c, text("1")), "expected boolean, got text \"1\"");
  EXPECT_EQ(err(c, num(1)), "expected boolean, got integer 1");
  EXPECT_EQ(err(c, dbl(0)), "expected boolean, got number 0");
}

TEST(Convert, TextAsIsAndScalarsAsJson) {
  auto c = make(T(TypeId::varchar));
  EXPECT_EQ(ok(c, text("héllo 𝄞")), Value{std::string("héllo 𝄞")});
  EXPECT_EQ(ok(c, text("")), Value{std::string()});
  EXPECT_EQ(ok(c, num(-7)), Value{std::string("-7")});
  EXPECT_EQ(ok(c, Datum::of_uint(18446744073709551615ULL)), Value{std::string("18446744073709551615")});
  EXPECT_EQ(ok(c, dbl(1.5)), Value{std::string("1.5")});
  EXPECT_EQ(ok(c, dbl(1e20)), Value{std::string("1e+20")});
  EXPECT_EQ(ok(c, dbl(2.0)), Value{std::string("2")});
  EXPECT_EQ(ok(c, Datum::of_bool(true)), Value{std::string("true")});
  EXPECT_EQ(err(c, Datum::of_bytes("ab")), "expected text, got 2 bytes");
  EXPECT_EQ(err(c, dbl(std::nan(""))), "expected text, got number NaN: it has no JSON spelling");
}

TEST(Convert, TextFromArraysAndObjectsIsCompactJson) {
  auto c = make(T(TypeId::varchar));
  Datum d = object({{"a", array({num(1), text("x\"y\\z"), Datum::null_value(), Datum::of_bool(true)})},
                    {"b", object({{"c", dbl(1.5)}, {"é", text("\n\t\x01")}})},
                    {"e", array({})}});
  EXPECT_EQ(ok(c, d), Value{std::string(R"({"a":[1,"x\"y\\z",null,true],"b":{"c":1.5,"é":"\n\t\u0001"},"e":[]})")});
  EXPECT_EQ(err(c, array({Datum::of_bytes("x")})),
            "expected text, got an array of 1 item: bytes in it have no JSON spelling");
  EXPECT_EQ(err(c, array({text("\xFF")})), "expected text, got an array of 1 item: a string in it is not valid UTF-8");
  EXPECT_EQ(err(c, array({dbl(INFINITY)})), "expected text, got an array of 1 item: Infinity has no JSON spelling");
}

TEST(Convert, TextMustBeUtf8) {
  auto c = make(T(TypeId::varchar));
  // Valid edges: the last 2-, 3- and 4-byte characters, around the surrogates, U+10FFFF.
  for (std::string_view good : {"\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80", "\xEF\xBF\xBF",
                                "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF"}) {
    SCOPED_TRACE(good);
    EXPECT_EQ(ok(c, text(good)), Value{std::string(good)});
  }
  struct Bad {
    std::string_view bytes;
    std::string_view why;
  };
  for (const Bad& bad : {
           Bad{"\xC0\xAF", "overlong 2-byte"},
           Bad{"\xC1\xBF", "overlong 2-byte"},
           Bad{"\xE0\x80\xAF", "overlong 3-byte"},
           Bad{"\xF0\x80\x80\xAF", "overlong 4-byte"},
           Bad{"\xED\xA0\x80", "high surrogate"},
           Bad{"\xED\xBF\xBF", "low surrogate"},
           Bad{"\xF4\x90\x80\x80", "above U+10FFFF"},
           Bad{"\xF5\x80\x80\x80", "F5 lead byte"},
           Bad{"\xFF", "FF"},
           Bad{"\x80", "lone continuation"},
           Bad{"\xE2\x82", "truncated 3-byte"},
           Bad{"abcdefgh\xF0\x9D\x84", "truncated 4-byte after an ASCII run"},
           Bad{"\xC3(", "bad continuation"},
       }) {
    SCOPED_TRACE(bad.why);
    EXPECT_FALSE(is_valid_utf8(bad.bytes));
    EXPECT_TRUE(err(c, text(bad.bytes)).ends_with(": not valid UTF-8"));
  }
  EXPECT_EQ(err(c, text("ab\xC0\xAF")), "expected text, got text \"ab\\xc0\\xaf\": not valid UTF-8");
  EXPECT_TRUE(is_valid_utf8("0123456789abcdefghij é"));
}

TEST(Convert, Ascii) {
  auto c = make(T(TypeId::ascii));
  EXPECT_EQ(ok(c, text("plain \x7F")), Value{std::string("plain \x7F")});
  EXPECT_EQ(err(c, text("café")), "expected ascii, got text \"café\": not ASCII");
  // JSON for an ascii column escapes what is not ASCII (a surrogate pair above U+FFFF).
  EXPECT_EQ(ok(c, array({text("é𝄞")})), Value{std::string(R"(["\u00e9\ud834\udd1e"])")});
  EXPECT_EQ(ok(c, num(12)), Value{std::string("12")});
}

// ---- blob ------------------------------------------------------------------------------------

TEST(Convert, BlobFromBytesAndBase64) {
  auto c = make(T(TypeId::blob));
  EXPECT_EQ(ok(c, Datum::of_bytes(std::string_view("\x00\xFF", 2))), (Value{cql::Blob{std::string("\x00\xFF", 2)}}));
  EXPECT_EQ(ok(c, text("")), Value{cql::Blob{""}});
  EXPECT_EQ(ok(c, text("Zg==")), Value{cql::Blob{"f"}});
  EXPECT_EQ(ok(c, text("Zm8=")), Value{cql::Blob{"fo"}});
  EXPECT_EQ(ok(c, text("Zm9v")), Value{cql::Blob{"foo"}});
  EXPECT_EQ(ok(c, text("Zm9vYg==")), Value{cql::Blob{"foob"}});
  EXPECT_EQ(ok(c, text("+/+/")), Value{cql::Blob{"\xFB\xFF\xBF"}});
  EXPECT_EQ(err(c, text("Zg")), "expected blob, got text \"Zg\": not base64: 2 characters, not a multiple of 4");
  EXPECT_EQ(err(c, text("Zg=")), "expected blob, got text \"Zg=\": not base64: 3 characters, not a multiple of 4");
  EXPECT_EQ(err(c, text("Z===")), "expected blob, got text \"Z===\": not base64: \"=\" at character 1");
  EXPECT_EQ(err(c, text("====")), "expected blob, got text \"====\": not base64: \"=\" at character 0");
  EXPECT_EQ(err(c, text("Zg=a")), "expected blob, got text \"Zg=a\": not base64: \"a\" at character 3");
  EXPECT_EQ(err(c, text("Zg==Zg==")), "expected blob, got text \"Zg==Zg==\": not base64: \"=\" at character 2");
  EXPECT_EQ(err(c, text("Zm-v")), "expected blob, got text \"Zm-v\": not base64: \"-\" at character 2");
  EXPECT_TRUE(Contains(err(c, text("Zm9v\n")), "not a multiple of 4"));
  EXPECT_EQ(err(c, text("Zm9 ")), "expected blob, got text \"Zm9 \": not base64: \" \" at character 3");
  // Non-canonical: bits past the data must be zero.
  EXPECT_EQ(err(c, text("Zh==")),
            "expected blob, got text \"Zh==\": not base64: the last character has bits set past the end of the data");
  EXPECT_FALSE(decode_base64("Zm9=").ok());
  EXPECT_EQ(err(c, num(1)), "expected blob, got integer 1");
}

// ---- uuid, timeuuid, inet --------------------------------------------------------------------

TEST(Convert, Uuid) {
  auto c = make(T(TypeId::uuid));
  auto want = *cql::Uuid::from_string("123e4567-e89b-42d3-a456-426614174000");
  EXPECT_EQ(ok(c, text("123e4567-e89b-42d3-a456-426614174000")), Value{want});
  EXPECT_EQ(ok(c, text("123E4567-E89B-42D3-A456-426614174000")), Value{want});
  std::string raw(want.bytes.begin(), want.bytes.end());
  EXPECT_EQ(ok(c, Datum::of_bytes(raw)), Value{want});
  EXPECT_EQ(err(c, Datum::of_bytes(raw.substr(1))), "expected uuid, got 15 bytes: a UUID is 16 bytes");
  EXPECT_EQ(err(c, text("123e4567e89b42d3a456426614174000")),
            "expected uuid, got text \"123e4567e89b42d3a456426614174000\": not a UUID (8-4-4-4-12 hex digits)");
  EXPECT_EQ(err(c, num(5)), "expected uuid, got integer 5");
}

TEST(Convert, TimeuuidMustBeVersion1) {
  auto c = make(T(TypeId::timeuuid));
  auto v1 = *cql::Uuid::from_string("c0a80164-1dd2-11b2-8000-000000000000");
  EXPECT_EQ(ok(c, text("c0a80164-1dd2-11b2-8000-000000000000")), Value{v1});
  EXPECT_EQ(err(c, text("123e4567-e89b-42d3-a456-426614174000")),
            "expected timeuuid, got text \"123e4567-e89b-42d3-a456-426614174000\": a version 4 UUID, not a "
            "time-based one (version 1)");
}

TEST(Convert, Inet) {
  auto c = make(T(TypeId::inet));
  EXPECT_EQ(ok(c, text("192.168.0.1")), Value{cql::Inet{std::string("\xC0\xA8\x00\x01", 4)}});
  EXPECT_EQ(ok(c, text("::1")), (Value{cql::Inet{std::string(15, '\0') + "\x01"}}));
  EXPECT_EQ(ok(c, Datum::of_bytes(std::string_view("\x7F\x00\x00\x01", 4))),
            Value{cql::Inet{std::string("\x7F\x00\x00\x01", 4)}});
  EXPECT_EQ(err(c, text("256.1.1.1")), "expected inet, got text \"256.1.1.1\": not an IPv4 or IPv6 address");
  EXPECT_EQ(err(c, Datum::of_bytes("abc")), "expected inet, got 3 bytes");
}

// ---- timestamp -------------------------------------------------------------------------------

constexpr std::int64_t kNovember20 = 1795169730000;  // 2026-11-20T10:15:30Z

Value ts(std::int64_t millis) { return cql::Timestamp{millis}; }

TEST(Convert, TimestampFromIsoText) {
  auto c = make(T(TypeId::timestamp));
  EXPECT_EQ(ok(c, text("2026-11-20T10:15:30Z")), ts(kNovember20));
  EXPECT_EQ(ok(c, text("2026-11-20T10:15:30")), ts(kNovember20));  // no offset: the zone (UTC)
  EXPECT_EQ(ok(c, text("2026-11-20 10:15:30z")), ts(kNovember20));
  EXPECT_EQ(ok(c, text("2026-11-20T12:15:30+02:00")), ts(kNovember20));
  EXPECT_EQ(ok(c, text("2026-11-20T04:45:30-0530")), ts(kNovember20));
  EXPECT_EQ(ok(c, text("2026-11-20T11:15:30+01")), ts(kNovember20));
  EXPECT_EQ(ok(c, text("2026-11-20T10:15Z")), ts(kNovember20 - 30000));
  EXPECT_EQ(ok(c, text("2026-11-20T10:15:30.123456789Z")), ts(kNovember20 + 123));  // below a millisecond: dropped
  EXPECT_EQ(ok(c, text("2026-11-20T10:15:30.5Z")), ts(kNovember20 + 500));
  EXPECT_EQ(ok(c, text("2026-11-20")), ts(kNovember20 - (10 * 3600 + 15 * 60 + 30) * 1000));
  EXPECT_EQ(ok(c, text("1969-12-31T23:59:59.9995Z")), ts(-1));  // rounded to the past
  EXPECT_EQ(ok(c, text("0001-01-01T00:00:00Z")), ts(-719162LL * 86400000));
  EXPECT_EQ(ok(c, text("2024-02-29T00:00:00Z")), ts(1709164800000));
  struct Bad {
    std::string_view text;
    std::string_view why;
  };
  for (const Bad& bad : {
           Bad{"2026-13-01T00:00Z", "month 13 out of range"},
           Bad{"2026-00-01T00:00Z", "month 0 out of range"},
           Bad{"2026-02-29T00:00Z", "day 29 out of range for 2026-02"},
           Bad{"2026-04-31", "day 31 out of range for 2026-04"},
           Bad{"2026-11-20T24:00Z", "hour 24 out of range"},
           Bad{"2026-11-20T10:60Z", "minute 60 out of range"},
           Bad{"2026-11-20T10:15:60Z", "second 60 out of range"},
           Bad{"2026-11-20T10:15:30+19:00", ""},
           Bad{"2026-11-20T10:15:30.1234567891Z", ""},
           Bad{"2026-11-20T10", ""},
           Bad{"2026-11-20T10:15:30.Z", ""},
           Bad{"26-11-20", ""},
           Bad{"2026-1-20", ""},
           Bad{"2026-11-20T10:15:30 Z", ""},
           Bad{"yesterday", ""},
           Bad{"", ""},
       }) {
    SCOPED_TRACE(bad.text);
    std::string want = "expected timestamp, got text " + quote_for_message(bad.text) + ": " +
                       (bad.why.empty() ? "expected ISO-8601 yyyy-mm-dd[THH:MM[:SS[.fraction]]][Z|+hh:mm|-hh:mm]"
                                        : std::string(bad.why));
    EXPECT_EQ(err(c, text(bad.text)), want);
  }
}

TEST(Convert, TimestampFromEpochNumbers) {
  auto ms = make(T(TypeId::timestamp));
  EXPECT_EQ(ok(ms, num(kNovember20)), ts(kNovember20));
  EXPECT_EQ(ok(ms, num(-1)), ts(-1));
  EXPECT_EQ(ok(ms, dbl(1000.0)), ts(1000));
  EXPECT_EQ(err(ms, dbl(1.5)), "expected timestamp, got number 1.5");
  EXPECT_EQ(err(ms, Datum::of_uint(9223372036854775808ULL)), "value 9223372036854775808 out of range for timestamp");
  EXPECT_EQ(err(ms, Datum::of_bool(true)), "expected timestamp, got boolean true");
  // Integer text is an epoch value too.
  EXPECT_EQ(ok(ms, text("1795169730000")), ts(kNovember20));
  EXPECT_EQ(ok(ms, text("-1500")), ts(-1500));

  auto seconds = make(T(TypeId::timestamp), {.epoch_unit = TimeUnit::seconds});
  EXPECT_EQ(ok(seconds, num(1795169730)), ts(kNovember20));
  EXPECT_EQ(ok(seconds, text("-1500")), ts(-1500000));
  EXPECT_EQ(err(seconds, num(std::numeric_limits<std::int64_t>::max())),
            "value 9223372036854775807 out of range for timestamp (seconds since the epoch)");
  EXPECT_EQ(err(seconds, num(9223372036854776)),
            "value 9223372036854776 out of range for timestamp (seconds since the epoch)");
  EXPECT_EQ(ok(seconds, num(9223372036854775)), ts(9223372036854775000));

  auto micros = make(T(TypeId::timestamp), {.epoch_unit = TimeUnit::microseconds});
  EXPECT_EQ(ok(micros, num(1795169730000999)), ts(kNovember20));
  EXPECT_EQ(ok(micros, num(-1)), ts(-1));  // floor, not toward zero
  auto nanos = make(T(TypeId::timestamp), {.epoch_unit = TimeUnit::nanoseconds});
  EXPECT_EQ(ok(nanos, num(1795169730000999999)), ts(kNovember20));
  EXPECT_EQ(ok(nanos, num(std::numeric_limits<std::int64_t>::min())), ts(-9223372036855));
}

TEST(Convert, TimestampFromAvroLogicalTypes) {
  // The epoch unit does not apply: the logical type says the unit.
  auto c = make(T(TypeId::timestamp), {.zone = "Europe/Paris", .epoch_unit = TimeUnit::seconds});
  EXPECT_EQ(ok(c, with_logical(num(kNovember20), "timestamp-millis")), ts(kNovember20));
  EXPECT_EQ(ok(c, with_logical(num(kNovember20 * 1000 + 999), "timestamp-micros")), ts(kNovember20));
  EXPECT_EQ(ok(c, with_logical(num(-1), "timestamp-micros")), ts(-1));
  EXPECT_EQ(ok(c, with_logical(num(kNovember20 * 1000000), "timestamp-nanos")), ts(kNovember20));
  // Local timestamps are wall-clock times in the zone: 11:15:30 in Paris in November is 10:15:30Z.
  constexpr std::int64_t kLocal = kNovember20 + 3600000;
  EXPECT_EQ(ok(c, with_logical(num(kLocal), "local-timestamp-millis")), ts(kNovember20));
  EXPECT_EQ(ok(c, with_logical(num(kLocal * 1000 + 7), "local-timestamp-micros")), ts(kNovember20));
  // 2026-03-29T02:30 local does not exist in Paris.
  EXPECT_EQ(err(c, with_logical(num(1774751400000), "local-timestamp-millis")),
            "expected timestamp, got integer 1774751400000 (local-timestamp-millis): 2026-03-29T02:30:00 does not "
            "exist in Europe/Paris (the clocks skip it)");
  EXPECT_EQ(err(c, with_logical(num(20777), "date")),
            "expected timestamp, got integer 20777 (date): not a point in time");
  EXPECT_EQ(err(c, with_logical(num(5), "time-millis")),
            "expected timestamp, got integer 5 (time-millis): not a point in time");
  // An unknown logical type is a plain number.
  EXPECT_EQ(ok(c, with_logical(num(2), "something-else")), ts(2000));
}

TEST(Convert, TimeZones) {
  auto paris = make(T(TypeId::timestamp), {.zone = "Europe/Paris"});
  EXPECT_EQ(ok(paris, text("2026-07-01T12:00")), ts(1782900000000));             // summer: +02:00, so 10:00Z
  EXPECT_EQ(ok(paris, text("2026-01-15T12:00")), ts(1768474800000));             // winter: +01:00
  EXPECT_EQ(ok(paris, text("2026-07-01T12:00Z")), ts(1782900000000 + 7200000));  // an offset wins over the zone
  // The spring gap: 02:00 to 03:00 on 2026-03-29 does not exist; refused rather than guessed.
  EXPECT_EQ(err(paris, text("2026-03-29T02:30")),
            "expected timestamp, got text \"2026-03-29T02:30\": 2026-03-29T02:30:00 does not exist in Europe/Paris "
            "(the clocks skip it)");
  EXPECT_EQ(ok(paris, text("2026-03-29T03:00")), ts(1774746000000));
  EXPECT_EQ(ok(paris, text("2026-03-29T01:59:59")), ts(1774745999000));
  // The autumn overlap: 02:30 on 2026-10-25 happens twice; the earlier one (+02:00) is taken.
  EXPECT_EQ(ok(paris, text("2026-10-25T02:30")), ts(1792888200000));

  auto kolkata = make(T(TypeId::timestamp), {.zone = "Asia/Kolkata"});
  EXPECT_EQ(ok(kolkata, text("2026-11-20T15:45:30")), ts(kNovember20));
  for (std::string_view zone : {"+05:30", "+0530"}) {
    auto fixed = make(T(TypeId::timestamp), {.zone = std::string(zone)});
    EXPECT_EQ(ok(fixed, text("2026-11-20T15:45:30")), ts(kNovember20));
  }
  auto west = make(T(TypeId::timestamp), {.zone = "-10"});
  EXPECT_EQ(ok(west, text("2026-11-20T00:15:30")), ts(kNovember20));
  for (std::string_view zone : {"Z", "UTC", "GMT", "Etc/UTC"}) {
    auto utc = make(T(TypeId::timestamp), {.zone = std::string(zone)});
    EXPECT_EQ(ok(utc, text("2026-11-20T10:15:30")), ts(kNovember20));
  }

  EXPECT_EQ(make_error(T(TypeId::int_), {.zone = "+25:00"}),
            "time zone \"+25:00\" is not an offset (+hh:mm, -hhmm, +hh, up to 18 hours)");
  EXPECT_EQ(make_error(T(TypeId::timestamp), {.zone = "Mars/Olympus_Mons"})
                .rfind("unknown time zone \"Mars/Olympus_Mons\"", 0),
            0U);
  EXPECT_EQ(make_error(T(TypeId::timestamp), {.zone = ""}).rfind("unknown time zone \"\"", 0), 0U);
}

// Zone files list changes up to 2037; after that the rule in the file's footer applies. Expected
// instants from Python's zoneinfo, which reads the same footer.
TEST(Convert, TimeZonesAfter2037) {
  auto paris = make(T(TypeId::timestamp), {.zone = "Europe/Paris"});
  EXPECT_EQ(ok(paris, text("2040-07-01T12:00")), ts(2224749600000));
  EXPECT_EQ(ok(paris, text("2040-01-15T12:00")), ts(2210238000000));
  EXPECT_EQ(err(paris, text("2040-03-25T02:30")),
            "expected timestamp, got text \"2040-03-25T02:30\": 2040-03-25T02:30:00 does not exist in Europe/Paris "
            "(the clocks skip it)");
  EXPECT_EQ(ok(paris, text("2040-10-28T02:30")), ts(2234997000000));  // twice: the earlier
  auto new_york = make(T(TypeId::timestamp), {.zone = "America/New_York"});
  EXPECT_EQ(ok(new_york, text("2045-07-04T12:00")), ts(2382796800000));
  EXPECT_EQ(ok(new_york, text("2045-12-04T12:00")), ts(2396019600000));
  // Southern hemisphere: daylight time spans the new year.
  auto sydney = make(T(TypeId::timestamp), {.zone = "Australia/Sydney"});
  EXPECT_EQ(ok(sydney, text("2040-01-15T12:00")), ts(2210202000000));
  EXPECT_EQ(ok(sydney, text("2040-07-15T12:00")), ts(2225930400000));
  EXPECT_EQ(ok(sydney, text("2040-04-01T02:30")), ts(2216820600000));
  EXPECT_EQ(ok(sydney, text("2040-12-31T23:30")), ts(2240569800000));
  EXPECT_EQ(ok(sydney, text("2041-01-01T00:30")), ts(2240573400000));
  // No daylight time any more (since 2019), and Dublin's winter "negative" daylight time.
  auto sao_paulo = make(T(TypeId::timestamp), {.zone = "America/Sao_Paulo"});
  EXPECT_EQ(ok(sao_paulo, text("2040-07-15T12:00")), ts(2225977200000));
  auto dublin = make(T(TypeId::timestamp), {.zone = "Europe/Dublin"});
  EXPECT_EQ(ok(dublin, text("2040-07-15T12:00")), ts(2225962800000));
  EXPECT_EQ(ok(dublin, text("2040-01-15T12:00")), ts(2210241600000));
}

TEST(Convert, TimestampPatterns) {
  auto dmy = make(T(TypeId::timestamp), {.zone = "Europe/Paris", .timestamp_format = "%d/%m/%Y %H:%M:%S"});
  EXPECT_EQ(ok(dmy, text("20/11/2026 11:15:30")), ts(kNovember20));
  EXPECT_EQ(ok(dmy, text("1/7/2026 12:00:00")), ts(1782900000000));
  EXPECT_EQ(ok(dmy, text("1795169730000")), ts(kNovember20));  // an integer is still an epoch value
  EXPECT_EQ(err(dmy, text("2026-11-20T10:15:30Z")),
            "expected timestamp, got text \"2026-11-20T10:15:30Z\": does not match the pattern \"%d/%m/%Y %H:%M:%S\" "
            "(at character 2)");
  EXPECT_TRUE(Contains(err(dmy, text("20/11/2026 11:15:30 ")), "(at character 19)"));
  EXPECT_EQ(err(dmy, text("31/11/2026 11:15:30")),
            "expected timestamp, got text \"31/11/2026 11:15:30\": day 31 out of range for 2026-11");
  EXPECT_TRUE(Contains(err(dmy, text("29/03/2026 02:30:00")), "does not exist in Europe/Paris"));

  auto full = make(T(TypeId::timestamp), {.timestamp_format = "%Y-%m-%dT%H:%M:%S.%f%z"});
  EXPECT_EQ(ok(full, text("2026-11-20T12:15:30.250+02:00")), ts(kNovember20 + 250));
  EXPECT_EQ(ok(full, text("2026-11-20T10:15:30.9Z")), ts(kNovember20 + 900));

  auto english = make(T(TypeId::timestamp), {.timestamp_format = "%a, %d %b %Y %T %z"});
  EXPECT_EQ(ok(english, text("Fri, 20 Nov 2026 10:15:30 +0000")), ts(kNovember20));
  EXPECT_EQ(ok(english, text("friday, 20 NOVEMBER 2026 11:15:30 +0100")), ts(kNovember20));
  EXPECT_EQ(err(english, text("Mon, 20 Nov 2026 10:15:30 +0000")),
            "expected timestamp, got text \"Mon, 20 Nov 2026 10:15:30 +0000\": the date is a friday, not a monday");

  auto twelve = make(T(TypeId::timestamp), {.timestamp_format = "%B %e %Y %I:%M %p"});
  EXPECT_EQ(ok(twelve, text("November 20 2026 10:15 AM")), ts(kNovember20 - 30000));
  EXPECT_EQ(ok(twelve, text("November  1 2026 12:00 am")), ts(1793491200000));
  EXPECT_EQ(ok(twelve, text("November 20 2026 12:15 PM")), ts(kNovember20 - 30000 + 2 * 3600000));
  EXPECT_TRUE(Contains(err(twelve, text("November 20 2026 13:15 PM")), "hour 13 out of range for %I"));

  // A pattern of digits only: integers are read with the pattern, not as epoch values.
  auto digits = make(T(TypeId::timestamp), {.timestamp_format = "%Y%m%d%H%M%S"});
  EXPECT_EQ(ok(digits, text("20261120101530")), ts(kNovember20));
  EXPECT_TRUE(Contains(err(digits, text("20261320101530")), "month 13 out of range"));

  auto date_only = make(T(TypeId::timestamp), {.timestamp_format = "%F"});
  EXPECT_EQ(ok(date_only, text("2026-11-20")), ts(kNovember20 - (10 * 3600 + 15 * 60 + 30) * 1000));
  auto percent = make(T(TypeId::timestamp), {.timestamp_format = "%Y%%%m%%%d"});
  EXPECT_EQ(ok(percent, text("2026%11%20")), ts(kNovember20 - (10 * 3600 + 15 * 60 + 30) * 1000));
}

TEST(Convert, BadPatternsAreRefusedAtMake) {
  auto why = [](const TimeSettings& s) { return make_error(T(TypeId::timestamp), s); };
  EXPECT_EQ(why({.timestamp_format = "%Y-%m-%d %Q"}), "timestamp_format \"%Y-%m-%d %Q\": unknown directive %Q");
  EXPECT_EQ(why({.timestamp_format = "%Y-%m-%d %"}), "timestamp_format \"%Y-%m-%d %\": ends with a lone %");
  EXPECT_EQ(why({.timestamp_format = "%Y-%m"}),
            "timestamp_format \"%Y-%m\": needs a year (%Y), a month (%m or %b) and a day (%d)");
  EXPECT_EQ(why({.timestamp_format = "%Y %Y-%m-%d"}), "timestamp_format \"%Y %Y-%m-%d\": %Y repeats a field");
  EXPECT_EQ(why({.timestamp_format = "%F %b"}), "timestamp_format \"%F %b\": %b repeats a field");
  EXPECT_EQ(why({.timestamp_format = "%F %I:%M"}), "timestamp_format \"%F %I:%M\": %I and %p go together");
  EXPECT_EQ(why({.timestamp_format = "%F %H:%M %p"}), "timestamp_format \"%F %H:%M %p\": %I and %p go together");
  EXPECT_EQ(why({.date_format = "%F %H"}), "date_format \"%F %H\": a date pattern cannot have %H");
  EXPECT_EQ(why({.date_format = "%F%z"}), "date_format \"%F%z\": a date pattern cannot have %z");
  EXPECT_EQ(why({.time_format = "%H"}), "time_format \"%H\": needs an hour (%H or %I) and a minute (%M)");
  EXPECT_EQ(why({.time_format = "%T %d"}), "time_format \"%T %d\": a time pattern cannot have %d");
}

TEST(Convert, ParseTimestampOnItsOwn) {
  EXPECT_EQ(*parse_timestamp_millis("2026-11-20T10:15:30.123456Z", {}), kNovember20 + 123);
  EXPECT_EQ(*parse_timestamp_micros("2026-11-20T10:15:30.123456Z", {}), kNovember20 * 1000 + 123456);
  EXPECT_EQ(*parse_timestamp_micros("1969-12-31T23:59:59.9999995Z", {}), -1);
  EXPECT_EQ(*parse_timestamp_micros("17", {.epoch_unit = TimeUnit::seconds}), 17000000);
  EXPECT_EQ(*parse_timestamp_millis("2026-07-01 12:00", {.zone = "Europe/Paris"}), 1782900000000);
  auto bad = parse_timestamp_millis("2026-13-01", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "\"2026-13-01\" is not a timestamp: month 13 out of range");
  EXPECT_FALSE(parse_timestamp_millis("2026-11-20", {.zone = "Nowhere/Special"}).ok());
}

TEST(Convert, TimeUnits) {
  EXPECT_EQ(*parse_time_unit("seconds"), TimeUnit::seconds);
  EXPECT_EQ(*parse_time_unit("s"), TimeUnit::seconds);
  EXPECT_EQ(*parse_time_unit("milliseconds"), TimeUnit::milliseconds);
  EXPECT_EQ(*parse_time_unit("MS"), TimeUnit::milliseconds);
  EXPECT_EQ(*parse_time_unit("microseconds"), TimeUnit::microseconds);
  EXPECT_EQ(*parse_time_unit("us"), TimeUnit::microseconds);
  EXPECT_EQ(*parse_time_unit("nanoseconds"), TimeUnit::nanoseconds);
  EXPECT_EQ(*parse_time_unit("ns"), TimeUnit::nanoseconds);
  auto bad = parse_time_unit("minutes");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "unknown time unit \"minutes\" (seconds, milliseconds, microseconds or nanoseconds)");
  EXPECT_EQ(time_unit_name(TimeUnit::microseconds), "microseconds");
}

// ---- date, time ------------------------------------------------------------------------------

Value day(std::int32_t days) { return cql::Date::from_days_since_epoch(days); }

TEST(Convert, Date) {
  auto c = make(T(TypeId::date));
  EXPECT_EQ(ok(c, text("2026-11-20")), day(20777));
  EXPECT_EQ(ok(c, text("1970-01-01")), day(0));
  EXPECT_EQ(ok(c, text("1969-12-31")), day(-1));
  EXPECT_EQ(ok(c, text("0001-01-01")), day(-719162));
  EXPECT_EQ(ok(c, text("9999-12-31")), day(2932896));
  EXPECT_EQ(ok(c, text("2000-02-29")), day(11016));
  EXPECT_EQ(err(c, text("1900-02-29")), "expected date, got text \"1900-02-29\": day 29 out of range for 1900-02");
  EXPECT_EQ(err(c, text("2026-11-20T00:00")), "expected date, got text \"2026-11-20T00:00\": expected yyyy-mm-dd");
  EXPECT_EQ(err(c, text("20777")), "expected date, got text \"20777\": expected yyyy-mm-dd");
  // Integers are days since the epoch, with or without Avro's "date".
  EXPECT_EQ(ok(c, num(20777)), day(20777));
  EXPECT_EQ(ok(c, with_logical(num(-1), "date")), day(-1));
  EXPECT_EQ(ok(c, dbl(3.0)), day(3));
  EXPECT_EQ(ok(c, num(std::numeric_limits<std::int32_t>::min())), day(std::numeric_limits<std::int32_t>::min()));
  EXPECT_EQ(err(c, num(2147483648)), "value 2147483648 out of range for date (days since the epoch)");
  EXPECT_EQ(err(c, with_logical(num(1795169730000), "timestamp-millis")),
            "expected date, got integer 1795169730000 (timestamp-millis): not a count of days");
  auto dmy = make(T(TypeId::date), {.date_format = "%d.%m.%Y"});
  EXPECT_EQ(ok(dmy, text("20.11.2026")), day(20777));
  EXPECT_TRUE(Contains(err(dmy, text("2026-11-20")), "does not match the pattern \"%d.%m.%Y\""));
  auto named = make(T(TypeId::date), {.date_format = "%A %d %B %Y"});
  EXPECT_EQ(ok(named, text("Friday 20 November 2026")), day(20777));
  EXPECT_FALSE(c.convert(Datum::of_bool(true)).ok());
}

TEST(Convert, Time) {
  auto c = make(T(TypeId::time));
  constexpr std::int64_t kS = 1000000000;
  EXPECT_EQ(ok(c, text("10:15")), Value{cql::Time{(10 * 3600 + 15 * 60) * kS}});
  EXPECT_EQ(ok(c, text("10:15:30")), Value{cql::Time{(10 * 3600 + 15 * 60 + 30) * kS}});
  EXPECT_EQ(ok(c, text("10:15:30.5")), Value{cql::Time{(10 * 3600 + 15 * 60 + 30) * kS + 500000000}});
  EXPECT_EQ(ok(c, text("23:59:59.999999999")), Value{cql::Time{86399999999999}});
  EXPECT_EQ(ok(c, text("00:00")), Value{cql::Time{0}});
  EXPECT_EQ(err(c, text("24:00")), "expected time, got text \"24:00\": hour 24 out of range");
  EXPECT_EQ(err(c, text("9:00")), "expected time, got text \"9:00\": expected HH:MM[:SS[.fraction]]");
  EXPECT_EQ(err(c, text("10:15:30.")), "expected time, got text \"10:15:30.\": expected HH:MM[:SS[.fraction]]");
  EXPECT_EQ(ok(c, num(0)), Value{cql::Time{0}});
  EXPECT_EQ(ok(c, num(86399999999999)), Value{cql::Time{86399999999999}});
  EXPECT_EQ(err(c, num(86400000000000)), "value 86400000000000 out of range for time (nanoseconds since midnight)");
  EXPECT_EQ(err(c, num(-1)), "value -1 out of range for time (nanoseconds since midnight)");
  EXPECT_EQ(ok(c, with_logical(num(1500), "time-millis")), Value{cql::Time{1500000000}});
  EXPECT_EQ(ok(c, with_logical(num(1500), "time-micros")), Value{cql::Time{1500000}});
  EXPECT_EQ(err(c, with_logical(num(86400000), "time-millis")),
            "value 86400000 out of range for time (milliseconds since midnight)");
  EXPECT_EQ(err(c, with_logical(num(9223372036854775807), "time-millis")),
            "value 9223372036854775807 out of range for time (milliseconds since midnight)");
  EXPECT_EQ(err(c, with_logical(num(5), "date")), "expected time, got integer 5 (date): not a time of day");
  auto twelve = make(T(TypeId::time), {.time_format = "%I:%M:%S.%f %p"});
  EXPECT_EQ(ok(twelve, text("12:00:01.25 AM")), Value{cql::Time{kS + 250000000}});
  EXPECT_EQ(ok(twelve, text("1:30:00.0 pm")), Value{cql::Time{(13 * 3600 + 30 * 60) * kS}});
  auto compact = make(T(TypeId::time), {.time_format = "%H%M"});
  EXPECT_EQ(ok(compact, text("0930")), Value{cql::Time{(9 * 3600 + 30 * 60) * kS}});
}

// ---- duration --------------------------------------------------------------------------------

cql::Duration dur(std::int32_t months, std::int32_t days, std::int64_t nanos) { return {months, days, nanos}; }

TEST(Convert, DurationIso) {
  auto c = make(T(TypeId::duration));
  constexpr std::int64_t kS = 1000000000;
  EXPECT_EQ(ok(c, text("P1Y2M3DT4H5M6.5S")), (Value{dur(14, 3, (4 * 3600 + 5 * 60 + 6) * kS + kS / 2)}));
  EXPECT_EQ(ok(c, text("P2W")), (Value{dur(0, 14, 0)}));
  EXPECT_EQ(ok(c, text("-P1D")), (Value{dur(0, -1, 0)}));
  EXPECT_EQ(ok(c, text("-P1MT1S")), (Value{dur(-1, 0, -kS)}));
  EXPECT_EQ(ok(c, text("PT0.000000001S")), (Value{dur(0, 0, 1)}));
  EXPECT_EQ(ok(c, text("PT36H")), (Value{dur(0, 0, 36 * 3600 * kS)}));
  EXPECT_EQ(ok(c, text("P0D")), (Value{dur(0, 0, 0)}));
  EXPECT_EQ(err(c, text("P1W1D")),
            "expected duration, got text \"P1W1D\": weeks (W) cannot be combined with other units in ISO-8601");
  for (std::string_view bad : {"P", "PT", "P1H", "PT1D", "P1D2Y", "P1.5D", "PT1.5M", "P1DT", "PT1S2M", "P-1D", "P1"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(err(c, text(bad)), "expected duration, got text " + quote_for_message(bad) +
                                     ": expected ISO-8601 (P1Y2M3DT4H5M6.5S, P2W) or units such as 1h30m");
  }
}

TEST(Convert, DurationCompact) {
  auto c = make(T(TypeId::duration));
  constexpr std::int64_t kS = 1000000000;
  EXPECT_EQ(ok(c, text("1h30m")), (Value{dur(0, 0, 5400 * kS)}));
  EXPECT_EQ(ok(c, text("2d")), (Value{dur(0, 2, 0)}));
  EXPECT_EQ(ok(c, text("1mo3d")), (Value{dur(1, 3, 0)}));
  EXPECT_EQ(ok(c, text("1y2mo")), (Value{dur(14, 0, 0)}));
  EXPECT_EQ(ok(c, text("2w1d")), (Value{dur(0, 15, 0)}));
  EXPECT_EQ(ok(c, text("500ms")), (Value{dur(0, 0, 500000000)}));
  EXPECT_EQ(ok(c, text("10us")), (Value{dur(0, 0, 10000)}));
  EXPECT_EQ(ok(c, text("10\xC2\xB5s")), (Value{dur(0, 0, 10000)}));
  EXPECT_EQ(ok(c, text("5ns")), (Value{dur(0, 0, 5)}));
  EXPECT_EQ(ok(c, text("1H30M")), (Value{dur(0, 0, 5400 * kS)}));
  EXPECT_EQ(ok(c, text("-1d12h")), (Value{dur(0, -1, -12 * 3600 * kS)}));
  EXPECT_EQ(ok(c, text("1s500ms10us5ns")), (Value{dur(0, 0, kS + 500010005)}));
  EXPECT_EQ(err(c, text("30m1h")), "expected duration, got text \"30m1h\": unit \"h\" out of order or repeated");
  EXPECT_EQ(err(c, text("1h1h")), "expected duration, got text \"1h1h\": unit \"h\" out of order or repeated");
  EXPECT_TRUE(Contains(err(c, text("10us10µs")), "unit \"µs\" out of order or repeated"));
  EXPECT_EQ(err(c, text("1x")),
            "expected duration, got text \"1x\": unknown unit \"x\" (y, mo, w, d, h, m, s, ms, us, ns)");
  EXPECT_EQ(err(c, text("1h30")), "expected duration, got text \"1h30\": 30 has no unit");
  EXPECT_TRUE(Contains(err(c, text("1h-30m")), "unknown unit \"h-\""));
  EXPECT_TRUE(Contains(err(c, text("--1h")), "expected ISO-8601"));
  EXPECT_TRUE(Contains(err(c, text("")), "expected ISO-8601"));
  EXPECT_TRUE(Contains(err(c, text("-")), "expected ISO-8601"));
  EXPECT_TRUE(Contains(err(c, text("1.5h")), "unknown unit \".\""));
  EXPECT_EQ(err(c, text("3000000000mo")), "expected duration, got text \"3000000000mo\": out of range");
  EXPECT_EQ(err(c, text("9999999999999999999ns")),
            "expected duration, got text \"9999999999999999999ns\": "
            "expected ISO-8601 (P1Y2M3DT4H5M6.5S, P2W) or units such as 1h30m");
  EXPECT_EQ(err(c, text("3000000h")), "expected duration, got text \"3000000h\": out of range");
  EXPECT_EQ(err(c, num(5)), "expected duration, got integer 5");
}

TEST(Convert, DurationFromAvro) {
  auto c = make(T(TypeId::duration));
  // Avro duration: fixed(12), little-endian months, days, milliseconds.
  Datum d = with_logical(Datum::of_bytes(std::string_view("\x02\x00\x00\x00\x03\x00\x00\x00\xE8\x03\x00\x00", 12)),
                         "duration");
  EXPECT_EQ(ok(c, d), (Value{dur(2, 3, 1000000000)}));
  Datum big = with_logical(Datum::of_bytes(std::string_view("\xFF\xFF\xFF\xFF\x00\x00\x00\x00\x00\x00\x00\x00", 12)),
                           "duration");
  EXPECT_EQ(err(c, big), "expected duration, got 12 bytes (duration): more months or days than an int holds");
}

// ---- collections, tuples, user types ---------------------------------------------------------

TEST(Convert, ListAndSet) {
  auto list = make(DataType::list_of(T(TypeId::int_)));
  EXPECT_EQ(ok(list, array({num(1), text("2"), dbl(3.0)})),
            (Value{cql::List{{std::int32_t{1}, std::int32_t{2}, std::int32_t{3}}}}));
  EXPECT_EQ(ok(list, array({})), Value{cql::List{}});
  EXPECT_EQ(err(list, array({num(1), text("x")})), "element 1: expected int, got text \"x\"");
  EXPECT_EQ(err(list, array({num(1), Datum::null_value()})),
            "element 1: expected int, got null (a list cannot hold nulls)");
  EXPECT_EQ(err(list, num(1)), "expected list<int>, got integer 1");
  EXPECT_EQ(err(list, text("[1,2]")), "expected list<int>, got text \"[1,2]\"");
  // Sets keep the order and the duplicates they are given: Cassandra sorts and deduplicates.
  auto set = make(DataType::set_of(T(TypeId::varchar)));
  EXPECT_EQ(ok(set, array({text("b"), text("a"), text("b")})),
            (Value{cql::Set{{std::string("b"), std::string("a"), std::string("b")}}}));
  EXPECT_EQ(err(set, array({Datum::null_value()})), "element 0: expected text, got null (a set cannot hold nulls)");
}

TEST(Convert, Vector) {
  auto c = make(DataType::vector_of(T(TypeId::float_), 3));
  EXPECT_EQ(ok(c, array({dbl(0.5), num(1), text("2")})), (Value{cql::Vector{{0.5F, 1.0F, 2.0F}}}));
  EXPECT_EQ(err(c, array({dbl(0.5), num(1)})),
            "expected vector<float, 3>, got an array of 2 items: a vector of 3 needs exactly 3 items");
  EXPECT_EQ(err(c, array({dbl(0.5), num(1), Datum::null_value()})),
            "element 2: expected float, got null (a vector cannot hold nulls)");
  EXPECT_EQ(err(c, array({dbl(0.5), num(1), dbl(1e39)})), "element 2: value 1e+39 out of range for float");
}

TEST(Convert, MapFromObjectReadsKeysAsText) {
  auto c = make(DataType::map_of(T(TypeId::int_), T(TypeId::varchar)));
  EXPECT_EQ(ok(c, object({{"1", text("a")}, {"-2", text("b")}})),
            (Value{cql::Map{{{std::int32_t{1}, std::string("a")}, {std::int32_t{-2}, std::string("b")}}}}));
  EXPECT_EQ(ok(c, object({})), Value{cql::Map{}});
  EXPECT_EQ(err(c, object({{"x", text("a")}})), "key \"x\": expected int, got text \"x\"");
  EXPECT_EQ(err(c, object({{"1", Datum::null_value()}})),
            "value of key \"1\": expected text, got null (a map cannot hold nulls)");
  EXPECT_EQ(err(c, object({{"1", num(5)}, {"2", Datum::of_bytes("")}})),
            "value of key \"2\": expected text, got 0 bytes");

  auto by_time = make(DataType::map_of(T(TypeId::timestamp), T(TypeId::boolean)), {.zone = "Europe/Paris"});
  EXPECT_EQ(ok(by_time, object({{"2026-07-01T12:00", text("true")}})),
            (Value{cql::Map{{{cql::Timestamp{1782900000000}, true}}}}));
  auto by_blob = make(DataType::map_of(T(TypeId::blob), T(TypeId::int_)));
  EXPECT_EQ(ok(by_blob, object({{"AQI=", num(1)}})), (Value{cql::Map{{{cql::Blob{"\x01\x02"}, std::int32_t{1}}}}}));
}

TEST(Convert, MapFromPairs) {
  auto c = make(DataType::map_of(T(TypeId::int_), T(TypeId::varchar)));
  EXPECT_EQ(ok(c, array({array({num(1), text("a")}), array({text("2"), num(3)})})),
            (Value{cql::Map{{{std::int32_t{1}, std::string("a")}, {std::int32_t{2}, std::string("3")}}}}));
  EXPECT_EQ(err(c, array({array({num(1)})})), "entry 0: expected a [key, value] pair, got an array of 1 item");
  EXPECT_EQ(err(c, array({num(1)})), "entry 0: expected a [key, value] pair, got integer 1");
  EXPECT_EQ(err(c, array({array({Datum::null_value(), text("a")})})),
            "key of entry 0: expected int, got null (a map cannot hold nulls)");
  EXPECT_EQ(err(c, array({array({num(1), Datum::null_value()})})),
            "value of entry 0: expected text, got null (a map cannot hold nulls)");
  EXPECT_EQ(err(c, text("{}")), "expected map<int, text>, got text \"{}\"");
}

TEST(Convert, Tuple) {
  auto c = make(DataType::tuple_of({T(TypeId::int_), T(TypeId::varchar), T(TypeId::boolean)}));
  EXPECT_EQ(ok(c, array({num(1), text("a"), Datum::of_bool(true)})),
            (Value{cql::Tuple{{std::int32_t{1}, std::string("a"), true}}}));
  EXPECT_EQ(ok(c, array({Datum::null_value(), text("a"), Datum::null_value()})),
            (Value{cql::Tuple{{cql::Null{}, std::string("a"), cql::Null{}}}}));
  EXPECT_EQ(err(c, array({num(1), text("a")})),
            "expected tuple<int, text, boolean>, got an array of 2 items: a tuple of 3 needs exactly 3 items");
  EXPECT_EQ(err(c, array({num(1), text("a"), num(1)})), "component 2: expected boolean, got integer 1");
  EXPECT_EQ(err(c, object({})), "expected tuple<int, text, boolean>, got an object of 0 members");
}

DataType address() {
  return DataType::udt_of(
      "ks", "address",
      {{"street", T(TypeId::varchar)}, {"zip", T(TypeId::int_)}, {"tags", DataType::set_of(T(TypeId::varchar))}});
}

TEST(Convert, UserType) {
  auto c = make(address());
  EXPECT_EQ(ok(c, object({{"zip", num(75001)}, {"street", text("rue de Rivoli")}})),
            (Value{cql::Udt{{std::string("rue de Rivoli"), std::int32_t{75001}, cql::Null{}}}}));
  EXPECT_EQ(ok(c, object({{"street", Datum::null_value()}, {"tags", array({text("x")})}})),
            (Value{cql::Udt{{cql::Null{}, cql::Null{}, cql::Set{{std::string("x")}}}}}));
  EXPECT_EQ(ok(c, object({})), (Value{cql::Udt{{cql::Null{}, cql::Null{}, cql::Null{}}}}));
  EXPECT_EQ(err(c, object({{"street", text("a")}, {"city", text("Paris")}})),
            "user type ks.address has no field \"city\"");
  EXPECT_EQ(err(c, object({{"zip", num(1)}, {"zip", num(2)}})), "field \"zip\" of ks.address is given twice");
  EXPECT_EQ(err(c, object({{"zip", text("750O1")}})), "field zip: expected int, got text \"750O1\"");
  EXPECT_EQ(err(c, object({{"tags", array({Datum::null_value()})}})),
            "field tags: element 0: expected text, got null (a set cannot hold nulls)");
  EXPECT_EQ(err(c, array({})), "expected ks.address, got an array of 0 items");
}

TEST(Convert, NestedCollections) {
  // list<frozen<map<text, frozen<set<int>>>>>
  auto type = DataType::list_of(
      DataType::map_of(T(TypeId::varchar), DataType::set_of(T(TypeId::int_)).as_frozen()).as_frozen());
  auto c = make(type);
  Datum d = array({object({{"a", array({num(1), num(2)})}, {"b", array({})}}), object({})});
  Value want = cql::List{
      {cql::Map{{{std::string("a"), cql::Set{{std::int32_t{1}, std::int32_t{2}}}}, {std::string("b"), cql::Set{}}}},
       cql::Map{}}};
  EXPECT_EQ(ok(c, d), want);
  Datum bad = array({object({{"a", array({num(1), text("z")})}})});
  EXPECT_EQ(err(c, bad), "element 0: value of key \"a\": element 1: expected int, got text \"z\"");
  // Lists of user types, and tuples holding lists.
  auto people = make(DataType::list_of(address().as_frozen()));
  EXPECT_EQ(ok(people, array({object({{"zip", num(1)}})})),
            (Value{cql::List{{cql::Udt{{cql::Null{}, std::int32_t{1}, cql::Null{}}}}}}));
  auto pair = make(DataType::tuple_of({DataType::list_of(T(TypeId::bigint)), T(TypeId::date)}));
  EXPECT_EQ(ok(pair, array({array({num(5)}), text("1970-01-02")})),
            (Value{cql::Tuple{{cql::List{{std::int64_t{5}}}, cql::Date::from_days_since_epoch(1)}}}));
}

// ---- messages, sharing, threads --------------------------------------------------------------

TEST(Convert, MessagesQuoteAtMost64Bytes) {
  EXPECT_EQ(quote_for_message("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
  EXPECT_EQ(quote_for_message("é\xFF"), "\"é\\xff\"");
  std::string longer(100, 'x');
  EXPECT_EQ(quote_for_message(longer), "\"" + std::string(64, 'x') + "\"...");
  // A character is never cut in two.
  std::string accents = std::string(63, 'x') + "éé";
  EXPECT_EQ(quote_for_message(accents), "\"" + std::string(63, 'x') + "é\"...");
  auto c = make(T(TypeId::int_));
  EXPECT_EQ(err(c, text(longer)), "expected int, got text \"" + std::string(64, 'x') + "\"...");
}

TEST(Convert, ConvertersShareTheirCompiledForm) {
  auto time = TimeParser::make({.zone = "Europe/Paris", .epoch_unit = TimeUnit::seconds});
  ASSERT_TRUE(time.ok());
  auto shared = std::make_shared<const TimeParser>(std::move(*time));
  auto a = Converter::make(T(TypeId::timestamp), shared);
  auto b = Converter::make(T(TypeId::date), shared);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(&a->time(), &b->time());
  Converter copy = *a;
  EXPECT_EQ(ok(copy, num(1)), ts(1000));
  EXPECT_EQ(ok(copy, text("2026-07-01T12:00")), ts(1782900000000));
  EXPECT_EQ(ok(*b, text("2026-11-20")), day(20777));
}

TEST(Convert, OneConverterManyThreads) {
  auto c = make(DataType::list_of(T(TypeId::timestamp)), {.zone = "America/New_York"});
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (std::size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        auto r = c.convert(array({text("2026-07-01T06:00"), num(i)}));
        if (!r.ok() || *r != Value{cql::List{{cql::Timestamp{1782900000000}, cql::Timestamp{i}}}}) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

TEST(Convert, ScalarsDoNotAllocate) {
  auto i32 = make(T(TypeId::int_));
  auto f64 = make(T(TypeId::double_));
  auto when = make(T(TypeId::timestamp), {.zone = "Europe/Paris"});
  auto later = make(T(TypeId::timestamp), {.zone = "Europe/Paris"});
  auto on = make(T(TypeId::date));
  auto id = make(T(TypeId::uuid));
  auto name = make(T(TypeId::varchar));
  Datum number = num(42);
  Datum numeric_text = text("-17");
  Datum real = dbl(2.5);
  Datum iso = text("2026-07-01T12:00:00.123");
  Datum after_2037 = text("2040-07-01T12:00");
  Datum day_text = text("2026-11-20");
  Datum uuid = text("123e4567-e89b-42d3-a456-426614174000");
  Datum short_text = text("short");
  Datum long_text = text("a text longer than any small-string buffer");
  auto count = [](const Converter& c, const Datum& d) {
    long before = g_allocations.load();
    bool converted = c.convert(d).ok();
    long allocations = g_allocations.load() - before;
    return converted ? allocations : -1;
  };
  EXPECT_EQ(count(i32, number), 0);
  EXPECT_EQ(count(i32, numeric_text), 0);
  EXPECT_EQ(count(f64, real), 0);
  EXPECT_EQ(count(when, iso), 0);
  EXPECT_EQ(count(later, after_2037), 0);
  EXPECT_EQ(count(on, day_text), 0);
  EXPECT_EQ(count(id, uuid), 0);
  EXPECT_EQ(count(name, short_text), 0);
  EXPECT_EQ(count(name, long_text), 1);  // the value's own string
}

// ---- the wire --------------------------------------------------------------------------------

// Converted values, encoded as protocol [value]s for their column, against bytes written out
// from the spec (section 6 of native_protocol_v4/v5: big-endian ints, two's complement varints,
// decimal = [int scale][varint], date = 2^31 + days, [int] counts and lengths in collections,
// duration = three zigzag [vint]s).
TEST(Convert, EncodesAsTheSpecSays) {
  struct Case {
    DataType type;
    Datum input;
    std::string_view hex;
  };
  Datum avro_decimal = with_logical(Datum::of_bytes("\x04\xD2"), "decimal");
  avro_decimal.scale = 2;
  std::vector<Case> cases;
  cases.push_back({T(TypeId::int_), text("-2"), "00000004 fffffffe"});
  cases.push_back({T(TypeId::tinyint), num(-1), "00000001 ff"});
  cases.push_back({T(TypeId::smallint), text("256"), "00000002 0100"});
  cases.push_back({T(TypeId::bigint), dbl(1.0), "00000008 0000000000000001"});
  cases.push_back({T(TypeId::varint), Datum::of_uint(18446744073709551615ULL), "00000009 00ffffffffffffffff"});
  cases.push_back({T(TypeId::varint), num(-129), "00000002 ff7f"});
  cases.push_back({T(TypeId::decimal), dbl(0.1), "00000005 00000001 01"});
  cases.push_back({T(TypeId::decimal), avro_decimal, "00000006 00000002 04d2"});
  cases.push_back({T(TypeId::double_), text("1.5"), "00000008 3ff8000000000000"});
  cases.push_back({T(TypeId::float_), dbl(1.5), "00000004 3fc00000"});
  cases.push_back({T(TypeId::boolean), text("true"), "00000001 01"});
  cases.push_back({T(TypeId::varchar), array({num(1), text("é")}), "00000008 5b312c22c3a9225d"});
  cases.push_back({T(TypeId::blob), text("AQID"), "00000003 010203"});
  cases.push_back({T(TypeId::timestamp), text("1970-01-01T00:00:01Z"), "00000008 00000000000003e8"});
  cases.push_back({T(TypeId::timestamp), text("1969-12-31T23:59:59.999Z"), "00000008 ffffffffffffffff"});
  cases.push_back({T(TypeId::date), text("1970-01-01"), "00000004 80000000"});
  cases.push_back({T(TypeId::date), text("1969-12-31"), "00000004 7fffffff"});
  cases.push_back({T(TypeId::time), text("00:00:01"), "00000008 000000003b9aca00"});
  cases.push_back({T(TypeId::duration), text("1mo2d3ns"), "00000003 020406"});
  cases.push_back({T(TypeId::duration), text("-P1M"), "00000003 010000"});
  cases.push_back({T(TypeId::inet), text("127.0.0.1"), "00000004 7f000001"});
  cases.push_back(
      {T(TypeId::uuid), text("00112233-4455-6677-8899-aabbccddeeff"), "00000010 00112233445566778899aabbccddeeff"});
  cases.push_back({DataType::list_of(T(TypeId::int_)), array({num(1), num(2)}),
                   "00000014 00000002 00000004 00000001 00000004 00000002"});
  cases.push_back({DataType::map_of(T(TypeId::varchar), T(TypeId::int_)), object({{"a", num(1)}}),
                   "00000011 00000001 00000001 61 00000004 00000001"});
  cases.push_back({DataType::tuple_of({T(TypeId::int_), T(TypeId::varchar)}), array({num(1), Datum::null_value()}),
                   "0000000c 00000004 00000001 ffffffff"});
  cases.push_back({T(TypeId::int_), Datum::null_value(), "ffffffff"});
  cases.push_back({T(TypeId::int_), Datum::missing_value(), "fffffffe"});
  for (const auto& k : cases) {
    SCOPED_TRACE(k.type.to_string() + " " + std::string(k.hex));
    auto c = make(k.type);
    Value v = ok(c, k.input);
    std::string out;
    ByteWriter w(out);
    auto s = cql::write_typed(k.type, v, w);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    EXPECT_EQ(to_hex(out), to_hex(unhex(k.hex)));
  }
}

}  // namespace
}  // namespace sluice::codec

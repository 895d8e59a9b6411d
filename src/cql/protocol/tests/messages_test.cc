// Why: request bodies are the contract with Cassandra and differ between v4 and v5 in small ways
// (flag widths, metadata ids, a prepare flags word) that a server answers with a protocol error
// or, worse, misreads. Every encoder is pinned here to bytes derived by hand from the specs, in
// both versions; every decoder to hand-built bodies of every kind and error code, and to hostile
// ones: truncation at every byte, counts the body cannot hold, malformed addresses.
#include <gtest/gtest.h>

#include "cql/protocol/messages.h"
#include "cql/protocol/tests/hex.h"

namespace sluice::cql {
namespace {

using testing::from_hex;

// [string]: a 2-byte length, then the text.
std::string str16(std::string_view text) {
  std::string out;
  out.push_back(static_cast<char>(text.size() >> 8U));
  out.push_back(static_cast<char>(text.size() & 0xffU));
  out.append(text);
  return out;
}

// [long string]: a 4-byte length, then the text.
std::string str32(std::string_view text) { return from_hex("00 00") + str16(text); }

// Checks the 9-byte header (version, flags, stream, opcode given as hex; the length must be the
// body's) and the body.
void expect_frame(const std::string& out, std::string_view header_hex, const std::string& body) {
  ASSERT_GE(out.size(), 9U);
  EXPECT_EQ(out.substr(0, 5), from_hex(header_hex));
  ByteReader r(std::string_view(out).substr(5, 4));
  EXPECT_EQ(r.u32(), body.size());
  EXPECT_EQ(out.substr(9), body);
}

// Every strict prefix of a well-formed body is refused as Errc::protocol.
template <class Decode>
void expect_prefixes_refused(const std::string& body, Decode decode) {
  for (std::size_t n = 0; n < body.size(); ++n) {
    auto r = decode(as_bytes(std::string_view(body).substr(0, n)));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(r.error().code(), Errc::protocol);
  }
}

// ---- encoders --------------------------------------------------------------------------------

TEST(CqlMessages, OptionsIsAnEmptyBodyInBothVersions) {
  std::string out;
  encode_options(ProtocolVersion::v4, 3, out);
  encode_options(ProtocolVersion::v5, 0x0102, out);
  EXPECT_EQ(out, from_hex("04 00 00 03 05 00 00 00 00  05 00 01 02 05 00 00 00 00"));
}

TEST(CqlMessages, StartupPutsCqlVersionFirstThenTheExtras) {
  std::string out;
  encode_startup(ProtocolVersion::v5, 1, {{"COMPRESSION", "lz4"}, {"DRIVER_NAME", "sluice"}}, out);
  std::string body = from_hex("00 03") + str16("CQL_VERSION") + str16("3.0.0") + str16("COMPRESSION") +
                     str16("lz4") + str16("DRIVER_NAME") + str16("sluice");
  EXPECT_EQ(out.substr(0, 9), from_hex("05 00 00 01 01 00 00 00 3d"));
  expect_frame(out, "05 00 00 01 01", body);
  out.clear();
  encode_startup(ProtocolVersion::v4, 0, {}, out);
  expect_frame(out, "04 00 00 00 01", from_hex("00 01") + str16("CQL_VERSION") + str16("3.0.0"));
}

QueryParams every_query_param() {
  QueryParams p;
  p.consistency = Consistency::quorum;
  p.values = {std::int32_t{7}, Value(Null{})};
  p.page_size = 100;
  p.paging_state = "ps";
  p.serial_consistency = Consistency::local_serial;
  p.default_timestamp = 42;
  p.keyspace = "ks";
  p.now_in_seconds = 1000;
  return p;
}

// values (2: int 7, null), page size 100, paging state "ps", serial LOCAL_SERIAL, timestamp 42.
const char* const kCommonParamsTail =
    "00 02  00 00 00 04 00 00 00 07  ff ff ff ff  00 00 00 64  00 00 00 02 70 73  00 09"
    "  00 00 00 00 00 00 00 2a";

TEST(CqlMessages, QueryV4HasAByteOfFlagsAndNoRoomForKeyspaceOrNow) {
  std::string out;
  encode_query(ProtocolVersion::v4, 1, "SELECT 1", every_query_param(), out);
  // QUORUM, flags 0x3d = values | page size | paging state | serial | timestamp.
  std::string body = str32("SELECT 1") + from_hex("00 04  3d") + from_hex(kCommonParamsTail);
  expect_frame(out, "04 00 00 01 07", body);
}

TEST(CqlMessages, QueryV5HasAnIntOfFlagsThenKeyspaceAndNowLast) {
  std::string out;
  encode_query(ProtocolVersion::v5, 1, "SELECT 1", every_query_param(), out);
  // flags 0x1bd: the v4 ones (0x3d) plus keyspace (0x80) and now_in_seconds (0x100).
  std::string body = str32("SELECT 1") + from_hex("00 04  00 00 01 bd") + from_hex(kCommonParamsTail) + str16("ks") +
                     from_hex("00 00 03 e8");
  expect_frame(out, "05 00 00 01 07", body);
}

TEST(CqlMessages, QueryV5WithoutOptionsIsConsistencyAndZeroFlags) {
  std::string out;
  QueryParams p;
  p.page_size = 0;
  encode_query(ProtocolVersion::v5, 0, "USE ks", p, out);
  expect_frame(out, "05 00 00 00 07", str32("USE ks") + from_hex("00 06  00 00 00 00"));
}

TEST(CqlMessages, PrepareV5AddsFlagsAndOptionalKeyspace) {
  std::string out;
  encode_prepare(ProtocolVersion::v4, 2, "SELECT 1", "ignored in v4", out);
  expect_frame(out, "04 00 00 02 09", str32("SELECT 1"));
  out.clear();
  encode_prepare(ProtocolVersion::v5, 2, "SELECT 1", "", out);
  expect_frame(out, "05 00 00 02 09", str32("SELECT 1") + from_hex("00 00 00 00"));
  out.clear();
  encode_prepare(ProtocolVersion::v5, 2, "SELECT 1", "ks", out);
  expect_frame(out, "05 00 00 02 09", str32("SELECT 1") + from_hex("00 00 00 01") + str16("ks"));
}

TEST(CqlMessages, ExecuteV5SendsTheResultMetadataIdAfterTheId) {
  QueryParams p;
  p.consistency = Consistency::one;
  p.skip_metadata = true;  // page size stays 5000 = 0x1388
  std::string out;
  encode_execute(ProtocolVersion::v4, -2, std::string("\x01\x02", 2), "ignored", p, out);
  expect_frame(out, "04 00 ff fe 0a", from_hex("00 02 01 02  00 01  06  00 00 13 88"));
  out.clear();
  encode_execute(ProtocolVersion::v5, 7, std::string("\x01\x02", 2), std::string("\xaa\xbb", 2), p, out);
  expect_frame(out, "05 00 00 07 0a", from_hex("00 02 01 02  00 02 aa bb  00 01  00 00 00 06  00 00 13 88"));
}

std::vector<BatchChild> two_children() {
  return {BatchChild{.prepared = false, .query = "INSERT x", .values = {std::int32_t{1}}},
          BatchChild{.prepared = true, .query = std::string("\x01\x02", 2), .values = {}}};
}

// <kind 0><long string><n=1><int 1>, then <kind 1><short bytes id><n=0>.
std::string two_children_hex() {
  return from_hex("00") + str32("INSERT x") + from_hex("00 01  00 00 00 04 00 00 00 01") +
         from_hex("01  00 02 01 02  00 00");
}

TEST(CqlMessages, BatchV4HasAByteOfFlags) {
  BatchParams p{.type = BatchType::unlogged, .consistency = Consistency::one,
                .serial_consistency = Consistency::serial, .default_timestamp = 5, .keyspace = "ks",
                .now_in_seconds = 7};
  std::string out;
  encode_batch(ProtocolVersion::v4, 4, two_children(), p, out);
  std::string body = from_hex("01  00 02") + two_children_hex() +
                     from_hex("00 01  30  00 08  00 00 00 00 00 00 00 05");
  expect_frame(out, "04 00 00 04 0d", body);
}

TEST(CqlMessages, BatchV5HasAnIntOfFlagsWithKeyspaceAndNow) {
  BatchParams p{.type = BatchType::counter, .consistency = Consistency::one,
                .serial_consistency = Consistency::serial, .default_timestamp = 5, .keyspace = "ks",
                .now_in_seconds = 7};
  std::string out;
  encode_batch(ProtocolVersion::v5, 4, two_children(), p, out);
  // flags 0x1b0: serial (0x10), timestamp (0x20), keyspace (0x80), now_in_seconds (0x100).
  std::string body = from_hex("02  00 02") + two_children_hex() +
                     from_hex("00 01  00 00 01 b0  00 08  00 00 00 00 00 00 00 05") + str16("ks") +
                     from_hex("00 00 00 07");
  expect_frame(out, "05 00 00 04 0d", body);
  out.clear();
  encode_batch(ProtocolVersion::v5, 0, {}, BatchParams{}, out);
  expect_frame(out, "05 00 00 00 0d", from_hex("00  00 00  00 06  00 00 00 00"));
}

TEST(CqlMessages, RegisterIsAStringList) {
  std::string out;
  encode_register(ProtocolVersion::v5, 0, {"STATUS_CHANGE", "SCHEMA_CHANGE"}, out);
  expect_frame(out, "05 00 00 00 0b", from_hex("00 02") + str16("STATUS_CHANGE") + str16("SCHEMA_CHANGE"));
}

TEST(CqlMessages, AuthResponseIsBytesOrNull) {
  std::string out;
  encode_auth_response(ProtocolVersion::v4, 0, password_auth_token("u", "p"), out);
  expect_frame(out, "04 00 00 00 0f", from_hex("00 00 00 04  00 75 00 70"));
  out.clear();
  encode_auth_response(ProtocolVersion::v5, 0, std::nullopt, out);
  expect_frame(out, "05 00 00 00 0f", from_hex("ff ff ff ff"));
  EXPECT_EQ(password_auth_token("cassandra", "pw"), std::string("\0cassandra\0pw", 13));
  EXPECT_EQ(password_auth_token("", ""), std::string("\0\0", 2));
}

// ---- RESULT ----------------------------------------------------------------------------------

// Prepared: id 01 02, [v5: metadata id aa bb], one bind column ks.t.k text (the partition key,
// index 0), no result metadata.
std::string prepared_body(bool v5) {
  return from_hex("00 00 00 04  00 02 01 02") + (v5 ? from_hex("00 02 aa bb") : std::string()) +
         from_hex("00 00 00 01  00 00 00 01  00 00 00 01  00 00") + str16("ks") + str16("t") + str16("k") +
         from_hex("00 0d  00 00 00 04  00 00 00 00");
}

TEST(CqlMessages, PreparedV5CarriesTheResultMetadataId) {
  for (auto v : {ProtocolVersion::v4, ProtocolVersion::v5}) {
    const bool v5 = v == ProtocolVersion::v5;
    std::string body = prepared_body(v5);
    auto r = decode_result(v, as_bytes(body));
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    const auto& p = std::get<Prepared>(*r);
    EXPECT_EQ(p.id, std::string("\x01\x02", 2));
    EXPECT_EQ(p.result_metadata_id, v5 ? std::string("\xaa\xbb", 2) : std::string());
    ASSERT_EQ(p.bind_columns.size(), 1U);
    EXPECT_EQ(p.bind_columns[0].keyspace, "ks");
    EXPECT_EQ(p.bind_columns[0].name, "k");
    EXPECT_EQ(p.partition_key_indexes, std::vector<std::uint16_t>{0});
    EXPECT_TRUE(p.result_columns.empty());
    expect_prefixes_refused(body, [v](Bytes b) { return decode_result(v, b); });
  }
}

// Rows: global spec ks.t, one int column "id", one row (7); flags 0x0009 with a new metadata id.
std::string rows_body(bool with_metadata_id) {
  return from_hex("00 00 00 02") + (with_metadata_id ? from_hex("00 00 00 09") : from_hex("00 00 00 01")) +
         from_hex("00 00 00 01") + (with_metadata_id ? from_hex("00 02 0a 0b") : std::string()) + str16("ks") +
         str16("t") + str16("id") + from_hex("00 09  00 00 00 01  00 00 00 04 00 00 00 07");
}

TEST(CqlMessages, RowsV5MetadataChangedCarriesTheNewId) {
  std::string body = rows_body(true);
  auto r = decode_result(ProtocolVersion::v5, as_bytes(body));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const auto& rows = std::get<Rows>(*r);
  EXPECT_EQ(rows.new_metadata_id, std::string("\x0a\x0b", 2));
  ASSERT_EQ(rows.columns.size(), 1U);
  EXPECT_EQ(rows.columns[0].name, "id");
  EXPECT_EQ(std::get<std::int32_t>(*rows.cell(0, 0)), 7);
  expect_prefixes_refused(body, [](Bytes b) { return decode_result(ProtocolVersion::v5, b); });

  std::string plain = rows_body(false);
  for (auto v : {ProtocolVersion::v4, ProtocolVersion::v5}) {
    auto p = decode_result(v, as_bytes(plain));
    ASSERT_TRUE(p.ok());
    EXPECT_FALSE(std::get<Rows>(*p).new_metadata_id.has_value());
  }
}

TEST(CqlMessages, RowsV4IgnoresTheMetadataChangedBit) {
  // v4 defines no 0x0008: the body has no id, and the column specs follow the count directly.
  std::string body = rows_body(false);
  body[7] = 0x09;
  auto r = decode_result(ProtocolVersion::v4, as_bytes(body));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_FALSE(std::get<Rows>(*r).new_metadata_id.has_value());
  EXPECT_EQ(std::get<std::int32_t>(*std::get<Rows>(*r).cell(0, 0)), 7);
}

TEST(CqlMessages, SchemaChangeResultOfAFunctionHasArgumentTypes) {
  std::string body = from_hex("00 00 00 05") + str16("CREATED") + str16("FUNCTION") + str16("ks") + str16("f") +
                     from_hex("00 02") + str16("int") + str16("frozen<list<text>>");
  auto r = decode_result(ProtocolVersion::v5, as_bytes(body));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const auto& sc = std::get<SchemaChange>(*r);
  EXPECT_EQ(sc.target, "FUNCTION");
  EXPECT_EQ(sc.name, "f");
  EXPECT_EQ(sc.arg_types, (std::vector<std::string>{"int", "frozen<list<text>>"}));
  expect_prefixes_refused(body, [](Bytes b) { return decode_result(ProtocolVersion::v4, b); });
  // A count of 65535 argument types in a few bytes is refused before anything is reserved.
  std::string lying = from_hex("00 00 00 05") + str16("CREATED") + str16("AGGREGATE") + str16("ks") + str16("f") +
                      from_hex("ff ff") + str16("int");
  EXPECT_FALSE(decode_result(ProtocolVersion::v4, as_bytes(lying)).ok());
}

// ---- ERROR -----------------------------------------------------------------------------------

std::string error_head(std::string_view code_hex, std::string_view message) {
  return from_hex(code_hex) + str16(message);
}

TEST(CqlMessages, ErrorsWithoutExtraFields) {
  struct Case {
    const char* code_hex;
    ServerErrorCode code;
    const char* name;
  };
  const Case cases[] = {
      {"00 00 00 00", ServerErrorCode::server_error, "ServerError (0x0000)"},
      {"00 00 00 0a", ServerErrorCode::protocol_error, "ProtocolError (0x000a)"},
      {"00 00 01 00", ServerErrorCode::bad_credentials, "BadCredentials (0x0100)"},
      {"00 00 10 01", ServerErrorCode::overloaded, "Overloaded (0x1001)"},
      {"00 00 10 02", ServerErrorCode::is_bootstrapping, "IsBootstrapping (0x1002)"},
      {"00 00 10 03", ServerErrorCode::truncate_error, "TruncateError (0x1003)"},
      {"00 00 16 00", ServerErrorCode::cdc_write_failure, "CdcWriteFailure (0x1600)"},
      {"00 00 20 00", ServerErrorCode::syntax_error, "SyntaxError (0x2000)"},
      {"00 00 21 00", ServerErrorCode::unauthorized, "Unauthorized (0x2100)"},
      {"00 00 22 00", ServerErrorCode::invalid, "Invalid (0x2200)"},
      {"00 00 23 00", ServerErrorCode::config_error, "ConfigError (0x2300)"},
  };
  for (const auto& c : cases) {
    for (auto v : {ProtocolVersion::v4, ProtocolVersion::v5}) {
      std::string body = error_head(c.code_hex, "boom");
      auto e = decode_error(v, as_bytes(body));
      ASSERT_TRUE(e.ok()) << c.name;
      EXPECT_EQ(e->code, c.code);
      EXPECT_EQ(e->message, "boom");
      EXPECT_EQ(e->to_string(), std::string(c.name) + ": boom");
      expect_prefixes_refused(body, [v](Bytes b) { return decode_error(v, b); });
    }
  }
}

TEST(CqlMessages, ErrorUnavailable) {
  std::string body = error_head("00 00 10 00", "no") + from_hex("00 04  00 00 00 02  00 00 00 01");
  auto e = decode_error(ProtocolVersion::v5, as_bytes(body));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->consistency, Consistency::quorum);
  EXPECT_EQ(e->required, 2);
  EXPECT_EQ(e->alive_or_received, 1);
  EXPECT_EQ(e->to_string(), "Unavailable (0x1000): no [consistency QUORUM, required 2, alive 1]");
  expect_prefixes_refused(body, [](Bytes b) { return decode_error(ProtocolVersion::v5, b); });
}

TEST(CqlMessages, ErrorWriteTimeoutCasCarriesContentionsInV5Only) {
  std::string simple = error_head("00 00 11 00", "wt") + from_hex("00 06  00 00 00 01  00 00 00 02") + str16("SIMPLE");
  std::string cas = error_head("00 00 11 00", "cas") + from_hex("00 09  00 00 00 00  00 00 00 01") + str16("CAS") +
                    from_hex("00 03");
  for (auto v : {ProtocolVersion::v4, ProtocolVersion::v5}) {
    auto e = decode_error(v, as_bytes(simple));
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->consistency, Consistency::local_quorum);
    EXPECT_EQ(e->alive_or_received, 1);
    EXPECT_EQ(e->required, 2);
    EXPECT_EQ(e->write_type, "SIMPLE");
    EXPECT_EQ(e->to_string(),
              "WriteTimeout (0x1100): wt [consistency LOCAL_QUORUM, received 1 of 2, write type SIMPLE]");
    expect_prefixes_refused(simple, [v](Bytes b) { return decode_error(v, b); });
  }
  auto v5 = decode_error(ProtocolVersion::v5, as_bytes(cas));
  ASSERT_TRUE(v5.ok());
  EXPECT_EQ(v5->contentions, 3);
  EXPECT_EQ(v5->to_string(),
            "WriteTimeout (0x1100): cas [consistency LOCAL_SERIAL, received 0 of 1, write type CAS, contentions 3]");
  expect_prefixes_refused(cas, [](Bytes b) { return decode_error(ProtocolVersion::v5, b); });
  // v4 has no contentions field: whatever follows is trailing data, which the spec says to ignore.
  auto v4 = decode_error(ProtocolVersion::v4, as_bytes(cas));
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->contentions, 0);
  EXPECT_TRUE(decode_error(ProtocolVersion::v4, as_bytes(std::string_view(cas).substr(0, cas.size() - 2))).ok());
}

TEST(CqlMessages, ErrorReadTimeout) {
  std::string body = error_head("00 00 12 00", "rt") + from_hex("00 01  00 00 00 00  00 00 00 01  01");
  auto e = decode_error(ProtocolVersion::v4, as_bytes(body));
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->data_present);
  EXPECT_EQ(e->to_string(), "ReadTimeout (0x1200): rt [consistency ONE, received 0 of 1, data present]");
  expect_prefixes_refused(body, [](Bytes b) { return decode_error(ProtocolVersion::v4, b); });
}

// v5's reason map: 127.0.0.2 failed with code 1 (read_too_many_tombstones), ::1 with code 0.
const char* const kReasonMapHex =
    "00 00 00 02  04 7f 00 00 02  00 01  10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01  00 00";

TEST(CqlMessages, ErrorReadFailureCountsInV4AndNamesReplicasInV5) {
  std::string v4 = error_head("00 00 13 00", "rf") + from_hex("00 06  00 00 00 01  00 00 00 02  00 00 00 02  00");
  auto e4 = decode_error(ProtocolVersion::v4, as_bytes(v4));
  ASSERT_TRUE(e4.ok());
  EXPECT_EQ(e4->num_failures, 2);
  EXPECT_TRUE(e4->reason_map.empty());
  EXPECT_FALSE(e4->data_present);
  EXPECT_EQ(e4->to_string(),
            "ReadFailure (0x1300): rf [consistency LOCAL_QUORUM, received 1 of 2, failures 2, data absent]");
  expect_prefixes_refused(v4, [](Bytes b) { return decode_error(ProtocolVersion::v4, b); });

  std::string v5 = error_head("00 00 13 00", "rf") + from_hex("00 06  00 00 00 01  00 00 00 02") +
                   from_hex(kReasonMapHex) + from_hex("01");
  auto e5 = decode_error(ProtocolVersion::v5, as_bytes(v5));
  ASSERT_TRUE(e5.ok());
  EXPECT_EQ(e5->num_failures, 2);
  using Reasons = std::vector<std::pair<std::string, std::uint16_t>>;
  EXPECT_EQ(e5->reason_map, (Reasons{{"127.0.0.2", 1}, {"::1", 0}}));
  EXPECT_TRUE(e5->data_present);
  EXPECT_EQ(e5->to_string(),
            "ReadFailure (0x1300): rf [consistency LOCAL_QUORUM, received 1 of 2, failures 2 (127.0.0.2: 1, ::1: 0), "
            "data present]");
  expect_prefixes_refused(v5, [](Bytes b) { return decode_error(ProtocolVersion::v5, b); });
}

TEST(CqlMessages, ErrorWriteFailureCountsInV4AndNamesReplicasInV5) {
  std::string v4 = error_head("00 00 15 00", "wf") + from_hex("00 06  00 00 00 01  00 00 00 02  00 00 00 01") +
                   str16("BATCH");
  auto e4 = decode_error(ProtocolVersion::v4, as_bytes(v4));
  ASSERT_TRUE(e4.ok());
  EXPECT_EQ(e4->num_failures, 1);
  EXPECT_EQ(e4->write_type, "BATCH");
  EXPECT_EQ(e4->to_string(),
            "WriteFailure (0x1500): wf [consistency LOCAL_QUORUM, received 1 of 2, failures 1, write type BATCH]");
  expect_prefixes_refused(v4, [](Bytes b) { return decode_error(ProtocolVersion::v4, b); });

  std::string v5 = error_head("00 00 15 00", "wf") + from_hex("00 06  00 00 00 01  00 00 00 02") +
                   from_hex(kReasonMapHex) + str16("SIMPLE");
  auto e5 = decode_error(ProtocolVersion::v5, as_bytes(v5));
  ASSERT_TRUE(e5.ok());
  EXPECT_EQ(e5->num_failures, 2);
  ASSERT_EQ(e5->reason_map.size(), 2U);
  EXPECT_EQ(e5->reason_map[1].first, "::1");
  EXPECT_EQ(e5->write_type, "SIMPLE");
  expect_prefixes_refused(v5, [](Bytes b) { return decode_error(ProtocolVersion::v5, b); });
}

TEST(CqlMessages, ErrorReasonMapRefusesLyingCountsAndBadAddresses) {
  std::string head = error_head("00 00 13 00", "rf") + from_hex("00 06  00 00 00 01  00 00 00 02");
  for (const char* map : {"7f ff ff ff  04 7f 00 00 01  00 00", "ff ff ff ff", "00 00 00 01  05 01 02 03 04 05  00 00",
                          "00 00 00 01  00  00 00"}) {
    std::string body = head + from_hex(map) + from_hex("00");
    auto e = decode_error(ProtocolVersion::v5, as_bytes(body));
    ASSERT_FALSE(e.ok()) << map;
    EXPECT_EQ(e.error().code(), Errc::protocol);
  }
}

TEST(CqlMessages, ErrorFunctionFailureNamesTheFunctionAndItsArguments) {
  std::string body = error_head("00 00 14 00", "ff") + str16("ks") + str16("fn") + from_hex("00 02") + str16("int") +
                     str16("text");
  for (auto v : {ProtocolVersion::v4, ProtocolVersion::v5}) {
    auto e = decode_error(v, as_bytes(body));
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->keyspace, "ks");
    EXPECT_EQ(e->function, "fn");
    EXPECT_EQ(e->arg_types, (std::vector<std::string>{"int", "text"}));
    EXPECT_EQ(e->to_string(), "FunctionFailure (0x1400): ff [function ks.fn(int, text)]");
    expect_prefixes_refused(body, [v](Bytes b) { return decode_error(v, b); });
  }
}

TEST(CqlMessages, ErrorCasWriteUnknown) {
  std::string body = error_head("00 00 17 00", "cu") + from_hex("00 08  00 00 00 00  00 00 00 02");
  auto e = decode_error(ProtocolVersion::v5, as_bytes(body));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->consistency, Consistency::serial);
  EXPECT_EQ(e->required, 2);
  EXPECT_EQ(e->to_string(), "CasWriteUnknown (0x1700): cu [consistency SERIAL, received 0 of 2]");
  expect_prefixes_refused(body, [](Bytes b) { return decode_error(ProtocolVersion::v5, b); });
}

TEST(CqlMessages, ErrorAlreadyExistsForATableAndForAKeyspace) {
  std::string table = error_head("00 00 24 00", "ae") + str16("ks") + str16("t");
  auto e = decode_error(ProtocolVersion::v4, as_bytes(table));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->keyspace, "ks");
  EXPECT_EQ(e->table, "t");
  EXPECT_EQ(e->to_string(), "AlreadyExists (0x2400): ae [table ks.t]");
  expect_prefixes_refused(table, [](Bytes b) { return decode_error(ProtocolVersion::v4, b); });
  std::string keyspace = error_head("00 00 24 00", "ae") + str16("ks") + str16("");
  auto k = decode_error(ProtocolVersion::v5, as_bytes(keyspace));
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->to_string(), "AlreadyExists (0x2400): ae [keyspace ks]");
}

TEST(CqlMessages, ErrorUnpreparedCarriesTheId) {
  std::string body = error_head("00 00 25 00", "up") + from_hex("00 03 01 ab ff");
  auto e = decode_error(ProtocolVersion::v5, as_bytes(body));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->unprepared_id, std::string("\x01\xab\xff", 3));
  EXPECT_EQ(e->to_string(), "Unprepared (0x2500): up [id 01abff]");
  expect_prefixes_refused(body, [](Bytes b) { return decode_error(ProtocolVersion::v5, b); });
}

// ---- AUTHENTICATE, AUTH_CHALLENGE, AUTH_SUCCESS ------------------------------------------------

TEST(CqlMessages, AuthenticateNamesTheAuthenticator) {
  std::string body = str16("org.apache.cassandra.auth.PasswordAuthenticator");
  auto a = decode_authenticate(as_bytes(body));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, "org.apache.cassandra.auth.PasswordAuthenticator");
  expect_prefixes_refused(body, [](Bytes b) { return decode_authenticate(b); });
}

TEST(CqlMessages, AuthTokensAreBytesOrNull) {
  auto null_token = decode_auth_token(as_bytes(from_hex("ff ff ff ff")));
  ASSERT_TRUE(null_token.ok());
  EXPECT_FALSE(null_token->has_value());
  auto empty = decode_auth_token(as_bytes(from_hex("00 00 00 00")));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, std::string());
  std::string body = from_hex("00 00 00 03 61 00 63");
  auto token = decode_auth_token(as_bytes(body));
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, std::string("a\0c", 3));
  expect_prefixes_refused(body, [](Bytes b) { return decode_auth_token(b); });
  EXPECT_FALSE(decode_auth_token(as_bytes(from_hex("ff ff ff fe"))).ok());
  EXPECT_FALSE(decode_auth_token(as_bytes(from_hex("7f ff ff ff 00"))).ok());
}

// ---- EVENT -----------------------------------------------------------------------------------

TEST(CqlMessages, StatusAndTopologyEventsCarryAnInet) {
  std::string up = str16("STATUS_CHANGE") + str16("UP") + from_hex("04 7f 00 00 02  00 00 23 52");
  auto e = decode_event(as_bytes(up));
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  EXPECT_EQ(e->kind, Event::Kind::status_change);
  EXPECT_EQ(e->change, "UP");
  EXPECT_EQ(e->address, "127.0.0.2");
  EXPECT_EQ(e->port, 9042);
  expect_prefixes_refused(up, [](Bytes b) { return decode_event(b); });

  std::string added = str16("TOPOLOGY_CHANGE") + str16("NEW_NODE") +
                      from_hex("10 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01  00 00 23 52");
  auto t = decode_event(as_bytes(added));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->kind, Event::Kind::topology_change);
  EXPECT_EQ(t->change, "NEW_NODE");
  EXPECT_EQ(t->address, "2001:db8::1");
  expect_prefixes_refused(added, [](Bytes b) { return decode_event(b); });
}

TEST(CqlMessages, SchemaChangeEvents) {
  std::string table = str16("SCHEMA_CHANGE") + str16("UPDATED") + str16("TABLE") + str16("ks") + str16("t");
  auto e = decode_event(as_bytes(table));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->kind, Event::Kind::schema_change);
  EXPECT_EQ(e->change, "UPDATED");
  EXPECT_EQ(e->schema.change_type, "UPDATED");
  EXPECT_EQ(e->schema.target, "TABLE");
  EXPECT_EQ(e->schema.keyspace, "ks");
  EXPECT_EQ(e->schema.name, "t");
  expect_prefixes_refused(table, [](Bytes b) { return decode_event(b); });

  std::string keyspace = str16("SCHEMA_CHANGE") + str16("DROPPED") + str16("KEYSPACE") + str16("ks");
  auto k = decode_event(as_bytes(keyspace));
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->schema.target, "KEYSPACE");
  EXPECT_TRUE(k->schema.name.empty());

  std::string aggregate = str16("SCHEMA_CHANGE") + str16("CREATED") + str16("AGGREGATE") + str16("ks") +
                          str16("avg2") + from_hex("00 01") + str16("double");
  auto a = decode_event(as_bytes(aggregate));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->schema.name, "avg2");
  EXPECT_EQ(a->schema.arg_types, std::vector<std::string>{"double"});
  expect_prefixes_refused(aggregate, [](Bytes b) { return decode_event(b); });
}

TEST(CqlMessages, EventsRefuseUnknownTypesBadAddressesAndPorts) {
  for (const std::string& body : {
           str16("WEATHER_CHANGE") + str16("RAIN"),
           str16("STATUS_CHANGE") + str16("UP") + from_hex("03 7f 00 00  00 00 23 52"),
           str16("STATUS_CHANGE") + str16("UP") + from_hex("04 7f 00 00 02  ff ff ff ff"),
           str16("STATUS_CHANGE") + str16("UP") + from_hex("04 7f 00 00 02  00 01 00 00"),
       }) {
    auto e = decode_event(as_bytes(body));
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().code(), Errc::protocol);
  }
}

}  // namespace
}  // namespace sluice::cql

// Why: frames are the contract with Cassandra. Requests must match the spec byte for byte, and
// hostile responses (huge lengths, bogus counts) must be refused without large allocations.
#include <gtest/gtest.h>

#include "cql/protocol/frame.h"
#include "cql/protocol/messages.h"

namespace sluice::cql {
namespace {

TEST(CqlFrame, OptionsRequestIsNineBytes) {
  std::string out;
  encode_options(ProtocolVersion::v4, 3, out);
  EXPECT_EQ(out, std::string("\x04\x00\x00\x03\x05\x00\x00\x00\x00", 9));
}

TEST(CqlFrame, StartupCarriesCqlVersion) {
  std::string out;
  encode_startup(ProtocolVersion::v4, 0, {}, out);
  std::string body("\x00\x01\x00\x0b" "CQL_VERSION" "\x00\x05" "3.0.0", 22);
  EXPECT_EQ(out.substr(0, 5), std::string("\x04\x00\x00\x00\x01", 5));
  EXPECT_EQ(out.substr(5, 4), std::string("\x00\x00\x00\x16", 4));
  EXPECT_EQ(out.substr(9), body);
}

TEST(CqlFrame, QueryEncodesConsistencyFlagsAndValues) {
  std::string out;
  QueryParams p;
  p.consistency = Consistency::quorum;
  p.page_size = 100;
  p.values = {std::int32_t{7}};
  p.default_timestamp = 42;
  encode_query(ProtocolVersion::v4, 1, "SELECT 1", p, out);
  ByteReader r(out);
  r.take(9);
  EXPECT_EQ(r.i32(), 8);
  EXPECT_EQ(as_chars(r.take(8)), "SELECT 1");
  EXPECT_EQ(r.u16(), 0x0004);                      // QUORUM
  EXPECT_EQ(r.u8(), 0x01 | 0x04 | 0x20);           // values, page size, default timestamp
  EXPECT_EQ(r.u16(), 1);                           // one value
  EXPECT_EQ(r.i32(), 4);
  EXPECT_EQ(r.i32(), 7);
  EXPECT_EQ(r.i32(), 100);
  EXPECT_EQ(r.i64(), 42);
  EXPECT_TRUE(r.at_end());
  EXPECT_TRUE(r.ok());
}

TEST(CqlFrame, HeaderRejectsOversizeAndWrongVersion) {
  std::string huge("\x84\x00\x00\x00\x08\x7f\xff\xff\xff", 9);
  auto h = read_frame_header(as_bytes(huge));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().code(), Errc::protocol);
  std::string v3("\x83\x00\x00\x00\x08\x00\x00\x00\x00", 9);
  EXPECT_FALSE(read_frame_header(as_bytes(v3)).ok());
  std::string good("\x84\x00\x00\x05\x02\x00\x00\x00\x00", 9);
  auto g = read_frame_header(as_bytes(good));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->stream, 5);
  EXPECT_EQ(g->opcode, Opcode::ready);
}

TEST(CqlResult, DecodesRowsWithGlobalSpec) {
  std::string body;
  ByteWriter w(body);
  w.i32(2);        // rows
  w.i32(0x0001);   // global tables spec
  w.i32(2);        // two columns
  for (std::string_view s : {"ks", "tbl", "id"}) { w.u16(static_cast<std::uint16_t>(s.size())); w.raw(s); }
  w.u16(0x0009);   // int
  w.u16(4); w.raw(std::string_view("name"));
  w.u16(0x000D);   // text
  w.i32(2);        // two rows
  w.i32(4); w.i32(10); w.i32(3); w.raw(std::string_view("abc"));
  w.i32(4); w.i32(11); w.i32(-1);
  auto r = decode_result(ProtocolVersion::v4, as_bytes(body));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  auto& rows = std::get<Rows>(*r);
  ASSERT_EQ(rows.row_count, 2U);
  EXPECT_EQ(rows.columns[1].name, "name");
  EXPECT_EQ(rows.columns[0].keyspace, "ks");
  EXPECT_EQ(std::get<std::int32_t>(*rows.cell(1, 0)), 11);
  EXPECT_EQ(std::get<std::string>(*rows.cell(0, 1)), "abc");
  EXPECT_TRUE(std::holds_alternative<Null>(*rows.cell(1, 1)));
  EXPECT_FALSE(rows.cell(2, 0).ok());
}

TEST(CqlResult, RefusesRowCountsTheBodyCannotHold) {
  std::string body;
  ByteWriter w(body);
  w.i32(2);
  w.i32(0x0004);       // no metadata
  w.i32(1000);         // columns
  w.i32(2000000000);   // rows: 2e12 cells in a few bytes
  auto r = decode_result(ProtocolVersion::v4, as_bytes(body));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Errc::protocol);
}

TEST(CqlError, DecodesUnavailableFields) {
  std::string body;
  ByteWriter w(body);
  w.i32(0x1000);
  w.u16(5); w.raw(std::string_view("no qu"));
  w.u16(0x0004);
  w.i32(2);
  w.i32(1);
  auto e = decode_error(ProtocolVersion::v4, as_bytes(body));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->code, ServerErrorCode::unavailable);
  EXPECT_EQ(e->required, 2);
  EXPECT_EQ(e->alive_or_received, 1);
  EXPECT_EQ(e->to_string(), "Unavailable (0x1000): no qu [consistency QUORUM, required 2, alive 1]");
}

TEST(CqlError, DecodesWriteTimeoutWriteType) {
  std::string body;
  ByteWriter w(body);
  w.i32(0x1100);
  w.u16(0);
  w.u16(0x0006);
  w.i32(1);
  w.i32(2);
  w.u16(9); w.raw(std::string_view("BATCH_LOG"));
  auto e = decode_error(ProtocolVersion::v4, as_bytes(body));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->write_type, "BATCH_LOG");
  EXPECT_EQ(e->consistency, Consistency::local_quorum);
}

TEST(CqlConsistency, ParsesNamesCaseInsensitively) {
  EXPECT_EQ(parse_consistency("local_quorum"), Consistency::local_quorum);
  EXPECT_EQ(parse_consistency("ALL"), Consistency::all);
  EXPECT_FALSE(parse_consistency("most").has_value());
  EXPECT_EQ(consistency_name(Consistency::local_one), "LOCAL_ONE");
}

}  // namespace
}  // namespace sluice::cql

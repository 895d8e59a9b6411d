// Why: the hand-derived vectors of messages_test.cc are our own reading of the specs and could be
// consistently wrong. gen_message_vectors.py has the Python cassandra-driver write the bodies of
// STARTUP, OPTIONS, QUERY, EXECUTE, PREPARE, BATCH, REGISTER and AUTH_RESPONSE for protocol v4 and
// v5; this test builds the same messages with our encoders and demands the same header version and
// opcode and the same body, byte for byte. Case names are shared by both files: a name either
// side lacks is a failure, so the two cannot silently drift apart.
//
// The file comes from $SLUICE_CQL_MESSAGE_VECTORS (ctest runs the generator first); without it
// the test fails: a cross-check that did not run proved nothing.
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "cql/protocol/messages.h"
#include "cql/protocol/tests/hex.h"

namespace sluice::cql {
namespace {

using Encode = std::function<void(ProtocolVersion, std::string&)>;

// The messages of gen_message_vectors.py, by case name without the "_v4"/"_v5" suffix.
std::map<std::string, Encode> encoders() {
  std::map<std::string, Encode> m;
  m["startup"] = [](ProtocolVersion v, std::string& out) {
    encode_startup(v, 0, {{"COMPRESSION", "lz4"}, {"DRIVER_NAME", "sluice"}, {"DRIVER_VERSION", "0.1"}}, out);
  };
  m["options"] = [](ProtocolVersion v, std::string& out) { encode_options(v, 0, out); };
  m["query"] = [](ProtocolVersion v, std::string& out) {
    QueryParams p;
    p.consistency = Consistency::quorum;
    p.serial_consistency = Consistency::local_serial;
    p.page_size = 100;
    p.paging_state = std::string("\x00\x01ps", 4);
    p.default_timestamp = 42;
    p.keyspace = "ks";  // v4 has no room for it and leaves it out, as the driver does
    encode_query(v, 0, "SELECT * FROM t WHERE k = 1", p, out);
  };
  m["query_minimal"] = [](ProtocolVersion v, std::string& out) {
    QueryParams p;
    p.consistency = Consistency::one;
    p.page_size = 0;
    encode_query(v, 0, "USE ks", p, out);
  };
  m["execute"] = [](ProtocolVersion v, std::string& out) {
    QueryParams p;
    p.consistency = Consistency::local_quorum;
    p.values = {std::int32_t{7}, Value(Null{}), std::string("abc")};
    p.page_size = 5000;
    encode_execute(v, 0, "\x01\x02\x03", "\xaa\xbb", p, out);
  };
  m["execute_paged"] = [](ProtocolVersion v, std::string& out) {
    QueryParams p;
    p.consistency = Consistency::local_one;
    p.page_size = 10;
    p.paging_state = "state";
    p.default_timestamp = 1234567890123456;
    p.serial_consistency = Consistency::serial;
    encode_execute(v, 0, "\x01\x02\x03", "", p, out);
  };
  m["prepare"] = [](ProtocolVersion v, std::string& out) {
    encode_prepare(v, 0, "INSERT INTO t (k, v) VALUES (?, ?)", "", out);
  };
  m["prepare_keyspace"] = [](ProtocolVersion v, std::string& out) {
    encode_prepare(v, 0, "SELECT * FROM t", "ks", out);
  };
  m["batch"] = [](ProtocolVersion v, std::string& out) {
    std::vector<BatchChild> children{
        {.prepared = false, .query = "INSERT INTO t (k) VALUES (?)", .values = {std::int32_t{1}}},
        {.prepared = true, .query = "\x01\x02", .values = {Value(Null{}), std::string("x")}}};
    BatchParams p{.type = BatchType::unlogged, .consistency = Consistency::one,
                  .serial_consistency = Consistency::serial, .default_timestamp = 5, .keyspace = "ks"};
    encode_batch(v, 0, children, p, out);
  };
  m["batch_counter"] = [](ProtocolVersion v, std::string& out) {
    BatchParams p{.type = BatchType::counter, .consistency = Consistency::local_quorum};
    encode_batch(v, 0, {{.prepared = true, .query = "\x09", .values = {}}}, p, out);
  };
  m["register"] = [](ProtocolVersion v, std::string& out) {
    encode_register(v, 0, {"TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"}, out);
  };
  m["auth_response"] = [](ProtocolVersion v, std::string& out) {
    encode_auth_response(v, 0, password_auth_token("cassandra", "secret"), out);
  };
  return m;
}

TEST(CqlProtocolCrossCheck, RequestBodiesMatchThePythonDriver) {
  const char* path = std::getenv("SLUICE_CQL_MESSAGE_VECTORS");
  ASSERT_TRUE(path != nullptr && *path != '\0') << "SLUICE_CQL_MESSAGE_VECTORS is not set (ctest sets it)";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;

  auto known = encoders();
  std::set<std::string> seen_bases;
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    std::string name, opcode_hex, body_hex;
    int version = 0;
    ASSERT_TRUE(fields >> name >> opcode_hex >> version >> body_hex) << "bad line: " << line;
    ASSERT_TRUE(version == 4 || version == 5) << name;
    std::string suffix = "_v" + std::to_string(version);
    ASSERT_TRUE(name.size() > suffix.size() && name.ends_with(suffix)) << name;
    std::string base = name.substr(0, name.size() - suffix.size());
    auto encoder = known.find(base);
    ASSERT_NE(encoder, known.end()) << "no sluice encoder for the driver's case " << name;
    seen_bases.insert(base);

    std::string out;
    encoder->second(static_cast<ProtocolVersion>(version), out);
    ASSERT_GE(out.size(), kFrameHeaderSize) << name;
    EXPECT_EQ(static_cast<int>(out[0]), version) << name;
    EXPECT_EQ(out.substr(4, 1), testing::from_hex(opcode_hex)) << name;
    std::string expected = body_hex == "-" ? std::string() : testing::from_hex(body_hex);
    EXPECT_EQ(testing::to_hex(out.substr(kFrameHeaderSize)), testing::to_hex(expected)) << name;
    ++cases;
  }
  for (const auto& [base, encode] : known) {
    EXPECT_TRUE(seen_bases.contains(base)) << "the driver wrote no case for " << base;
  }
  EXPECT_GE(cases, 20);
}

}  // namespace
}  // namespace sluice::cql

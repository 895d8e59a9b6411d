// Why: the routing key is what gets hashed; a composite key laid out differently from Cassandra's
// CompositeType hashes to another token and another replica set.
#include "cql/routing/partition_key.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "cql/routing/murmur3.h"

namespace sluice::cql {
namespace {

TEST(RoutingKey, SingleComponentIsTheValueItself) {
  const std::string value("\x00\x00\x00\x2a", 4);
  std::array<Bytes, 1> parts{as_bytes(value)};
  auto key = routing_key(parts);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, value);
  auto token = partition_token(parts);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, murmur3_token(as_bytes(value)));
}

TEST(RoutingKey, CompositeIsLengthBytesAndEndOfComponent) {
  // (int 1, text 'a'): 00 04 | 00 00 00 01 | 00, 00 01 | 61 | 00
  const std::string one("\x00\x00\x00\x01", 4);
  std::array<Bytes, 2> parts{as_bytes(one), as_bytes("a")};
  auto key = routing_key(parts);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, std::string("\x00\x04\x00\x00\x00\x01\x00\x00\x01\x61\x00", 11));
  // The same key's token in murmur3_vectors.inc ("composite (int 1, text 'a')").
  auto token = partition_token(parts);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, murmur3_token(as_bytes(*key)));
}

TEST(RoutingKey, EmptyComponentsAreKept) {
  std::array<Bytes, 2> parts{Bytes{}, as_bytes("x")};
  auto key = routing_key(parts);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, std::string("\x00\x00\x00\x00\x01x\x00", 7));
}

TEST(RoutingKey, AppendsAfterExistingBytes) {
  std::string out = "prefix";
  std::array<Bytes, 2> parts{as_bytes("a"), as_bytes("b")};
  ASSERT_TRUE(append_routing_key(parts, out).ok());
  EXPECT_EQ(out, std::string("prefix\x00\x01\x61\x00\x00\x01\x62\x00", 14));  // 0x61 'a', 0x62 'b'
}

TEST(RoutingKey, RefusesNoComponentsAndOversizedCompositeComponents) {
  EXPECT_EQ(routing_key({}).error().code(), Errc::invalid_argument);
  EXPECT_EQ(partition_token({}).error().code(), Errc::invalid_argument);

  const std::string max(kMaxCompositeComponent, 'x');
  const std::string over(kMaxCompositeComponent + 1, 'x');
  std::array<Bytes, 2> fits{as_bytes(max), as_bytes("k")};
  auto key = routing_key(fits);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->size(), 2 + max.size() + 1 + 2 + 1 + 1);
  EXPECT_EQ(static_cast<unsigned char>((*key)[0]), 0xffU);
  EXPECT_EQ(static_cast<unsigned char>((*key)[1]), 0xffU);

  std::string out = "kept";
  std::array<Bytes, 2> too_long{as_bytes("k"), as_bytes(over)};
  auto status = append_routing_key(too_long, out);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), Errc::invalid_argument);
  EXPECT_EQ(out, "kept");
  EXPECT_FALSE(partition_token(too_long).ok());

  // A lone component has no length prefix, so no such limit here (the server enforces its own).
  std::array<Bytes, 1> single{as_bytes(over)};
  EXPECT_TRUE(routing_key(single).ok());
}

}  // namespace
}  // namespace sluice::cql

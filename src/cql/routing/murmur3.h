// Murmur3 tokens exactly as Cassandra's Murmur3Partitioner computes them.
//
// Cassandra hashes a partition's routing key (see partition_key.h) with its own Java port of
// MurmurHash3_x64_128 (org.apache.cassandra.utils.MurmurHash.hash3_x64_128, seed 0). The port differs
// from the reference C implementation in the tail: the last 1..15 bytes are read as signed Java bytes
// and sign-extended to 64 bits before being shifted into place, so a tail byte >= 0x80 also flips every
// bit above its own position. Keys whose tail bytes are all < 0x80 hash as in the reference; the others
// do not, and a token computed with a stock MurmurHash3 sends them to the wrong replicas.
//
// The token is the first 64-bit half of that hash, except that Long.MIN_VALUE, the ring's minimum,
// which no key may own, is folded onto Long.MAX_VALUE, and the empty key is the minimum token itself
// (Murmur3Partitioner.getToken and normalize).
//
// Pure functions of their arguments: no state, thread-safe, no allocation.
#pragma once

#include <cstdint>
#include <limits>

#include "base/bytes.h"

namespace sluice::cql {

inline constexpr std::int64_t kMinToken = std::numeric_limits<std::int64_t>::min();
inline constexpr std::int64_t kMaxToken = std::numeric_limits<std::int64_t>::max();

// Both 64-bit halves, as the Java code's `long[] result` holds them.
struct Murmur3Hash {
  std::int64_t h1 = 0;
  std::int64_t h2 = 0;
  bool operator==(const Murmur3Hash&) const = default;
};

// Cassandra's hash3_x64_128 of `data` (tail bytes sign-extended, see above).
Murmur3Hash cassandra_murmur3_x64_128(Bytes data, std::int64_t seed = 0);

// The Murmur3Partitioner token of a routing key: kMinToken for the empty key, otherwise h1 with
// kMinToken mapped to kMaxToken.
std::int64_t murmur3_token(Bytes routing_key);

}  // namespace sluice::cql

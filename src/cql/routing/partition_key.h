// Routing keys: the bytes Cassandra hashes to place a partition on the ring.
//
// A partition key of one column hashes as that column's serialized value, as is. A composite
// partition key (several columns) hashes as Cassandra's CompositeType serializes it: for each
// component, in partition-key order, a 2-byte big-endian length, the value's bytes, and a 0x00
// end-of-component byte. The inputs are the components' serialized values, the bytes a bound
// parameter carries without its 4-byte length; null and unset values cannot be routed (Cassandra
// refuses them in a partition key) and are the caller's business.
//
// Pure functions: no state, thread-safe. routing_key and partition_token on a composite key allocate
// one string; a hot path can keep a buffer and use append_routing_key plus murmur3_token instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace sluice::cql {

// The longest component a composite key can carry: its length is written in 2 bytes.
inline constexpr std::size_t kMaxCompositeComponent = 0xFFFF;

// Appends the routing key of `components` to `out`. Errors (invalid_argument): no components, or a
// component of a composite key longer than kMaxCompositeComponent (then `out` is left as it was).
Status append_routing_key(std::span<const Bytes> components, std::string& out);

// The routing key of `components`, same rules.
Result<std::string> routing_key(std::span<const Bytes> components);

// murmur3_token(routing key of `components`), same errors. A single component is hashed in place.
Result<std::int64_t> partition_token(std::span<const Bytes> components);

}  // namespace sluice::cql

// The two checksums of native protocol v5 framing (segment.h), computed exactly as Cassandra does
// (org.apache.cassandra.net.Crc):
//
// - crc24: protects a segment header. Cassandra's own parameters (init 0x875060, polynomial
//   0x1974F0B, from Koopman's tables), fed the header's bytes least-significant first, each byte
//   shifted in most-significant bit first. No final xor. The result is written little-endian.
// - crc32: protects a segment payload. The ordinary IEEE/zlib CRC32, but primed: Cassandra
//   updates it with the four bytes FA 2D 55 CA before the payload. Written little-endian.
//
// Pure functions on byte spans; the lookup tables are compile-time constants, so everything here
// is thread-safe and allocation-free.
#pragma once

#include <cstdint>

#include "base/bytes.h"

namespace sluice::cql {

inline constexpr std::uint32_t kCrc24Init = 0x875060;
inline constexpr std::uint32_t kCrc24Poly = 0x1974F0B;  // 25 bits: x^24 is the top bit

// CRC24 of the low `nbytes` bytes of `value` (1 to 8; a segment header uses 3 or 5), taken least
// significant byte first: the order the header bytes have on the wire.
std::uint32_t crc24(std::uint64_t value, int nbytes);

// Plain IEEE CRC32 (zlib's crc32()): continues from `crc`, which is 0 to start or the result of
// a previous call over the bytes before `data`.
std::uint32_t crc32_ieee(std::uint32_t crc, Bytes data);

// The payload checksum of a v5 segment: crc32_ieee over FA 2D 55 CA followed by `data`.
std::uint32_t crc32_primed(Bytes data);

}  // namespace sluice::cql

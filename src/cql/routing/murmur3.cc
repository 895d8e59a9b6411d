#include "cql/routing/murmur3.h"

#include <algorithm>
#include <bit>

namespace sluice::cql {

namespace {

constexpr std::uint64_t kC1 = 0x87c37b91114253d5ULL;
constexpr std::uint64_t kC2 = 0x4cf5ad432745937fULL;

// Eight bytes as a little-endian word, whatever the host's byte order and the pointer's alignment.
std::uint64_t load_le64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8U) | p[i];
  return v;
}

// Java's `(long) key.get(i)`: the byte read as signed, widened with its sign. This is where Cassandra
// departs from the reference MurmurHash3, which widens the byte as unsigned.
std::uint64_t java_signed_byte(std::uint8_t b) {
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int8_t>(b)));
}

std::uint64_t mix_k1(std::uint64_t k1) { return std::rotl(k1 * kC1, 31) * kC2; }
std::uint64_t mix_k2(std::uint64_t k2) { return std::rotl(k2 * kC2, 33) * kC1; }

std::uint64_t fmix(std::uint64_t k) {
  k ^= k >> 33U;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33U;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33U;
  return k;
}

}  // namespace

Murmur3Hash cassandra_murmur3_x64_128(Bytes data, std::int64_t seed) {
  const std::size_t length = data.size();
  const std::size_t nblocks = length / 16;
  auto h1 = static_cast<std::uint64_t>(seed);
  auto h2 = static_cast<std::uint64_t>(seed);

  for (std::size_t i = 0; i < nblocks; ++i) {
    const std::uint8_t* block = data.data() + i * 16;
    h1 ^= mix_k1(load_le64(block));
    h1 = std::rotl(h1, 27) + h2;
    h1 = h1 * 5 + 0x52dce729;
    h2 ^= mix_k2(load_le64(block + 8));
    h2 = std::rotl(h2, 31) + h1;
    h2 = h2 * 5 + 0x38495ab5;
  }

  // Tail: bytes 8..14 feed k2, bytes 0..7 feed k1, each sign-extended before the shift.
  Bytes tail = data.subspan(nblocks * 16);
  if (tail.size() > 8) {
    std::uint64_t k2 = 0;
    for (std::size_t i = tail.size(); i-- > 8;) k2 ^= java_signed_byte(tail[i]) << ((i - 8) * 8);
    h2 ^= mix_k2(k2);
  }
  if (!tail.empty()) {
    std::uint64_t k1 = 0;
    for (std::size_t i = std::min<std::size_t>(tail.size(), 8); i-- > 0;) k1 ^= java_signed_byte(tail[i]) << (i * 8);
    h1 ^= mix_k1(k1);
  }

  h1 ^= static_cast<std::uint64_t>(length);
  h2 ^= static_cast<std::uint64_t>(length);
  h1 += h2;
  h2 += h1;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 += h2;
  h2 += h1;
  return {static_cast<std::int64_t>(h1), static_cast<std::int64_t>(h2)};
}

std::int64_t murmur3_token(Bytes routing_key) {
  if (routing_key.empty()) return kMinToken;
  const std::int64_t h1 = cassandra_murmur3_x64_128(routing_key).h1;
  return h1 == kMinToken ? kMaxToken : h1;
}

}  // namespace sluice::cql

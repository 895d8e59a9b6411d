// Why: a v5 connection is dead on arrival if one checksum bit differs from Cassandra's. The
// expected values below were not produced by this code: they come from a separate Python script
// written from the description in Cassandra's Crc.java (bitwise CRC24 with init 0x875060 and
// polynomial 0x1974F0B; bitwise reflected CRC32, also checked against zlib.crc32, primed with
// FA 2D 55 CA), and four of them also appear hard-coded in the DataStax Java driver's
// native-protocol tests (SegmentCodecHeaderTest, SegmentCodecTest), which talk to real servers.
#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>
#include <vector>

#include "cql/protocol/crc.h"

namespace sluice::cql {
namespace {

Bytes bytes_of(const std::string& s) { return as_bytes(s); }

TEST(Crc24, KnownAnswers) {
  struct Case {
    std::uint64_t value;
    int nbytes;
    std::uint32_t expected;
  };
  const std::array<Case, 10> cases{{
      {0x020005, 3, 0x9a9919},                                 // 5 bytes, self-contained (DataStax: 19 99 9a)
      {0x000000, 3, 0x7de777},                                 // empty, not self-contained
      {0x01ffff, 3, 0xfe9138},                                 // longest payload
      {0x03ffff, 3, 0x474025},                                 // longest, self-contained
      {0x020009, 3, 0xc1c8a4},                                 // 9 bytes (one empty envelope)
      {5U | (12ULL << 17U) | (1ULL << 34U), 5, 0x38089e},      // lz4 5/12/sc (DataStax: 9e 08 38)
      {5U | (131071ULL << 17U) | (1ULL << 34U), 5, 0xdc6cae},  // lz4 5/131071/sc (DataStax: ae 6c dc)
      {0, 5, 0xaaac0a},
      {0x0102030405060708ULL, 8, 0xf42882},
      {0xff, 1, 0x13bf41},
  }};
  for (const auto& c : cases) {
    EXPECT_EQ(crc24(c.value, c.nbytes), c.expected) << std::hex << "value 0x" << c.value << " nbytes " << c.nbytes;
  }
}

TEST(Crc24, OnlyTheRequestedBytesCount) {
  EXPECT_EQ(crc24(0xABCDEF0000020005ULL, 3), crc24(0x020005, 3));
  EXPECT_NE(crc24(0x020005, 3), crc24(0x020005, 4));  // a fourth (zero) byte still changes the CRC
}

TEST(Crc24, StaysWithin24Bits) {
  std::mt19937_64 rng(24);
  for (int i = 0; i < 2000; ++i) {
    const int n = 1 + static_cast<int>(rng() % 8);
    EXPECT_LT(crc24(rng(), n), 1U << 24U);
  }
}

TEST(Crc32, PlainIeeeCheckValue) {
  // The catalogued check value of CRC-32/ISO-HDLC (zlib's crc32) over "123456789".
  EXPECT_EQ(crc32_ieee(0, bytes_of("123456789")), 0xCBF43926U);
  EXPECT_EQ(crc32_ieee(0, {}), 0U);
}

TEST(Crc32, PrimedKnownAnswers) {
  EXPECT_EQ(crc32_primed({}), 0x44777ed3U);
  EXPECT_EQ(crc32_primed(bytes_of(std::string("\x01", 1))), 0xba9b2b0bU);  // DataStax: 0b 2b 9b ba
  EXPECT_EQ(crc32_primed(bytes_of("123456789")), 0xe2a261a7U);
  std::string all(256, '\0');
  for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<char>(i);
  EXPECT_EQ(crc32_primed(bytes_of(all)), 0x214de79bU);
}

TEST(Crc32, PrimingIsFourBytesFedFirst) {
  const std::string data = "some segment payload";
  EXPECT_EQ(crc32_primed(bytes_of(data)), crc32_ieee(0, bytes_of(std::string("\xFA\x2D\x55\xCA", 4) + data)));
}

// The slicing-by-8 loop against a bit-at-a-time reference, over every alignment and tail length.
std::uint32_t crc32_bitwise(Bytes data) {
  std::uint32_t c = 0xFFFFFFFFU;
  for (std::uint8_t b : data) {
    c ^= b;
    for (int i = 0; i < 8; ++i) c = (c & 1U) != 0 ? (c >> 1U) ^ 0xEDB88320U : c >> 1U;
  }
  return ~c;
}

TEST(Crc32, TableLoopMatchesBitwiseAtEveryAlignment) {
  std::mt19937 rng(32);
  std::vector<std::uint8_t> buf(4096 + 16);
  for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
  for (std::size_t start = 0; start < 16; ++start) {
    for (std::size_t len : {0UL, 1UL, 7UL, 8UL, 9UL, 15UL, 16UL, 17UL, 63UL, 1000UL, 4096UL}) {
      Bytes span(buf.data() + start, len);
      ASSERT_EQ(crc32_ieee(0, span), crc32_bitwise(span)) << "start " << start << " len " << len;
    }
  }
}

TEST(Crc32, ContinuesAcrossSplits) {
  std::mt19937 rng(7);
  std::vector<std::uint8_t> buf(1000);
  for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
  const Bytes all(buf);
  const std::uint32_t whole = crc32_ieee(0, all);
  for (std::size_t cut = 0; cut <= buf.size(); cut += 37) {
    EXPECT_EQ(crc32_ieee(crc32_ieee(0, all.first(cut)), all.subspan(cut)), whole) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace sluice::cql

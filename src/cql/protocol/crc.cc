#include "cql/protocol/crc.h"

#include <array>

#include "base/check.h"

namespace sluice::cql {

namespace {

constexpr std::uint32_t kCrc32Poly = 0xEDB88320U;  // IEEE 802.3, bit-reflected

// Slicing-by-8 tables: kTables[0] is the classic byte table; kTables[k][i] is the CRC of byte i
// followed by k zero bytes, which lets the main loop fold 8 input bytes per step.
using Crc32Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Crc32Tables make_crc32_tables() {
  Crc32Tables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1U) != 0 ? (c >> 1U) ^ kCrc32Poly : c >> 1U;
    t[0][i] = c;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8U) ^ t[0][t[k - 1][i] & 0xffU];
  }
  return t;
}

constexpr Crc32Tables kTables = make_crc32_tables();

std::uint32_t load_le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8U) |
         (static_cast<std::uint32_t>(p[2]) << 16U) | (static_cast<std::uint32_t>(p[3]) << 24U);
}

constexpr std::array<std::uint8_t, 4> kCrc32Primer{0xFA, 0x2D, 0x55, 0xCA};

}  // namespace

std::uint32_t crc24(std::uint64_t value, int nbytes) {
  SLUICE_CHECK(nbytes >= 1 && nbytes <= 8, "crc24 covers 1 to 8 bytes");
  std::uint32_t crc = kCrc24Init;
  for (int i = 0; i < nbytes; ++i) {
    crc ^= static_cast<std::uint32_t>(value & 0xffU) << 16U;
    value >>= 8U;
    for (int bit = 0; bit < 8; ++bit) {
      crc <<= 1U;
      if ((crc & 0x1000000U) != 0) crc ^= kCrc24Poly;
    }
  }
  return crc;
}

std::uint32_t crc32_ieee(std::uint32_t crc, Bytes data) {
  std::uint32_t c = ~crc;
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  while (n >= 8) {
    std::uint32_t lo = c ^ load_le32(p);
    std::uint32_t hi = load_le32(p + 4);
    c = kTables[7][lo & 0xffU] ^ kTables[6][(lo >> 8U) & 0xffU] ^ kTables[5][(lo >> 16U) & 0xffU] ^
        kTables[4][lo >> 24U] ^ kTables[3][hi & 0xffU] ^ kTables[2][(hi >> 8U) & 0xffU] ^
        kTables[1][(hi >> 16U) & 0xffU] ^ kTables[0][hi >> 24U];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = kTables[0][(c ^ *p++) & 0xffU] ^ (c >> 8U);
  return ~c;
}

std::uint32_t crc32_primed(Bytes data) {
  static const std::uint32_t kPrimed = crc32_ieee(0, Bytes(kCrc32Primer));
  return crc32_ieee(kPrimed, data);
}

}  // namespace sluice::cql

// Fuzzes v4 compressed frame bodies: a length, then an LZ4 block that may lie about it.
#include <cstddef>
#include <cstdint>

#include "cql/protocol/compression.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  (void)cql::decompress_v4_body(Bytes(data, size), 1U << 20U);
  return 0;
}

// Fuzzes the v5 segment stream decoder: the first byte picks the format (plain or lz4) and how the
// rest is cut into socket-sized chunks, so chunk boundaries are fuzzed too.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cql/protocol/segment.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  if (size < 1) return 0;
  auto format = (data[0] & 1U) != 0 ? cql::SegmentFormat::lz4 : cql::SegmentFormat::uncompressed;
  std::size_t chunk = 1 + (data[0] >> 1U);
  cql::SegmentDecoder decoder(format);
  std::vector<cql::Envelope> out;
  Bytes rest(data + 1, size - 1);
  while (!rest.empty()) {
    std::size_t n = rest.size() < chunk ? rest.size() : chunk;
    if (!decoder.feed(rest.first(n), out).ok()) return 0;
    rest = rest.subspan(n);
  }
  (void)decoder.finish();
  return 0;
}

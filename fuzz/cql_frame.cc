// Fuzzes the path a response takes: header check, then the decoder its opcode selects.
#include <cstddef>
#include <cstdint>

#include "cql/client/connection.h"
#include "cql/protocol/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  if (size < cql::kFrameHeaderSize) return 0;
  Bytes all(data, size);
  auto header = cql::read_frame_header(all.first(cql::kFrameHeaderSize));
  if (!header.ok()) return 0;
  Bytes body = all.subspan(cql::kFrameHeaderSize);
  if (body.size() > header->length) body = body.first(header->length);
  (void)cql::interpret_response(*header, as_chars(body));
  if (header->opcode == cql::Opcode::supported) (void)cql::decode_supported(body);
  return 0;
}

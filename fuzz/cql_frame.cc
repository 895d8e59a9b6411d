// Fuzzes the path a v4 response takes: header check, then the decoder its opcode selects.
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
  switch (header->opcode) {
    case cql::Opcode::supported: (void)cql::decode_supported(body); break;
    case cql::Opcode::event: (void)cql::decode_event(body); break;
    case cql::Opcode::authenticate: (void)cql::decode_authenticate(body); break;
    case cql::Opcode::auth_challenge:
    case cql::Opcode::auth_success: (void)cql::decode_auth_token(body); break;
    default: break;
  }
  return 0;
}

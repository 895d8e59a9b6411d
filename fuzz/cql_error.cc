// Fuzzes ERROR bodies and their formatting. The first byte picks the protocol version (odd: v5,
// whose failures carry a reason map and CAS write timeouts a contention count), the rest is the body.
#include <cstddef>
#include <cstdint>

#include "cql/protocol/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  if (size == 0) return 0;
  auto version = (data[0] & 1U) != 0 ? cql::ProtocolVersion::v5 : cql::ProtocolVersion::v4;
  auto error = cql::decode_error(version, Bytes(data + 1, size - 1));
  if (error.ok()) (void)error->to_string();
  return 0;
}

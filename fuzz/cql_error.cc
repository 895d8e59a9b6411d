// Fuzzes ERROR bodies and their formatting.
#include <cstddef>
#include <cstdint>

#include "cql/protocol/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  auto error = cql::decode_error(Bytes(data, size));
  if (error.ok()) (void)error->to_string();
  return 0;
}

// Fuzzes [option] type descriptions (recursive: collections, tuples, UDTs).
#include <cstddef>
#include <cstdint>

#include "cql/types/data_type.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  ByteReader in(Bytes(data, size));
  auto type = cql::read_data_type(in);
  if (in.ok()) (void)type.to_string();
  return 0;
}

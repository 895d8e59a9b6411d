// Fuzzes cell decoding for every CQL type: the input starts with an [option] type description,
// and the rest is one cell of that type (collections, tuples, UDTs and vectors recursively).
#include <cstddef>
#include <cstdint>

#include "cql/types/value.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  ByteReader in(Bytes(data, size));
  auto type = cql::read_data_type(in);
  if (!in.ok()) return 0;
  auto value = cql::decode_cell(type, in.rest());
  if (value.ok()) {
    // What was decoded must encode again without tripping anything.
    std::string out;
    ByteWriter w(out);
    (void)cql::write_typed(type, *value, w);
  }
  return 0;
}

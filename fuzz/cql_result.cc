// Fuzzes RESULT bodies and then decodes every cell of any rows they yield. The first byte picks the
// protocol version (odd: v5, with metadata ids in prepared and rows results), the rest is the body.
#include <cstddef>
#include <cstdint>
#include <variant>

#include "cql/protocol/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  if (size == 0) return 0;
  auto version = (data[0] & 1U) != 0 ? cql::ProtocolVersion::v5 : cql::ProtocolVersion::v4;
  auto result = cql::decode_result(version, Bytes(data + 1, size - 1));
  if (!result.ok()) return 0;
  if (auto* rows = std::get_if<cql::Rows>(&*result)) {
    for (std::size_t r = 0; r < rows->row_count && r < 1000; ++r) {
      for (std::size_t c = 0; c < rows->column_count; ++c) (void)rows->cell(r, c);
    }
  }
  return 0;
}

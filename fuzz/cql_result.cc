// Fuzzes RESULT bodies and then decodes every cell of any rows they yield.
#include <cstddef>
#include <cstdint>
#include <variant>

#include "cql/protocol/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  auto result = cql::decode_result(Bytes(data, size));
  if (!result.ok()) return 0;
  if (auto* rows = std::get_if<cql::Rows>(&*result)) {
    for (std::size_t r = 0; r < rows->row_count && r < 1000; ++r) {
      for (std::size_t c = 0; c < rows->column_count; ++c) (void)rows->cell(r, c);
    }
  }
  return 0;
}

// from_hex("04 00 ff"): bytes from spaced lowercase hex, for test vectors; to_hex the reverse
// (unspaced), for readable failure messages.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"

namespace sluice::cql::testing {

inline std::string from_hex(std::string_view hex) {
  std::string out;
  int nibbles = 0;
  unsigned value = 0;
  for (char c : hex) {
    if (c == ' ') continue;
    value = (value << 4U) | static_cast<unsigned>(c <= '9' ? c - '0' : c - 'a' + 10);
    if (++nibbles == 2) {
      out.push_back(static_cast<char>(value));
      nibbles = 0;
      value = 0;
    }
  }
  return out;
}

using sluice::to_hex;  // base/bytes.h

}  // namespace sluice::cql::testing

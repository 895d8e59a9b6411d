// JSON records: parsed once with simdjson (DOM), then fields looked up by path as Datum.
//
// One JsonDocument per thread; it reuses simdjson's buffers, so parsing allocates only when a
// record is larger than any before it. Datums it returns point into those buffers and stay valid
// until the next parse().
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "codec/datum.h"

namespace sluice::codec {

class JsonDocument {
 public:
  // Errc::invalid_argument with the reason ("json: TAPE_ERROR: ...", invalid UTF-8, trailing
  // content...). Records above max_bytes are refused before parsing.
  Status parse(std::string_view bytes);
  // The field at `path` (each step an object member, or an array index when the element is an
  // array); the whole document for an empty path. Kind::missing when a step does not exist.
  Datum at(const std::vector<std::string>& path) const;

  static constexpr std::size_t max_bytes = 16U << 20U;

 private:
  simdjson::dom::parser parser_{max_bytes};
  simdjson::dom::element root_;
  bool parsed_ = false;
};

// The Datum for a simdjson element; arrays and objects are copied into child Datums.
Datum to_datum(simdjson::dom::element e);

}  // namespace sluice::codec

#include "codec/json.h"

#include <charconv>

#include <fmt/format.h>

namespace sluice::codec {

Status JsonDocument::parse(std::string_view bytes) {
  parsed_ = false;
  if (bytes.size() > max_bytes) {
    return Error(Errc::invalid_argument, fmt::format("json: record of {} bytes is above the {} byte limit",
                                                     bytes.size(), max_bytes));
  }
  auto result = parser_.parse(bytes.data(), bytes.size(), true);
  if (result.error() != simdjson::SUCCESS) {
    return Error(Errc::invalid_argument, fmt::format("json: {}", simdjson::error_message(result.error())));
  }
  root_ = result.value_unsafe();
  parsed_ = true;
  return {};
}

Datum to_datum(simdjson::dom::element e) {
  using T = simdjson::dom::element_type;
  switch (e.type()) {
    case T::NULL_VALUE: return Datum::null_value();
    case T::BOOL: return Datum::of_bool(e.get_bool().value_unsafe());
    case T::INT64: return Datum::of_int(e.get_int64().value_unsafe());
    case T::UINT64: return Datum::of_uint(e.get_uint64().value_unsafe());
    case T::DOUBLE: return Datum::of_double(e.get_double().value_unsafe());
    case T::STRING: return Datum::of_text(e.get_string().value_unsafe());
    case T::ARRAY: {
      Datum d{.kind = Datum::Kind::array};
      simdjson::dom::array array = e.get_array().value_unsafe();
      for (auto item : array) d.items.push_back(to_datum(item));
      return d;
    }
    case T::OBJECT: {
      Datum d{.kind = Datum::Kind::object};
      simdjson::dom::object object = e.get_object().value_unsafe();
      for (auto field : object) d.members.emplace_back(field.key, to_datum(field.value));
      return d;
    }
  }
  return {};
}

Datum JsonDocument::at(const std::vector<std::string>& path) const {
  if (!parsed_) return {};
  simdjson::dom::element e = root_;
  for (const auto& step : path) {
    if (e.is_object()) {
      auto next = e.get_object().value_unsafe().at_key(step);
      if (next.error() != simdjson::SUCCESS) return {};
      e = next.value_unsafe();
    } else if (e.is_array()) {
      std::size_t index = 0;
      auto [p, ec] = std::from_chars(step.data(), step.data() + step.size(), index);
      if (ec != std::errc() || p != step.data() + step.size()) return {};
      auto next = e.get_array().value_unsafe().at(index);
      if (next.error() != simdjson::SUCCESS) return {};
      e = next.value_unsafe();
    } else {
      return {};
    }
  }
  return to_datum(e);
}

}  // namespace sluice::codec

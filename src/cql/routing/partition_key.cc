#include "cql/routing/partition_key.h"

#include <fmt/format.h>

#include "cql/routing/murmur3.h"

namespace sluice::cql {

namespace {

Status check_components(std::span<const Bytes> components) {
  if (components.empty()) return Error(Errc::invalid_argument, "a partition key has at least one component");
  if (components.size() == 1) return ok_status();
  for (std::size_t i = 0; i < components.size(); ++i) {
    if (components[i].size() > kMaxCompositeComponent) {
      return Error(Errc::invalid_argument,
                   fmt::format("partition key component {} is {} bytes; a composite key component holds at most {}", i,
                               components[i].size(), kMaxCompositeComponent));
    }
  }
  return ok_status();
}

}  // namespace

Status append_routing_key(std::span<const Bytes> components, std::string& out) {
  SLUICE_TRY(check_components(components));
  if (components.size() == 1) {
    out.append(as_chars(components[0]));
    return ok_status();
  }
  std::size_t total = 0;
  for (Bytes c : components) total += 2 + c.size() + 1;
  out.reserve(out.size() + total);
  ByteWriter w(out);
  for (Bytes c : components) {
    w.u16(static_cast<std::uint16_t>(c.size()));
    w.raw(c);
    w.u8(0);  // end-of-component: an equality component, as stored keys always are
  }
  return ok_status();
}

Result<std::string> routing_key(std::span<const Bytes> components) {
  std::string out;
  SLUICE_TRY(append_routing_key(components, out));
  return out;
}

Result<std::int64_t> partition_token(std::span<const Bytes> components) {
  if (components.size() == 1) return murmur3_token(components[0]);
  std::string key;
  SLUICE_TRY(append_routing_key(components, key));
  return murmur3_token(as_bytes(key));
}

}  // namespace sluice::cql

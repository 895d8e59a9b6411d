#include "cql/protocol/frame.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace sluice::cql {

namespace {
constexpr std::array<std::pair<Consistency, std::string_view>, 11> kConsistencyNames{{
    {Consistency::any, "ANY"},
    {Consistency::one, "ONE"},
    {Consistency::two, "TWO"},
    {Consistency::three, "THREE"},
    {Consistency::quorum, "QUORUM"},
    {Consistency::all, "ALL"},
    {Consistency::local_quorum, "LOCAL_QUORUM"},
    {Consistency::each_quorum, "EACH_QUORUM"},
    {Consistency::serial, "SERIAL"},
    {Consistency::local_serial, "LOCAL_SERIAL"},
    {Consistency::local_one, "LOCAL_ONE"},
}};
}  // namespace

std::optional<Consistency> parse_consistency(std::string_view name) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const auto& [c, n] : kConsistencyNames) {
    if (n == upper) return c;
  }
  return std::nullopt;
}

std::string_view consistency_name(Consistency c) {
  for (const auto& [cc, n] : kConsistencyNames) {
    if (cc == c) return n;
  }
  return "UNKNOWN";
}

std::size_t write_frame_header(const FrameHeader& h, std::string& out) {
  write_envelope_header({.version = h.version, .flags = h.flags, .stream = h.stream,
                         .opcode = static_cast<std::uint8_t>(h.opcode), .length = h.length},
                        out);
  return out.size() - 4;  // the length is the header's last field
}

void finish_frame(std::string& out, std::size_t length_at) {
  ByteWriter w(out);
  w.patch_u32(length_at, static_cast<std::uint32_t>(out.size() - length_at - 4));
}

Result<FrameHeader> read_frame_header(Bytes header, ProtocolVersion v) {
  // Compression is refused until it is negotiated (issue 3 wires lz4 into the connection).
  auto version_byte = static_cast<std::uint8_t>(static_cast<std::uint8_t>(v) | kResponseBit);
  auto h = read_envelope_header(header, {.version_byte = version_byte,
                                         .compression_allowed = false,
                                         .max_body = kMaxFrameBody});
  if (!h.ok()) return h.error();
  return FrameHeader{.version = h->version, .flags = h->flags, .stream = h->stream,
                     .opcode = static_cast<Opcode>(h->opcode), .length = h->length};
}

}  // namespace sluice::cql

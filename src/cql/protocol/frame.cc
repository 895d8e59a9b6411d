#include "cql/protocol/frame.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <fmt/format.h>

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
  ByteWriter w(out);
  w.u8(h.version);
  w.u8(h.flags);
  w.i16(h.stream);
  w.u8(static_cast<std::uint8_t>(h.opcode));
  std::size_t length_at = w.size();
  w.u32(h.length);
  return length_at;
}

void finish_frame(std::string& out, std::size_t length_at) {
  ByteWriter w(out);
  w.patch_u32(length_at, static_cast<std::uint32_t>(out.size() - length_at - 4));
}

Result<FrameHeader> read_frame_header(Bytes header) {
  ByteReader r(header);
  FrameHeader h;
  h.version = r.u8();
  h.flags = r.u8();
  h.stream = r.i16();
  h.opcode = static_cast<Opcode>(r.u8());
  h.length = r.u32();
  if (!r.ok()) return Error(Errc::protocol, "short frame header");
  if (h.version != (kProtocolV4 | kResponseBit)) {
    return Error(Errc::protocol, fmt::format("unexpected protocol version byte 0x{:02x}", h.version));
  }
  if (h.length > kMaxFrameBody) {
    return Error(Errc::protocol,
                 fmt::format("frame body of {} bytes exceeds the {} byte limit", h.length, kMaxFrameBody));
  }
  if ((h.flags & 0x01U) != 0) {
    return Error(Errc::protocol, "compressed frame received but no compression was negotiated");
  }
  return h;
}

}  // namespace sluice::cql

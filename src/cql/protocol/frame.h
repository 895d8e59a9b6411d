// The native protocol frame header (v4 frames, v5 envelopes) and its constants.
//
//   0         8        16        24        32         40
//   +---------+---------+---------+---------+---------+
//   | version |  flags  |      stream       | opcode  |
//   +---------+---------+---------+---------+---------+
//   |                length                 |
//   +---------+---------+---------+---------+
//
// Pure functions on bytes. A typed view (Opcode) over the envelope header codec of segment.h,
// which owns the byte layout for v4 and v5. A header whose length exceeds kMaxFrameBody is refused
// before any body is buffered, which bounds what a hostile peer can make us allocate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "cql/protocol/segment.h"

namespace sluice::cql {

inline constexpr std::uint8_t kProtocolV4 = kEnvelopeV4;
inline constexpr std::uint8_t kProtocolV5 = kEnvelopeV5;
inline constexpr std::uint8_t kResponseBit = kEnvelopeResponseBit;
inline constexpr std::size_t kFrameHeaderSize = kEnvelopeHeaderSize;
// Cassandra's native_transport_max_frame_size defaults to 16 MiB; we accept the same.
inline constexpr std::uint32_t kMaxFrameBody = kMaxEnvelopeBody;

// The protocol versions the message codecs speak; the value is the header's version byte.
enum class ProtocolVersion : std::uint8_t { v4 = 4, v5 = 5 };

enum class Opcode : std::uint8_t {
  error = 0x00,
  startup = 0x01,
  ready = 0x02,
  authenticate = 0x03,
  options = 0x05,
  supported = 0x06,
  query = 0x07,
  result = 0x08,
  prepare = 0x09,
  execute = 0x0A,
  register_ = 0x0B,
  event = 0x0C,
  batch = 0x0D,
  auth_challenge = 0x0E,
  auth_response = 0x0F,
  auth_success = 0x10,
};

enum class Consistency : std::uint16_t {
  any = 0x0000,
  one = 0x0001,
  two = 0x0002,
  three = 0x0003,
  quorum = 0x0004,
  all = 0x0005,
  local_quorum = 0x0006,
  each_quorum = 0x0007,
  serial = 0x0008,
  local_serial = 0x0009,
  local_one = 0x000A,
};

// Parses "LOCAL_QUORUM", "one", ... (case-insensitive).
std::optional<Consistency> parse_consistency(std::string_view name);
std::string_view consistency_name(Consistency c);

struct FrameHeader {
  std::uint8_t version = kProtocolV4;  // with kResponseBit set on responses
  std::uint8_t flags = 0;
  std::int16_t stream = 0;
  Opcode opcode = Opcode::options;
  std::uint32_t length = 0;
};

// Appends a header; returns the offset of its length field so the caller can patch it once the
// body is written.
std::size_t write_frame_header(const FrameHeader& h, std::string& out);
// Sets the length field written at `length_at` to "everything after the header".
void finish_frame(std::string& out, std::size_t length_at);

// Decodes a response header from at least kFrameHeaderSize bytes. Errors: a version other than
// `v`'s response, a length over kMaxFrameBody, flags we did not negotiate (compression).
Result<FrameHeader> read_frame_header(Bytes header, ProtocolVersion v = ProtocolVersion::v4);

}  // namespace sluice::cql

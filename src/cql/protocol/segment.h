// Native protocol v5 framing: envelopes carried in CRC-protected segments.
//
// An envelope is one message with the 9-byte header v4 frames have (version 0x05, 0x85 on
// responses). Once a v5 connection is ready (after READY or AUTHENTICATE), every byte on it is a
// segment (the spec's "frame"; Cassandra's FrameEncoderCrc / FrameEncoderLZ4):
//
//   uncompressed: 6-byte header               lz4: 8-byte header
//     17 bits payload length                    17 bits payload (compressed) length
//      1 bit  self-contained                    17 bits uncompressed length (0: stored raw)
//      6 bits padding                            1 bit  self-contained, 5 bits padding
//     24 bits CRC24 of the 3 bytes above        24 bits CRC24 of the 5 bytes above
//   then the payload (at most 131071 bytes) and the CRC32 of the payload as sent (crc.h).
//
// Header fields are packed from the least significant bit and every integer of the framing is
// little-endian (the envelopes inside stay big-endian). A self-contained segment carries one or
// more whole envelopes; an envelope too big for one segment travels alone, sliced over
// non-self-contained segments. Envelopes inside segments are never compressed: with lz4 each
// segment payload is one LZ4 block (compression.h), stored raw when compressing does not help.
//
// Pure codecs: no I/O. The free functions are thread-safe. SegmentReader and SegmentDecoder
// belong to one connection, own their buffers and are not thread-safe. Memory is bounded by the
// limits, checked before any buffer grows: a reader holds at most one segment (< 132 KiB), a
// decoder additionally one envelope being reassembled, which grows only as its bytes arrive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace sluice::cql {

// ---- envelopes (the 9-byte message header, v4 and v5) ----

inline constexpr std::uint8_t kEnvelopeV4 = 0x04;
inline constexpr std::uint8_t kEnvelopeV5 = 0x05;
inline constexpr std::uint8_t kEnvelopeResponseBit = 0x80;
inline constexpr std::uint8_t kEnvelopeCompressedFlag = 0x01;  // v4 only: body is compressed
inline constexpr std::size_t kEnvelopeHeaderSize = 9;
// The same limit as frame.h's kMaxFrameBody (Cassandra's native_transport_max_frame_size default).
inline constexpr std::uint32_t kMaxEnvelopeBody = 16U * 1024U * 1024U;

struct EnvelopeHeader {
  std::uint8_t version = kEnvelopeV5;  // protocol version, with kEnvelopeResponseBit on responses
  std::uint8_t flags = 0;
  std::int16_t stream = 0;
  std::uint8_t opcode = 0;   // the values of frame.h's Opcode
  std::uint32_t length = 0;  // body bytes after the header
};

void write_envelope_header(const EnvelopeHeader& h, std::string& out);

// Decodes the first 9 bytes of `bytes` without judging version or flags. Errc::protocol for
// fewer than 9 bytes or a length over `max_body`.
Result<EnvelopeHeader> parse_envelope_header(Bytes bytes, std::uint32_t max_body = kMaxEnvelopeBody);

// What a connection accepts once its version (and compression) is negotiated.
struct EnvelopeRules {
  // Exactly this version byte: 0x85 for a v5 client, 0x84 for v4, 0x05 for a server reading requests.
  std::uint8_t version_byte = kEnvelopeV5 | kEnvelopeResponseBit;
  // True only for v4 with lz4 negotiated; envelopes inside v5 segments are never compressed.
  bool compression_allowed = false;
  std::uint32_t max_body = kMaxEnvelopeBody;
};

// parse_envelope_header, then Errc::protocol for another version byte or an unexpected
// compressed flag.
Result<EnvelopeHeader> read_envelope_header(Bytes bytes, const EnvelopeRules& rules);

// ---- segments ----

enum class SegmentFormat : std::uint8_t { uncompressed, lz4 };

inline constexpr std::size_t kMaxSegmentPayload = (std::size_t{1} << 17U) - 1;  // 131071
inline constexpr std::size_t kSegmentHeaderSize = 6;
inline constexpr std::size_t kLz4SegmentHeaderSize = 8;
inline constexpr std::size_t kSegmentTrailerSize = 4;

constexpr std::size_t segment_header_size(SegmentFormat format) {
  return format == SegmentFormat::lz4 ? kLz4SegmentHeaderSize : kSegmentHeaderSize;
}

struct SegmentLimits {
  // Payload bytes per segment, as sent and (lz4) uncompressed; 1..kMaxSegmentPayload. Lower
  // values are for tests: peers always use kMaxSegmentPayload.
  std::size_t max_payload = kMaxSegmentPayload;
  std::uint32_t max_envelope_body = kMaxEnvelopeBody;
};

struct SegmentHeader {
  std::uint32_t payload_length = 0;       // payload bytes on the wire
  std::uint32_t uncompressed_length = 0;  // lz4 only: 0 means the payload is stored raw
  bool self_contained = false;
};

// Appends segment_header_size(format) bytes, CRC24 included. The lengths must fit 17 bits (a
// caller bug otherwise: checked).
void write_segment_header(SegmentFormat format, const SegmentHeader& h, std::string& out);

// Decodes and verifies the first segment_header_size(format) bytes of `bytes`. Errc::protocol
// for short input, a CRC24 mismatch, or a length over limits.max_payload. Padding bits are
// ignored, as Cassandra does.
Result<SegmentHeader> read_segment_header(SegmentFormat format, Bytes bytes, const SegmentLimits& limits = {});

// Appends one segment carrying `payload` (invalid_argument above kMaxSegmentPayload). With lz4
// the payload is compressed, or stored raw when compressing does not make it smaller.
Status encode_segment(SegmentFormat format, Bytes payload, bool self_contained, std::string& out);

// Appends the segments that carry `envelopes`: one or more whole v5 envelopes back to back, as
// messages.h's encoders write them. Consecutive envelopes are packed into self-contained segments
// of up to limits.max_payload bytes; an envelope bigger than that is flushed alone, sliced into
// non-self-contained segments. invalid_argument (and `out` left as it was) if `envelopes` does not
// end on an envelope boundary, or holds an envelope older than v5, with the compressed flag, or
// with a body over limits.max_envelope_body. `envelopes` (like encode_segment's `payload`) must not
// point into `out`.
Status encode_segments(SegmentFormat format, Bytes envelopes, std::string& out, const SegmentLimits& limits = {});

// A verified segment, payload decompressed.
struct Segment {
  std::string payload;
  bool self_contained = false;
};

// Bytes, in chunks as they come off a socket, to verified segments.
class SegmentReader {
 public:
  // Called with each verified, decompressed segment payload; the span lives only for the call.
  // An error it returns stops the feed and fails the reader.
  using Sink = std::function<Status(Bytes payload, bool self_contained)>;

  explicit SegmentReader(SegmentFormat format, SegmentLimits limits = {});

  // Consumes all of `chunk`. Errc::protocol on a bad CRC, an oversize length or a malformed or
  // lying LZ4 block; an error is final (every later call fails too): drop the connection.
  Status feed(Bytes chunk, const Sink& sink);
  Status feed(Bytes chunk, std::vector<Segment>& out);
  // Errc::protocol if the stream stopped inside a segment (call when the peer closes).
  Status finish() const;

  std::size_t buffered() const { return pending_.size(); }  // bytes of an incomplete segment
  std::size_t memory_held() const { return pending_.capacity() + scratch_.capacity(); }
  bool failed() const { return failed_; }

 private:
  Status deliver(const SegmentHeader& h, Bytes segment, const Sink& sink);
  Status fail(Error error);

  SegmentFormat format_;
  SegmentLimits limits_;
  std::string pending_;  // the start of an incomplete segment
  std::string scratch_;  // decompressed payload
  bool failed_ = false;
};

// One whole message out of the segment stream.
struct Envelope {
  EnvelopeHeader header;
  std::string body;
};

// Bytes, in chunks as they come off a socket, to whole envelopes: verifies segments, splits
// self-contained payloads into their envelopes and reassembles the slices of large ones. It
// checks lengths and refuses the compressed flag; version and opcode are the caller's to judge
// (read_envelope_header's rules).
class SegmentDecoder {
 public:
  explicit SegmentDecoder(SegmentFormat format, SegmentLimits limits = {});

  // Consumes all of `chunk`, appending every envelope it completes to `out`. Errc::protocol for
  // anything SegmentReader refuses, for a self-contained payload that does not hold whole
  // envelopes, for a slice that overruns its envelope or a self-contained segment arriving
  // between slices, and for envelope lengths over the limit (refused before buffering their
  // body). Envelopes appended before an error are whole and verified. Errors are final.
  Status feed(Bytes chunk, std::vector<Envelope>& out);
  // Errc::protocol if the stream stopped inside a segment or a sliced envelope.
  Status finish() const;

  std::size_t buffered() const { return reader_.buffered() + partial_.size(); }
  std::size_t memory_held() const { return reader_.memory_held() + partial_.capacity(); }
  bool failed() const { return failed_; }

 private:
  Status on_segment(Bytes payload, bool self_contained, std::vector<Envelope>& out);
  Status on_slice(Bytes payload, std::vector<Envelope>& out);

  SegmentReader reader_;
  SegmentLimits limits_;
  std::string partial_;            // an envelope being reassembled from non-self-contained segments
  std::size_t partial_total_ = 0;  // its header + body size, once its header is complete
  bool failed_ = false;
};

}  // namespace sluice::cql

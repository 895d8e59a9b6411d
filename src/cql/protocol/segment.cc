#include "cql/protocol/segment.h"

#include <fmt/format.h>
#include <algorithm>
#include <array>

#include "base/check.h"
#include "cql/protocol/compression.h"
#include "cql/protocol/crc.h"

namespace sluice::cql {

namespace {

constexpr std::uint64_t kLength17Mask = (std::uint64_t{1} << 17U) - 1;

// The fields of a header before its CRC24, as one integer (bit 0 is bit 0 of the first byte).
std::uint64_t pack_header_fields(SegmentFormat format, const SegmentHeader& h) {
  std::uint64_t v = h.payload_length;
  int flag_bit = 17;
  if (format == SegmentFormat::lz4) {
    v |= std::uint64_t{h.uncompressed_length} << 17U;
    flag_bit = 34;
  }
  if (h.self_contained) v |= std::uint64_t{1} << static_cast<unsigned>(flag_bit);
  return v;
}

int header_field_bytes(SegmentFormat format) { return format == SegmentFormat::lz4 ? 5 : 3; }

// The header bytes (little-endian fields, then the little-endian CRC24); returns how many.
std::size_t encode_header_bytes(SegmentFormat format, const SegmentHeader& h, std::array<char, 8>& out) {
  SLUICE_CHECK(h.payload_length <= kLength17Mask && h.uncompressed_length <= kLength17Mask,
               "segment lengths are 17-bit fields");
  const int field_bytes = header_field_bytes(format);
  const std::uint64_t fields = pack_header_fields(format, h);
  const std::uint64_t crc = crc24(fields, field_bytes);
  const std::uint64_t all = fields | (crc << (8U * static_cast<unsigned>(field_bytes)));
  const std::size_t size = segment_header_size(format);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((all >> (8U * i)) & 0xffU);
  return size;
}

std::uint64_t load_le(Bytes bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) v |= std::uint64_t{bytes[i]} << (8U * i);
  return v;
}

void append_le32(std::uint32_t v, std::string& out) {
  const std::array<char, 4> b{static_cast<char>(v & 0xffU), static_cast<char>((v >> 8U) & 0xffU),
                              static_cast<char>((v >> 16U) & 0xffU), static_cast<char>((v >> 24U) & 0xffU)};
  out.append(b.data(), b.size());
}

void check_limits(const SegmentLimits& limits) {
  SLUICE_CHECK(limits.max_payload >= 1 && limits.max_payload <= kMaxSegmentPayload,
               "SegmentLimits::max_payload must be within 1..kMaxSegmentPayload");
}

}  // namespace

// ---- envelopes ----

void write_envelope_header(const EnvelopeHeader& h, std::string& out) {
  ByteWriter w(out);
  w.u8(h.version);
  w.u8(h.flags);
  w.i16(h.stream);
  w.u8(h.opcode);
  w.u32(h.length);
}

Result<EnvelopeHeader> parse_envelope_header(Bytes bytes, std::uint32_t max_body) {
  ByteReader r(bytes);
  EnvelopeHeader h;
  h.version = r.u8();
  h.flags = r.u8();
  h.stream = r.i16();
  h.opcode = r.u8();
  h.length = r.u32();
  if (!r.ok()) return Error(Errc::protocol, "short envelope header");
  if (h.length > max_body) {
    return Error(Errc::protocol,
                 fmt::format("envelope body of {} bytes exceeds the {} byte limit", h.length, max_body));
  }
  return h;
}

Result<EnvelopeHeader> read_envelope_header(Bytes bytes, const EnvelopeRules& rules) {
  auto h = parse_envelope_header(bytes, rules.max_body);
  if (!h.ok()) return h;
  if (h->version != rules.version_byte) {
    return Error(Errc::protocol, fmt::format("unexpected protocol version byte 0x{:02x} (expected 0x{:02x})",
                                             h->version, rules.version_byte));
  }
  if ((h->flags & kEnvelopeCompressedFlag) != 0 && !rules.compression_allowed) {
    return Error(Errc::protocol, "compressed envelope received but compression is not in use for envelopes");
  }
  return h;
}

// ---- segment headers and single segments ----

void write_segment_header(SegmentFormat format, const SegmentHeader& h, std::string& out) {
  std::array<char, 8> bytes{};
  out.append(bytes.data(), encode_header_bytes(format, h, bytes));
}

Result<SegmentHeader> read_segment_header(SegmentFormat format, Bytes bytes, const SegmentLimits& limits) {
  const std::size_t size = segment_header_size(format);
  if (bytes.size() < size) return Error(Errc::protocol, "short segment header");
  const int field_bytes = header_field_bytes(format);
  const auto field_count = static_cast<std::size_t>(field_bytes);
  const std::uint64_t fields = load_le(bytes.first(field_count));
  const auto sent_crc = static_cast<std::uint32_t>(load_le(bytes.subspan(field_count, 3)));
  const std::uint32_t crc = crc24(fields, field_bytes);
  if (sent_crc != crc) {
    return Error(Errc::protocol,
                 fmt::format("segment header CRC24 mismatch (sent 0x{:06x}, computed 0x{:06x})", sent_crc, crc));
  }
  SegmentHeader h;
  h.payload_length = static_cast<std::uint32_t>(fields & kLength17Mask);
  if (format == SegmentFormat::lz4) {
    h.uncompressed_length = static_cast<std::uint32_t>((fields >> 17U) & kLength17Mask);
    h.self_contained = ((fields >> 34U) & 1U) != 0;
  } else {
    h.self_contained = ((fields >> 17U) & 1U) != 0;
  }
  if (h.payload_length > limits.max_payload || h.uncompressed_length > limits.max_payload) {
    return Error(Errc::protocol, fmt::format("segment declares {} bytes ({} uncompressed), over the {} byte limit",
                                             h.payload_length, h.uncompressed_length, limits.max_payload));
  }
  return h;
}

Status encode_segment(SegmentFormat format, Bytes payload, bool self_contained, std::string& out) {
  if (payload.size() > kMaxSegmentPayload) {
    return Error(Errc::invalid_argument, fmt::format("segment payload of {} bytes exceeds the {} byte limit",
                                                     payload.size(), kMaxSegmentPayload));
  }
  SegmentHeader h;
  h.self_contained = self_contained;
  const std::size_t header_at = out.size();
  const std::size_t header_size = segment_header_size(format);
  out.append(header_size, '\0');
  Bytes sent = payload;
  if (format == SegmentFormat::lz4) {
    auto compressed = lz4_compress_block(payload, out);
    SLUICE_CHECK(compressed.ok(), "a segment payload is far below LZ4's input limit");
    if (*compressed < payload.size()) {
      h.uncompressed_length = static_cast<std::uint32_t>(payload.size());
      sent = as_bytes(std::string_view(out).substr(header_at + header_size));
    } else {
      out.resize(header_at + header_size);  // not worth it: store raw, uncompressed length 0
      out.append(as_chars(payload));
    }
  } else {
    out.append(as_chars(payload));
  }
  h.payload_length = static_cast<std::uint32_t>(sent.size());
  const std::uint32_t crc = crc32_primed(sent);  // `sent` may point into `out`: checksum before appending
  std::array<char, 8> header{};
  encode_header_bytes(format, h, header);
  std::copy_n(header.begin(), header_size, out.begin() + static_cast<std::ptrdiff_t>(header_at));
  append_le32(crc, out);
  return ok_status();
}

Status encode_segments(SegmentFormat format, Bytes envelopes, std::string& out, const SegmentLimits& limits) {
  check_limits(limits);
  const std::size_t start = out.size();
  auto refuse = [&](std::string message) -> Status {
    out.resize(start);
    return Error(Errc::invalid_argument, std::move(message));
  };
  auto emit = [&](Bytes payload, bool self_contained) {
    Status s = encode_segment(format, payload, self_contained, out);
    SLUICE_CHECK(s.ok(), "payloads are cut to at most kMaxSegmentPayload");
  };

  std::size_t group_begin = 0;  // the self-contained group being packed is [group_begin, pos)
  std::size_t pos = 0;
  while (pos < envelopes.size()) {
    Bytes rest = envelopes.subspan(pos);
    auto h = parse_envelope_header(rest, limits.max_envelope_body);
    if (!h.ok()) return refuse(fmt::format("envelope at offset {}: {}", pos, h.error().message()));
    if ((h->version & 0x7FU) < kEnvelopeV5) {
      return refuse(
          fmt::format("envelope at offset {} is protocol v{}; segments carry v5 or later", pos, h->version & 0x7FU));
    }
    if ((h->flags & kEnvelopeCompressedFlag) != 0) {
      return refuse(fmt::format("envelope at offset {} has the compressed flag; segments compress instead", pos));
    }
    if (rest.size() - kEnvelopeHeaderSize < h->length) {
      return refuse(fmt::format("envelope at offset {} declares a {} byte body but only {} bytes follow", pos,
                                h->length, rest.size() - kEnvelopeHeaderSize));
    }
    const std::size_t size = kEnvelopeHeaderSize + h->length;
    if (size > limits.max_payload) {
      if (pos > group_begin) emit(envelopes.subspan(group_begin, pos - group_begin), true);
      for (std::size_t off = 0; off < size; off += limits.max_payload) {
        emit(envelopes.subspan(pos + off, std::min(limits.max_payload, size - off)), false);
      }
      group_begin = pos + size;
    } else if (pos + size - group_begin > limits.max_payload) {
      emit(envelopes.subspan(group_begin, pos - group_begin), true);
      group_begin = pos;
    }
    pos += size;
  }
  if (pos > group_begin) emit(envelopes.subspan(group_begin, pos - group_begin), true);
  return ok_status();
}

// ---- SegmentReader ----

SegmentReader::SegmentReader(SegmentFormat format, SegmentLimits limits) : format_(format), limits_(limits) {
  check_limits(limits_);
}

Status SegmentReader::fail(Error error) {
  failed_ = true;
  std::string().swap(pending_);
  std::string().swap(scratch_);
  return error;
}

Status SegmentReader::deliver(const SegmentHeader& h, Bytes segment, const Sink& sink) {
  const std::size_t header_size = segment_header_size(format_);
  Bytes payload = segment.subspan(header_size, h.payload_length);
  const auto sent_crc = static_cast<std::uint32_t>(load_le(segment.subspan(header_size + h.payload_length, 4)));
  const std::uint32_t crc = crc32_primed(payload);
  if (sent_crc != crc) {
    return Error(Errc::protocol,
                 fmt::format("segment payload CRC32 mismatch (sent 0x{:08x}, computed 0x{:08x})", sent_crc, crc));
  }
  if (format_ == SegmentFormat::lz4 && h.uncompressed_length != 0) {
    scratch_.clear();
    SLUICE_TRY(lz4_decompress_block(payload, h.uncompressed_length, scratch_));
    return sink(as_bytes(scratch_), h.self_contained);
  }
  return sink(payload, h.self_contained);
}

Status SegmentReader::feed(Bytes chunk, const Sink& sink) {
  if (failed_) return Error(Errc::protocol, "segment stream already failed");
  const std::size_t header_size = segment_header_size(format_);
  auto top_up = [&](std::size_t want) {
    const std::size_t take = std::min(want - pending_.size(), chunk.size());
    pending_.append(as_chars(chunk.first(take)));
    chunk = chunk.subspan(take);
    return pending_.size() == want;
  };

  // First finish the segment an earlier chunk started.
  if (!pending_.empty()) {
    if (pending_.size() < header_size && !top_up(header_size)) return ok_status();
    auto h = read_segment_header(format_, as_bytes(pending_), limits_);
    if (!h.ok()) return fail(h.error());
    const std::size_t total = header_size + h->payload_length + kSegmentTrailerSize;
    if (!top_up(total)) return ok_status();
    Status s = deliver(*h, as_bytes(pending_), sink);
    pending_.clear();
    if (!s.ok()) return fail(s.error());
  }
  // Then whole segments straight from the chunk, without copying them.
  while (chunk.size() >= header_size) {
    auto h = read_segment_header(format_, chunk, limits_);
    if (!h.ok()) return fail(h.error());
    const std::size_t total = header_size + h->payload_length + kSegmentTrailerSize;
    if (chunk.size() < total) break;
    Status s = deliver(*h, chunk.first(total), sink);
    if (!s.ok()) return fail(s.error());
    chunk = chunk.subspan(total);
  }
  // Keep the start of the next one: less than a whole segment, so within the limits.
  pending_.assign(as_chars(chunk));
  return ok_status();
}

Status SegmentReader::feed(Bytes chunk, std::vector<Segment>& out) {
  return feed(chunk, [&out](Bytes payload, bool self_contained) {
    out.push_back(Segment{std::string(as_chars(payload)), self_contained});
    return ok_status();
  });
}

Status SegmentReader::finish() const {
  if (failed_) return Error(Errc::protocol, "segment stream already failed");
  if (!pending_.empty()) {
    return Error(Errc::protocol, fmt::format("stream ended {} bytes into a segment", pending_.size()));
  }
  return ok_status();
}

// ---- SegmentDecoder ----

SegmentDecoder::SegmentDecoder(SegmentFormat format, SegmentLimits limits) : reader_(format, limits), limits_(limits) {}

Status SegmentDecoder::feed(Bytes chunk, std::vector<Envelope>& out) {
  if (failed_) return Error(Errc::protocol, "segment stream already failed");
  Status s =
      reader_.feed(chunk, [&](Bytes payload, bool self_contained) { return on_segment(payload, self_contained, out); });
  if (!s.ok()) {
    failed_ = true;
    std::string().swap(partial_);
    partial_total_ = 0;
  }
  return s;
}

Status SegmentDecoder::finish() const {
  if (failed_) return Error(Errc::protocol, "segment stream already failed");
  SLUICE_TRY(reader_.finish());
  if (!partial_.empty()) {
    return Error(Errc::protocol, fmt::format("stream ended {} bytes into a sliced envelope", partial_.size()));
  }
  return ok_status();
}

Status SegmentDecoder::on_segment(Bytes payload, bool self_contained, std::vector<Envelope>& out) {
  if (!self_contained) return on_slice(payload, out);
  if (!partial_.empty()) {
    return Error(Errc::protocol, "self-contained segment in the middle of a sliced envelope");
  }
  while (!payload.empty()) {
    auto h = parse_envelope_header(payload, limits_.max_envelope_body);
    if (!h.ok()) {
      if (payload.size() < kEnvelopeHeaderSize) {
        return Error(Errc::protocol, "self-contained segment ends inside an envelope header");
      }
      return h.error();
    }
    if ((h->flags & kEnvelopeCompressedFlag) != 0) return Error(Errc::protocol, "compressed envelope inside a segment");
    if (payload.size() - kEnvelopeHeaderSize < h->length) {
      return Error(Errc::protocol, fmt::format("self-contained segment ends inside an envelope ({} of {} body bytes)",
                                               payload.size() - kEnvelopeHeaderSize, h->length));
    }
    out.push_back(Envelope{*h, std::string(as_chars(payload.subspan(kEnvelopeHeaderSize, h->length)))});
    payload = payload.subspan(kEnvelopeHeaderSize + h->length);
  }
  return ok_status();
}

Status SegmentDecoder::on_slice(Bytes payload, std::vector<Envelope>& out) {
  if (partial_total_ == 0) {
    // The envelope's header may itself be cut (a peer is free to slice anywhere): gather it first,
    // and judge its length before buffering any of the body.
    const std::size_t take = std::min(kEnvelopeHeaderSize - partial_.size(), payload.size());
    partial_.append(as_chars(payload.first(take)));
    payload = payload.subspan(take);
    if (partial_.size() < kEnvelopeHeaderSize) return ok_status();
    auto h = parse_envelope_header(as_bytes(partial_), limits_.max_envelope_body);
    if (!h.ok()) return h.error();
    if ((h->flags & kEnvelopeCompressedFlag) != 0) return Error(Errc::protocol, "compressed envelope inside a segment");
    partial_total_ = kEnvelopeHeaderSize + h->length;
  }
  if (payload.size() > partial_total_ - partial_.size()) {
    return Error(Errc::protocol, fmt::format("segment slice carries {} bytes past the end of its envelope",
                                             payload.size() - (partial_total_ - partial_.size())));
  }
  // No reserve(partial_total_): the buffer grows with the bytes that actually arrive.
  partial_.append(as_chars(payload));
  if (partial_.size() == partial_total_) {
    auto h = parse_envelope_header(as_bytes(partial_), limits_.max_envelope_body);
    SLUICE_CHECK(h.ok(), "the header was accepted when the slice began");
    out.push_back(Envelope{*h, partial_.substr(kEnvelopeHeaderSize)});
    std::string().swap(partial_);
    partial_total_ = 0;
  }
  return ok_status();
}

}  // namespace sluice::cql

#include "cql/protocol/compression.h"

#include <lz4.h>

#include <fmt/format.h>
#include <climits>

#include "base/check.h"

namespace sluice::cql {

Result<std::size_t> lz4_compress_block(Bytes in, std::string& out) {
  if (in.size() > static_cast<std::size_t>(LZ4_MAX_INPUT_SIZE)) {
    return Error(Errc::invalid_argument,
                 fmt::format("{} bytes is over LZ4's input limit of {}", in.size(), LZ4_MAX_INPUT_SIZE));
  }
  const int n = static_cast<int>(in.size());
  const int bound = LZ4_compressBound(n);
  const std::size_t at = out.size();
  out.resize(at + static_cast<std::size_t>(bound));
  const int written = LZ4_compress_default(reinterpret_cast<const char*>(in.data()), out.data() + at, n, bound);
  // With LZ4_compressBound room and a size under LZ4_MAX_INPUT_SIZE, liblz4 cannot fail.
  SLUICE_CHECK(written > 0, "LZ4_compress_default failed with a bound-sized buffer");
  out.resize(at + static_cast<std::size_t>(written));
  return static_cast<std::size_t>(written);
}

Status lz4_decompress_block(Bytes block, std::size_t uncompressed_size, std::string& out) {
  // Divide rather than multiply: block.size() * 255 could overflow on absurd spans.
  if (uncompressed_size > 0 && (uncompressed_size - 1) / kLz4MaxExpansion >= block.size()) {
    return Error(Errc::protocol, fmt::format("an LZ4 block of {} bytes cannot expand to the declared {} bytes",
                                             block.size(), uncompressed_size));
  }
  if (uncompressed_size == 0 && block.empty()) return ok_status();  // nothing was compressed
  if (block.size() > static_cast<std::size_t>(INT_MAX) || uncompressed_size > static_cast<std::size_t>(INT_MAX)) {
    return Error(Errc::protocol, "LZ4 block too large");
  }
  const std::size_t at = out.size();
  out.resize(at + uncompressed_size);
  const int got = LZ4_decompress_safe(reinterpret_cast<const char*>(block.data()), out.data() + at,
                                      static_cast<int>(block.size()), static_cast<int>(uncompressed_size));
  if (got < 0 || static_cast<std::size_t>(got) != uncompressed_size) {
    out.resize(at);
    if (got < 0) {
      return Error(Errc::protocol,
                   fmt::format("malformed LZ4 block (or larger than the declared {} bytes)", uncompressed_size));
    }
    return Error(Errc::protocol,
                 fmt::format("LZ4 block decodes to {} bytes, not the declared {}", got, uncompressed_size));
  }
  return ok_status();
}

Status compress_v4_body(Bytes body, std::string& out) {
  if (body.size() > kMaxEnvelopeBody) {
    return Error(Errc::invalid_argument,
                 fmt::format("frame body of {} bytes exceeds the {} byte limit", body.size(), kMaxEnvelopeBody));
  }
  const std::size_t at = out.size();
  ByteWriter w(out);
  w.u32(static_cast<std::uint32_t>(body.size()));
  auto block = lz4_compress_block(body, out);
  if (!block.ok()) {
    out.resize(at);
    return block.error();
  }
  return ok_status();
}

Result<std::string> decompress_v4_body(Bytes body, std::uint32_t max_uncompressed) {
  ByteReader r(body);
  const std::uint32_t size = r.u32();
  if (!r.ok()) return Error(Errc::protocol, "compressed frame body shorter than its 4-byte length");
  if (size > max_uncompressed) {
    return Error(Errc::protocol, fmt::format("compressed frame body declares {} bytes, over the {} byte limit", size,
                                             max_uncompressed));
  }
  std::string out;
  SLUICE_TRY(lz4_decompress_block(r.rest(), size, out));
  return out;
}

Result<bool> compress_v4_envelope(Bytes envelope, std::string& out) {
  auto parsed = parse_envelope_header(envelope, kMaxEnvelopeBody);
  if (!parsed.ok()) return Error(Errc::invalid_argument, parsed.error().message());
  EnvelopeHeader h = *parsed;
  if (envelope.size() - kEnvelopeHeaderSize != h.length) {
    return Error(Errc::invalid_argument,
                 fmt::format("{} bytes is not one frame with a {} byte body", envelope.size(), h.length));
  }
  if ((h.flags & kEnvelopeCompressedFlag) != 0) return Error(Errc::invalid_argument, "frame is already compressed");

  const std::size_t at = out.size();
  EnvelopeHeader compressed = h;
  compressed.flags = static_cast<std::uint8_t>(h.flags | kEnvelopeCompressedFlag);
  write_envelope_header(compressed, out);
  Status body = compress_v4_body(envelope.subspan(kEnvelopeHeaderSize), out);
  SLUICE_CHECK(body.ok(), "a body within kMaxEnvelopeBody always compresses");
  const std::size_t compressed_length = out.size() - at - kEnvelopeHeaderSize;
  if (compressed_length >= h.length) {
    out.resize(at);
    out.append(as_chars(envelope));
    return false;
  }
  ByteWriter(out).patch_u32(at + 5, static_cast<std::uint32_t>(compressed_length));
  return true;
}

}  // namespace sluice::cql

// LZ4 for the native protocol, in both of its places:
//
// - v4 frames (the compressed flag 0x01 in the header): the body is a 4-byte big-endian
//   uncompressed length followed by one LZ4 block (v4 spec, section 5). STARTUP and OPTIONS are
//   never compressed, and a frame need not be even when lz4 was negotiated.
// - v5 segments (segment.h): each payload is one bare LZ4 block; its lengths are in the segment
//   header. Envelopes inside segments are never compressed themselves.
//
// Blocks are liblz4's block format, the one lz4-java (Cassandra's compressor) writes and reads.
// Decompression is strict, since the declared size comes from the peer: it must be within the
// caller's limit and within what the block can possibly expand to (LZ4 cannot exceed 255 output
// bytes per input byte), both checked before anything is allocated, and the block must decode to
// exactly that size. The allocation a hostile block can cause is therefore at most 255 times the
// bytes it sent, and never above the limit.
//
// Pure functions on byte spans, thread-safe. Appending functions leave `out` as it was on error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "cql/protocol/segment.h"

namespace sluice::cql {

// The most output bytes one input byte of an LZ4 block can produce.
inline constexpr std::size_t kLz4MaxExpansion = 255;

// ---- bare LZ4 blocks ----

// Appends the LZ4 block of `in` and returns its size. invalid_argument above liblz4's input limit
// (about 2 GiB).
Result<std::size_t> lz4_compress_block(Bytes in, std::string& out);

// Appends exactly `uncompressed_size` bytes decoded from `block`. Errc::protocol if that size is
// more than `block` can expand to, if the block is malformed, or if it decodes to another size.
Status lz4_decompress_block(Bytes block, std::size_t uncompressed_size, std::string& out);

// ---- v4 frame bodies ----

// Appends the compressed form of `body`: its length (4 bytes, big-endian), then its LZ4 block.
Status compress_v4_body(Bytes body, std::string& out);

// The body of a frame whose compressed flag is set, decompressed. Errc::protocol if it is shorter
// than 4 bytes, declares more than `max_uncompressed`, or fails lz4_decompress_block.
Result<std::string> decompress_v4_body(Bytes body, std::uint32_t max_uncompressed = kMaxEnvelopeBody);

// Appends `envelope` (one whole uncompressed v4 frame, header included) compressed: the flag set,
// the length patched. When compression would not make it smaller it is appended unchanged; the
// result says which happened. invalid_argument if `envelope` is not exactly one frame, already
// has the compressed flag, or has a body over kMaxEnvelopeBody.
Result<bool> compress_v4_envelope(Bytes envelope, std::string& out);

}  // namespace sluice::cql

// Why: segments are every byte of a v5 connection. The encoder must match Cassandra bit for bit
// (known bytes below, derived independently: see crc_test.cc), and the decoder faces a peer we do
// not trust: whatever arrives, in whatever chunks, it must either yield exactly the envelopes
// that were sent or fail cleanly with Errc::protocol, without crashing and without buffering more
// than the limits allow.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "cql/protocol/compression.h"
#include "cql/protocol/tests/hex.h"
#include "cql/protocol/crc.h"
#include "cql/protocol/segment.h"

namespace sluice::cql {
namespace {

using testing::from_hex;

std::string envelope(std::string_view body, std::int16_t stream = 0, std::uint8_t opcode = 0x07,
                     std::uint8_t version = kEnvelopeV5, std::uint8_t flags = 0) {
  std::string out;
  write_envelope_header({.version = version,
                         .flags = flags,
                         .stream = stream,
                         .opcode = opcode,
                         .length = static_cast<std::uint32_t>(body.size())},
                        out);
  out.append(body);
  return out;
}

// A segment with any header we like and a correct payload CRC32, for crafting hostile input.
std::string raw_segment(SegmentFormat format, const SegmentHeader& h, std::string_view payload) {
  std::string out;
  write_segment_header(format, h, out);
  out.append(payload);
  const std::uint32_t crc = crc32_primed(as_bytes(payload));
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((crc >> (8U * static_cast<unsigned>(i))) & 0xffU));
  return out;
}

std::string random_bytes(std::mt19937& rng, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Half the bodies compress well (runs of a few symbols), half are noise.
std::string random_body(std::mt19937& rng, std::size_t n) {
  if (rng() % 2 == 0) return random_bytes(rng, n);
  std::string s;
  s.reserve(n);
  while (s.size() < n)
    s.append(std::min<std::size_t>(n - s.size(), 1 + rng() % 40), static_cast<char>('a' + rng() % 4));
  return s;
}

std::size_t random_chunk(std::mt19937& rng) {
  switch (rng() % 3) {
    case 0: return 1 + rng() % 16;
    case 1: return 1 + rng() % 2000;
    default: return 1 + rng() % 300000;
  }
}

// Feeds `wire` in random chunks; the envelopes, or the first error.
Result<std::vector<Envelope>> decode_chunked(SegmentFormat format, std::string_view wire, std::mt19937& rng,
                                             SegmentLimits limits = {}) {
  SegmentDecoder decoder(format, limits);
  std::vector<Envelope> out;
  std::size_t pos = 0;
  while (pos < wire.size()) {
    const std::size_t n = std::min(random_chunk(rng), wire.size() - pos);
    SLUICE_TRY(decoder.feed(as_bytes(wire.substr(pos, n)), out));
    pos += n;
  }
  SLUICE_TRY(decoder.finish());
  return out;
}

std::vector<Segment> read_segments(SegmentFormat format, std::string_view wire, SegmentLimits limits = {}) {
  SegmentReader reader(format, limits);
  std::vector<Segment> out;
  Status s = reader.feed(as_bytes(wire), out);
  EXPECT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_TRUE(reader.finish().ok());
  return out;
}

void expect_protocol_error(const Status& s, std::string_view what) {
  ASSERT_FALSE(s.ok()) << what;
  EXPECT_EQ(s.error().code(), Errc::protocol) << what << ": " << s.error().to_string();
}

const SegmentFormat kFormats[] = {SegmentFormat::uncompressed, SegmentFormat::lz4};

// ---- envelope headers ----

TEST(EnvelopeHeader, WritesNineBigEndianBytesAndParsesThemBack) {
  std::string out;
  write_envelope_header({.version = 0x85, .flags = 0x08, .stream = -1, .opcode = 0x0C, .length = 0x01020304}, out);
  EXPECT_EQ(out, from_hex("85 08 ff ff 0c 01 02 03 04"));
  auto h = parse_envelope_header(as_bytes(out), 0x02000000);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->version, 0x85);
  EXPECT_EQ(h->flags, 0x08);
  EXPECT_EQ(h->stream, -1);
  EXPECT_EQ(h->opcode, 0x0C);
  EXPECT_EQ(h->length, 0x01020304U);
}

TEST(EnvelopeHeader, RefusesShortAndOversize) {
  auto short_header = parse_envelope_header(as_bytes(from_hex("85 00 00 00 02 00 00 00")));
  ASSERT_FALSE(short_header.ok());
  EXPECT_EQ(short_header.error().code(), Errc::protocol);
  auto huge = parse_envelope_header(as_bytes(from_hex("85 00 00 00 08 7f ff ff ff")));
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().code(), Errc::protocol);
  EXPECT_FALSE(parse_envelope_header(as_bytes(from_hex("85 00 00 00 08 01 00 00 01"))).ok());  // 16 MiB + 1
  EXPECT_TRUE(parse_envelope_header(as_bytes(from_hex("85 00 00 00 08 01 00 00 00"))).ok());   // exactly 16 MiB
}

TEST(EnvelopeHeader, RulesCheckVersionDirectionAndCompression) {
  const EnvelopeRules v5_responses;  // 0x85, no compression
  EXPECT_TRUE(read_envelope_header(as_bytes(from_hex("85 00 00 01 02 00 00 00 00")), v5_responses).ok());
  for (const char* bad : {"84 00 00 01 02 00 00 00 00", "05 00 00 01 02 00 00 00 00", "86 00 00 01 02 00 00 00 00",
                          "85 01 00 01 02 00 00 00 00"}) {
    auto h = read_envelope_header(as_bytes(from_hex(bad)), v5_responses);
    ASSERT_FALSE(h.ok()) << bad;
    EXPECT_EQ(h.error().code(), Errc::protocol) << bad;
  }
  const EnvelopeRules v4_lz4{.version_byte = 0x84, .compression_allowed = true};
  EXPECT_TRUE(read_envelope_header(as_bytes(from_hex("84 01 00 01 08 00 00 00 10")), v4_lz4).ok());
  const EnvelopeRules v5_requests{.version_byte = 0x05};  // a server's view
  EXPECT_TRUE(read_envelope_header(as_bytes(from_hex("05 00 00 01 07 00 00 00 00")), v5_requests).ok());
}

// ---- segment headers: bytes from the DataStax driver's tests and the Python script ----

TEST(SegmentHeader, UncompressedKnownBytes) {
  std::string out;
  write_segment_header(SegmentFormat::uncompressed, {.payload_length = 5, .self_contained = true}, out);
  EXPECT_EQ(out, from_hex("05 00 02 19 99 9a"));
  auto h = read_segment_header(SegmentFormat::uncompressed, as_bytes(out));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->payload_length, 5U);
  EXPECT_TRUE(h->self_contained);

  out.clear();
  write_segment_header(SegmentFormat::uncompressed, {.payload_length = 0, .self_contained = false}, out);
  EXPECT_EQ(out, from_hex("00 00 00 77 e7 7d"));
}

TEST(SegmentHeader, Lz4KnownBytes) {
  std::string out;
  write_segment_header(SegmentFormat::lz4, {.payload_length = 5, .uncompressed_length = 12, .self_contained = true},
                       out);
  EXPECT_EQ(out, from_hex("05 00 18 00 04 9e 08 38"));
  out.clear();
  write_segment_header(SegmentFormat::lz4, {.payload_length = 5, .uncompressed_length = 131071, .self_contained = true},
                       out);
  EXPECT_EQ(out, from_hex("05 00 fe ff 07 ae 6c dc"));
  auto h = read_segment_header(SegmentFormat::lz4, as_bytes(out));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->payload_length, 5U);
  EXPECT_EQ(h->uncompressed_length, 131071U);
  EXPECT_TRUE(h->self_contained);
}

TEST(SegmentHeader, RoundTripsEveryFieldExtreme) {
  for (SegmentFormat f : kFormats) {
    for (std::uint32_t len : {0U, 1U, 65535U, 65536U, 131071U}) {
      for (bool sc : {false, true}) {
        SegmentHeader in{.payload_length = len,
                         .uncompressed_length = f == SegmentFormat::lz4 ? 131071 - len : 0,
                         .self_contained = sc};
        std::string out;
        write_segment_header(f, in, out);
        ASSERT_EQ(out.size(), segment_header_size(f));
        auto h = read_segment_header(f, as_bytes(out));
        ASSERT_TRUE(h.ok()) << h.error().to_string();
        EXPECT_EQ(h->payload_length, in.payload_length);
        EXPECT_EQ(h->uncompressed_length, in.uncompressed_length);
        EXPECT_EQ(h->self_contained, sc);
      }
    }
  }
}

// ---- whole segments ----

// One v5 OPTIONS request (9 bytes: 05 00 0000 05 00000000) in a self-contained segment:
// header 09 00 02 (length 9 | self-contained bit 17, little-endian) + CRC24 a4 c8 c1, the
// envelope, CRC32 10 86 28 4d. Values from the Python script.
const char* const kOptionsSegment = "09 00 02 a4 c8 c1 05 00 00 00 05 00 00 00 00 10 86 28 4d";
// The same in the lz4 format: 9 bytes does not compress, so stored raw (uncompressed length 0).
const char* const kOptionsLz4Segment = "09 00 00 00 04 c2 b8 95 05 00 00 00 05 00 00 00 00 10 86 28 4d";

TEST(Segment, UncompressedOptionsSegmentKnownBytes) {
  const std::string options = envelope("", 0, 0x05);
  std::string wire;
  ASSERT_TRUE(encode_segments(SegmentFormat::uncompressed, as_bytes(options), wire).ok());
  EXPECT_EQ(wire, from_hex(kOptionsSegment));

  SegmentDecoder decoder(SegmentFormat::uncompressed);
  std::vector<Envelope> got;
  ASSERT_TRUE(decoder.feed(as_bytes(wire), got).ok());
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].header.version, kEnvelopeV5);
  EXPECT_EQ(got[0].header.opcode, 0x05);
  EXPECT_EQ(got[0].header.length, 0U);
  EXPECT_TRUE(got[0].body.empty());
  EXPECT_TRUE(decoder.finish().ok());
}

TEST(Segment, Lz4OptionsSegmentIsStoredRawKnownBytes) {
  const std::string options = envelope("", 0, 0x05);
  std::string wire;
  ASSERT_TRUE(encode_segments(SegmentFormat::lz4, as_bytes(options), wire).ok());
  EXPECT_EQ(wire, from_hex(kOptionsLz4Segment));
  SegmentDecoder decoder(SegmentFormat::lz4);
  std::vector<Envelope> got;
  ASSERT_TRUE(decoder.feed(as_bytes(wire), got).ok());
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].header.opcode, 0x05);
}

TEST(Segment, Lz4CompressesWhenItHelps) {
  const std::string e = envelope(std::string(5000, 'x'), 3);
  std::string wire;
  ASSERT_TRUE(encode_segments(SegmentFormat::lz4, as_bytes(e), wire).ok());
  auto h = read_segment_header(SegmentFormat::lz4, as_bytes(wire));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->uncompressed_length, e.size());
  EXPECT_LT(h->payload_length, 200U);
  EXPECT_EQ(wire.size(), kLz4SegmentHeaderSize + h->payload_length + kSegmentTrailerSize);
  auto segments = read_segments(SegmentFormat::lz4, wire);
  ASSERT_EQ(segments.size(), 1U);
  EXPECT_EQ(segments[0].payload, e);
}

TEST(Segment, EmptySelfContainedSegmentYieldsNothing) {
  for (SegmentFormat f : kFormats) {
    std::string wire;
    ASSERT_TRUE(encode_segment(f, {}, true, wire).ok());
    SegmentDecoder decoder(f);
    std::vector<Envelope> got;
    ASSERT_TRUE(decoder.feed(as_bytes(wire), got).ok());
    EXPECT_TRUE(got.empty());
    EXPECT_TRUE(decoder.finish().ok());
  }
}

TEST(Segment, EncodeRefusesOversizePayload) {
  std::string wire = "keep";
  Status s =
      encode_segment(SegmentFormat::uncompressed, as_bytes(std::string(kMaxSegmentPayload + 1, 'a')), true, wire);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), Errc::invalid_argument);
  EXPECT_EQ(wire, "keep");
}

// ---- packing and splitting ----

TEST(Segments, PacksSmallEnvelopesIntoFullSelfContainedSegments) {
  for (SegmentFormat f : kFormats) {
    std::string batch;
    for (int i = 0; i < 300; ++i)
      batch += envelope(std::string(991, static_cast<char>('a' + i % 26)), static_cast<std::int16_t>(i));
    // 300 envelopes of 1000 bytes: 131 fit in 131071 bytes, so segments of 131, 131 and 38.
    std::string wire;
    ASSERT_TRUE(encode_segments(f, as_bytes(batch), wire).ok());
    auto segments = read_segments(f, wire);
    ASSERT_EQ(segments.size(), 3U);
    EXPECT_EQ(segments[0].payload.size(), 131000U);
    EXPECT_EQ(segments[1].payload.size(), 131000U);
    EXPECT_EQ(segments[2].payload.size(), 38000U);
    std::string joined;
    for (const auto& s : segments) {
      EXPECT_TRUE(s.self_contained);
      joined += s.payload;
    }
    EXPECT_EQ(joined, batch);
  }
}

TEST(Segments, SplitsA300KiBEnvelopeAndReassemblesIt) {
  std::mt19937 rng(300);
  for (SegmentFormat f : kFormats) {
    const std::string before = envelope("before", 1);
    const std::string big = envelope(random_body(rng, 300 * 1024), 2);  // 307209 bytes
    const std::string after = envelope("after", 3);
    const std::string batch = before + big + after;
    std::string wire;
    ASSERT_TRUE(encode_segments(f, as_bytes(batch), wire).ok());

    auto segments = read_segments(f, wire);
    ASSERT_EQ(segments.size(), 5U);
    EXPECT_TRUE(segments[0].self_contained);
    EXPECT_EQ(segments[0].payload, before);
    for (int i = 1; i <= 3; ++i) EXPECT_FALSE(segments[static_cast<std::size_t>(i)].self_contained) << i;
    EXPECT_EQ(segments[1].payload.size(), kMaxSegmentPayload);
    EXPECT_EQ(segments[2].payload.size(), kMaxSegmentPayload);
    EXPECT_EQ(segments[3].payload.size(), big.size() - 2 * kMaxSegmentPayload);
    EXPECT_EQ(segments[1].payload + segments[2].payload + segments[3].payload, big);
    EXPECT_TRUE(segments[4].self_contained);
    EXPECT_EQ(segments[4].payload, after);

    auto got = decode_chunked(f, wire, rng);
    ASSERT_TRUE(got.ok()) << got.error().to_string();
    ASSERT_EQ(got->size(), 3U);
    EXPECT_EQ((*got)[1].header.stream, 2);
    EXPECT_EQ((*got)[1].body, big.substr(kEnvelopeHeaderSize));
    EXPECT_EQ((*got)[2].body, "after");
  }
}

TEST(Segments, EnvelopeOfExactlyTheLimitIsSelfContainedAndTwiceTheLimitIsTwoSlices) {
  const SegmentLimits limits{.max_payload = 100};
  std::string wire;
  ASSERT_TRUE(
      encode_segments(SegmentFormat::uncompressed, as_bytes(envelope(std::string(91, 'a'))), wire, limits).ok());
  auto one = read_segments(SegmentFormat::uncompressed, wire, limits);
  ASSERT_EQ(one.size(), 1U);
  EXPECT_TRUE(one[0].self_contained);

  wire.clear();
  ASSERT_TRUE(
      encode_segments(SegmentFormat::uncompressed, as_bytes(envelope(std::string(191, 'b'))), wire, limits).ok());
  auto two = read_segments(SegmentFormat::uncompressed, wire, limits);
  ASSERT_EQ(two.size(), 2U);
  EXPECT_FALSE(two[0].self_contained);
  EXPECT_FALSE(two[1].self_contained);
  EXPECT_EQ(two[0].payload.size(), 100U);
  EXPECT_EQ(two[1].payload.size(), 100U);
}

TEST(Segments, RandomSequencesRoundTripThroughRandomChunks) {
  for (unsigned seed = 1; seed <= 12; ++seed) {
    std::mt19937 rng(seed);
    for (SegmentFormat f : kFormats) {
      // Small limits on half the runs make splits and packing boundaries frequent.
      SegmentLimits limits;
      if (seed % 2 == 0) limits.max_payload = 16 + rng() % 3000;
      std::vector<std::string> bodies;
      std::string batch;
      const int count = 1 + static_cast<int>(rng() % 60);
      for (int i = 0; i < count; ++i) {
        const unsigned kind = rng() % 20;
        const std::size_t size = kind == 0 ? 131072 + rng() % 200000 : kind < 4 ? rng() % 40000 : rng() % 600;
        bodies.push_back(random_body(rng, size));
        batch += envelope(bodies.back(), static_cast<std::int16_t>(i), static_cast<std::uint8_t>(rng() % 17),
                          rng() % 2 == 0 ? 0x05 : 0x85);
      }
      std::string wire;
      ASSERT_TRUE(encode_segments(f, as_bytes(batch), wire, limits).ok());
      auto got = decode_chunked(f, wire, rng, limits);
      ASSERT_TRUE(got.ok()) << "seed " << seed << ": " << got.error().to_string();
      ASSERT_EQ(got->size(), bodies.size()) << "seed " << seed;
      for (std::size_t i = 0; i < bodies.size(); ++i) {
        EXPECT_EQ((*got)[i].header.stream, static_cast<std::int16_t>(i));
        ASSERT_EQ((*got)[i].body, bodies[i]) << "seed " << seed << " envelope " << i;
      }
    }
  }
}

TEST(Segments, SliceMayCutTheEnvelopeHeader) {
  // Cassandra never does this, but nothing forbids it: the first slice holds 4 header bytes.
  const std::string e = envelope(std::string(50, 'z'), 9);
  std::string wire;
  ASSERT_TRUE(encode_segment(SegmentFormat::uncompressed, as_bytes(e).first(4), false, wire).ok());
  ASSERT_TRUE(encode_segment(SegmentFormat::uncompressed, as_bytes(e).subspan(4), false, wire).ok());
  std::mt19937 rng(4);
  auto got = decode_chunked(SegmentFormat::uncompressed, wire, rng);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  ASSERT_EQ(got->size(), 1U);
  EXPECT_EQ((*got)[0].header.stream, 9);
  EXPECT_EQ((*got)[0].body, std::string(50, 'z'));
}

TEST(Segments, EncoderRefusesWhatIsNotWholeV5Envelopes) {
  const std::string good = envelope("ok");
  const std::vector<std::pair<std::string, std::string>> cases{
      {"ends inside a header", good + good.substr(0, 5)},
      {"ends inside a body", good + envelope("truncated").substr(0, 12)},
      {"v4 envelope", good + envelope("v4", 0, 7, kEnvelopeV4)},
      {"compressed flag", good + envelope("c", 0, 7, kEnvelopeV5, kEnvelopeCompressedFlag)},
      {"over the body limit", good + envelope(std::string(200, 'a'))},
  };
  for (const auto& [what, batch] : cases) {
    std::string wire = "prefix";
    Status s = encode_segments(SegmentFormat::uncompressed, as_bytes(batch), wire, {.max_envelope_body = 100});
    ASSERT_FALSE(s.ok()) << what;
    EXPECT_EQ(s.error().code(), Errc::invalid_argument) << what;
    EXPECT_EQ(wire, "prefix") << what;
  }
  std::string wire;
  EXPECT_TRUE(encode_segments(SegmentFormat::uncompressed, {}, wire).ok());
  EXPECT_TRUE(wire.empty());
}

// ---- hostile input ----

TEST(SegmentHostile, EveryHeaderBitFlipFailsTheCrc24) {
  for (SegmentFormat f : kFormats) {
    std::string wire;
    ASSERT_TRUE(encode_segments(f, as_bytes(envelope("payload payload payload")), wire).ok());
    for (std::size_t bit = 0; bit < segment_header_size(f) * 8; ++bit) {
      std::string bad = wire;
      bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1U << (bit % 8)));
      SegmentDecoder decoder(f);
      std::vector<Envelope> got;
      Status s = decoder.feed(as_bytes(bad), got);
      expect_protocol_error(s, "header bit " + std::to_string(bit));
      if (!s.ok()) {
        EXPECT_NE(s.error().message().find("CRC24"), std::string::npos) << s.error().message();
      }
      EXPECT_TRUE(got.empty());
    }
  }
}

TEST(SegmentHostile, EveryPayloadOrTrailerBitFlipFailsTheCrc32) {
  for (SegmentFormat f : kFormats) {
    std::string wire;
    ASSERT_TRUE(encode_segments(f, as_bytes(envelope(std::string(300, 'q') + "tail", 5)), wire).ok());
    for (std::size_t bit = segment_header_size(f) * 8; bit < wire.size() * 8; ++bit) {
      std::string bad = wire;
      bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1U << (bit % 8)));
      SegmentDecoder decoder(f);
      std::vector<Envelope> got;
      Status s = decoder.feed(as_bytes(bad), got);
      expect_protocol_error(s, "payload bit " + std::to_string(bit));
      if (!s.ok()) {
        EXPECT_NE(s.error().message().find("CRC32"), std::string::npos) << s.error().message();
      }
      EXPECT_TRUE(got.empty());
    }
  }
}

TEST(SegmentHostile, OversizeSegmentLengthIsRefusedFromTheHeaderAlone) {
  const SegmentLimits limits{.max_payload = 1000};
  for (SegmentFormat f : kFormats) {
    for (SegmentHeader h : {SegmentHeader{.payload_length = 5000, .self_contained = true},
                            SegmentHeader{.payload_length = 131071, .self_contained = false}}) {
      std::string header;
      write_segment_header(f, h, header);
      SegmentDecoder decoder(f, limits);
      std::vector<Envelope> got;
      expect_protocol_error(decoder.feed(as_bytes(header), got), "oversize segment");
      EXPECT_LT(decoder.memory_held(), 64U);
    }
  }
  // lz4: a small payload declaring an uncompressed size over the limit.
  std::string header;
  write_segment_header(SegmentFormat::lz4, {.payload_length = 10, .uncompressed_length = 1001, .self_contained = true},
                       header);
  SegmentDecoder decoder(SegmentFormat::lz4, limits);
  std::vector<Envelope> got;
  expect_protocol_error(decoder.feed(as_bytes(header), got), "oversize uncompressed length");
}

TEST(SegmentHostile, HostileEnvelopeLengthIsRefusedBeforeItsBodyIsBuffered) {
  for (SegmentFormat f : kFormats) {
    for (const char* header :
         {"85 00 00 01 08 7f ff ff ff", "85 00 00 01 08 ff ff ff ff", "85 00 00 01 08 01 00 00 01"}) {
      for (bool sc : {false, true}) {
        std::string wire;
        ASSERT_TRUE(encode_segment(f, as_bytes(from_hex(header) + std::string(100, 'x')), sc, wire).ok());
        SegmentDecoder decoder(f);
        std::vector<Envelope> got;
        expect_protocol_error(decoder.feed(as_bytes(wire), got), header);
        EXPECT_LT(decoder.memory_held(), 4096U);
      }
    }
  }
}

TEST(SegmentHostile, LargeButLegalEnvelopeIsBufferedOnlyAsItArrives) {
  // The first slice of a 16 MiB envelope: accepted, and the decoder holds about one slice.
  std::string slice = from_hex("85 00 00 01 08 01 00 00 00") + std::string(kMaxSegmentPayload - 9, 'y');
  std::string wire;
  ASSERT_TRUE(encode_segment(SegmentFormat::uncompressed, as_bytes(slice), false, wire).ok());
  SegmentDecoder decoder(SegmentFormat::uncompressed);
  std::vector<Envelope> got;
  ASSERT_TRUE(decoder.feed(as_bytes(wire), got).ok());
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(decoder.buffered(), kMaxSegmentPayload);
  EXPECT_LT(decoder.memory_held(), 3 * kMaxSegmentPayload);
  expect_protocol_error(decoder.finish(), "stream ended inside the envelope");
}

TEST(SegmentHostile, SelfContainedPayloadMustHoldWholeEnvelopes) {
  const std::string e = envelope("0123456789", 1);
  for (SegmentFormat f : kFormats) {
    for (std::size_t cut : {std::size_t{1}, std::size_t{8}, std::size_t{9}, e.size() - 1}) {
      std::string wire;
      ASSERT_TRUE(encode_segment(f, as_bytes(e + e.substr(0, cut)), true, wire).ok());
      SegmentDecoder decoder(f);
      std::vector<Envelope> got;
      expect_protocol_error(decoder.feed(as_bytes(wire), got), "cut at " + std::to_string(cut));
    }
  }
}

TEST(SegmentHostile, SlicesMustNotOverrunOrInterleave) {
  const std::string big = envelope(std::string(150, 'b'), 1);
  const SegmentLimits limits{.max_payload = 100};
  {  // a slice carrying bytes past its envelope
    std::string wire;
    ASSERT_TRUE(encode_segment(SegmentFormat::uncompressed, as_bytes(big).first(100), false, wire).ok());
    ASSERT_TRUE(encode_segment(SegmentFormat::uncompressed, as_bytes(big.substr(100) + "extra"), false, wire).ok());
    SegmentDecoder decoder(SegmentFormat::uncompressed, limits);
    std::vector<Envelope> got;
    expect_protocol_error(decoder.feed(as_bytes(wire), got), "overrun");
  }
  {  // a self-contained segment between two slices
    std::string wire;
    ASSERT_TRUE(encode_segment(SegmentFormat::uncompressed, as_bytes(big).first(100), false, wire).ok());
    ASSERT_TRUE(encode_segment(SegmentFormat::uncompressed, as_bytes(envelope("x")), true, wire).ok());
    SegmentDecoder decoder(SegmentFormat::uncompressed, limits);
    std::vector<Envelope> got;
    expect_protocol_error(decoder.feed(as_bytes(wire), got), "interleaved");
  }
}

TEST(SegmentHostile, CompressedEnvelopeInsideASegmentIsRefused) {
  for (bool sc : {true, false}) {
    std::string wire;
    ASSERT_TRUE(encode_segment(SegmentFormat::uncompressed,
                               as_bytes(envelope("abc", 0, 8, 0x85, kEnvelopeCompressedFlag)), sc, wire)
                    .ok());
    SegmentDecoder decoder(SegmentFormat::uncompressed);
    std::vector<Envelope> got;
    expect_protocol_error(decoder.feed(as_bytes(wire), got), "compressed envelope");
  }
}

TEST(SegmentHostile, Lz4BombsAndLiesAreRefused) {
  std::string block;
  ASSERT_TRUE(lz4_compress_block(as_bytes(envelope(std::string(2000, 'z'))), block).ok());  // 2009 bytes
  struct Case {
    const char* what;
    std::uint32_t uncompressed_length;
    std::string payload;
  };
  const std::vector<Case> cases{
      {"declares more than it decodes to", 131071, block},           // bomb: the tail would be left unwritten
      {"declares less than it decodes to", 2008, block},             // would overrun the buffer
      {"cannot expand that far", 100000, block.substr(0, 12)},       // refused from the sizes alone
      {"garbage block", 2009, std::string(40, '\xff')},              // not LZ4
      {"truncated block", 2009, block.substr(0, block.size() - 3)},  // cut short
      {"empty block declaring bytes", 10, ""},                       // nothing to decode
  };
  for (const auto& c : cases) {
    SegmentHeader h{.payload_length = static_cast<std::uint32_t>(c.payload.size()),
                    .uncompressed_length = c.uncompressed_length,
                    .self_contained = true};
    const std::string wire = raw_segment(SegmentFormat::lz4, h, c.payload);
    SegmentDecoder decoder(SegmentFormat::lz4);
    std::vector<Envelope> got;
    expect_protocol_error(decoder.feed(as_bytes(wire), got), c.what);
    EXPECT_TRUE(got.empty()) << c.what;
  }
  // The honest version of the same segment decodes.
  const std::string honest = raw_segment(
      SegmentFormat::lz4,
      {.payload_length = static_cast<std::uint32_t>(block.size()), .uncompressed_length = 2009, .self_contained = true},
      block);
  SegmentDecoder decoder(SegmentFormat::lz4);
  std::vector<Envelope> got;
  ASSERT_TRUE(decoder.feed(as_bytes(honest), got).ok());
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].body, std::string(2000, 'z'));
}

TEST(SegmentHostile, TruncatedStreamFailsFinishExceptAtBoundaries) {
  const SegmentLimits limits{.max_payload = 64};
  for (SegmentFormat f : kFormats) {
    std::string wire;
    std::vector<std::size_t> boundaries{0};
    ASSERT_TRUE(encode_segments(f, as_bytes(envelope("first", 1)), wire, limits).ok());
    boundaries.push_back(wire.size());
    ASSERT_TRUE(encode_segments(f, as_bytes(envelope(std::string(150, 's'), 2)), wire, limits).ok());  // 3 slices
    boundaries.push_back(wire.size());
    ASSERT_TRUE(encode_segments(f, as_bytes(envelope("last", 3)), wire, limits).ok());
    boundaries.push_back(wire.size());
    for (std::size_t len = 0; len <= wire.size(); ++len) {
      SegmentDecoder decoder(f, limits);
      std::vector<Envelope> got;
      ASSERT_TRUE(decoder.feed(as_bytes(wire).first(len), got).ok()) << len;
      const bool at_boundary = std::find(boundaries.begin(), boundaries.end(), len) != boundaries.end();
      if (at_boundary) {
        EXPECT_TRUE(decoder.finish().ok()) << len;
      } else {
        expect_protocol_error(decoder.finish(), "truncated at " + std::to_string(len));
      }
    }
  }
}

TEST(SegmentHostile, FailureIsFinal) {
  std::string wire = from_hex(kOptionsSegment);
  std::string bad = wire;
  bad[3] = static_cast<char>(bad[3] ^ 1);
  SegmentDecoder decoder(SegmentFormat::uncompressed);
  std::vector<Envelope> got;
  EXPECT_FALSE(decoder.feed(as_bytes(bad), got).ok());
  EXPECT_TRUE(decoder.failed());
  expect_protocol_error(decoder.feed(as_bytes(wire), got), "after failure");
  expect_protocol_error(decoder.finish(), "finish after failure");
  EXPECT_TRUE(got.empty());
  EXPECT_LE(decoder.memory_held(), 3 * std::string().capacity());  // buffers released (SSO only)
}

TEST(SegmentHostile, MutatedStreamsNeverCrashOrOverBuffer) {
  std::mt19937 rng(99);
  for (SegmentFormat f : kFormats) {
    const SegmentLimits limits{.max_payload = 512, .max_envelope_body = 4096};
    std::string batch;
    for (int i = 0; i < 20; ++i)
      batch += envelope(random_body(rng, rng() % (i % 5 == 0 ? 3000 : 300)), static_cast<std::int16_t>(i));
    std::string wire;
    ASSERT_TRUE(encode_segments(f, as_bytes(batch), wire, limits).ok());
    int failures = 0;
    for (int iter = 0; iter < 400; ++iter) {
      std::string bad = wire;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        const std::size_t at = rng() % bad.size();
        switch (rng() % 4) {
          case 0: bad[at] = static_cast<char>(bad[at] ^ (1U << (rng() % 8))); break;
          case 1: bad[at] = static_cast<char>(rng()); break;
          case 2: bad.insert(at, random_bytes(rng, 1 + rng() % 20)); break;
          default: bad.erase(at, std::min<std::size_t>(1 + rng() % 20, bad.size() - at - 1)); break;
        }
      }
      SegmentDecoder decoder(f, limits);
      std::vector<Envelope> got;
      std::size_t pos = 0;
      Status s;
      while (pos < bad.size() && s.ok()) {
        const std::size_t n = std::min(random_chunk(rng), bad.size() - pos);
        s = decoder.feed(as_bytes(bad).subspan(pos, n), got);
        pos += n;
        // One segment in the reader, one envelope being reassembled, one decompressed payload.
        ASSERT_LE(decoder.buffered(), 3 * 512 + 4096 + 64);
      }
      if (s.ok()) s = decoder.finish();
      if (!s.ok()) {
        ++failures;
        EXPECT_EQ(s.error().code(), Errc::protocol);
      }
      for (const auto& env : got) EXPECT_LE(env.body.size(), 4096U);
    }
    EXPECT_GT(failures, 380) << "mutations should nearly always be caught";
  }
}

TEST(SegmentHostile, RandomGarbageIsRefused) {
  std::mt19937 rng(1234);
  for (SegmentFormat f : kFormats) {
    for (int iter = 0; iter < 300; ++iter) {
      const std::string junk = random_bytes(rng, 1 + rng() % 5000);
      SegmentDecoder decoder(f);
      std::vector<Envelope> got;
      Status s = decoder.feed(as_bytes(junk), got);
      // A random 24-bit CRC matches once in 16 million headers: in practice the header is refused.
      if (junk.size() >= segment_header_size(f)) expect_protocol_error(s, "junk");
      EXPECT_TRUE(got.empty());
    }
  }
}

}  // namespace
}  // namespace sluice::cql

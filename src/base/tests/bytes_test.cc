// Why: every wire codec sits on ByteWriter/ByteReader; their byte order and their refusal to read
// past the end are what keep hostile frames harmless.
#include "base/bytes.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(Bytes, WritesBigEndian) {
  std::string out;
  ByteWriter w(out);
  w.u8(0x01);
  w.u16(0x0203);
  w.i32(-2);
  w.u64(0x0102030405060708ULL);
  ASSERT_EQ(out.size(), 15U);
  EXPECT_EQ(out, std::string("\x01\x02\x03\xff\xff\xff\xfe\x01\x02\x03\x04\x05\x06\x07\x08", 15));
}

TEST(Bytes, ReadsWhatWasWritten) {
  std::string out;
  ByteWriter w(out);
  w.i16(-300);
  w.i64(-1234567890123LL);
  w.raw(std::string_view("abc"));
  ByteReader r(out);
  EXPECT_EQ(r.i16(), -300);
  EXPECT_EQ(r.i64(), -1234567890123LL);
  EXPECT_EQ(as_chars(r.take(3)), "abc");
  EXPECT_TRUE(r.at_end());
  EXPECT_TRUE(r.ok());
}

TEST(Bytes, ReadPastEndFailsWithoutCrashing) {
  std::string data("\x00\x01\x02", 3);
  ByteReader r(data);
  EXPECT_EQ(r.u16(), 1);
  EXPECT_EQ(r.u32(), 0U);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.take(1).empty());  // stays failed
  EXPECT_FALSE(r.ok());
}

TEST(Bytes, TakeRefusesHugeLength) {
  std::string data(10, 'x');
  ByteReader r(data);
  EXPECT_TRUE(r.take(static_cast<std::size_t>(-1)).empty());
  EXPECT_FALSE(r.ok());
}

TEST(Bytes, PatchU32OverwritesInPlace) {
  std::string out;
  ByteWriter w(out);
  w.u32(0);
  w.u8(7);
  w.patch_u32(0, 0xA1B2C3D4U);
  ByteReader r(out);
  EXPECT_EQ(r.u32(), 0xA1B2C3D4U);
  EXPECT_EQ(r.u8(), 7);
}

}  // namespace
}  // namespace sluice

// Big-endian byte encoding and decoding over contiguous buffers.
//
// ByteWriter appends to a std::string it does not own (the caller keeps the buffer, so frames can
// be built back to back in one send buffer). ByteReader reads from a span it does not own; a read
// past the end does not throw or crash: it returns zero/empty and marks the reader failed, and
// the decoder checks ok() once at the end. This keeps wire decoders short and safe on hostile input.
// Neither is thread-safe; both are cheap to create.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace sluice {

using Bytes = std::span<const std::uint8_t>;

inline Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Lowercase hex, two digits per byte, no separators ("00ff").
inline std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4U]);
    out.push_back(kDigits[b & 0xFU]);
  }
  return out;
}

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}

  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { put_be(v); }
  void u32(std::uint32_t v) { put_be(v); }
  void u64(std::uint64_t v) { put_be(v); }
  void i16(std::int16_t v) { put_be(static_cast<std::uint16_t>(v)); }
  void i32(std::int32_t v) { put_be(static_cast<std::uint32_t>(v)); }
  void i64(std::int64_t v) { put_be(static_cast<std::uint64_t>(v)); }
  void raw(std::string_view bytes) { out_.append(bytes); }
  void raw(Bytes bytes) { out_.append(as_chars(bytes)); }

  std::size_t size() const { return out_.size(); }
  // Overwrites 4 bytes at `at` (for lengths known only after the body is written).
  void patch_u32(std::size_t at, std::uint32_t v) {
    for (int i = 3; i >= 0; --i) {
      out_[at + static_cast<std::size_t>(i)] = static_cast<char>(v & 0xffU);
      v >>= 8U;
    }
  }

 private:
  template <class U>
  void put_be(U v) {
    char buf[sizeof(U)];
    for (std::size_t i = 0; i < sizeof(U); ++i) {
      buf[sizeof(U) - 1 - i] = static_cast<char>(v & 0xffU);
      v = static_cast<U>(v >> 8U);
    }
    out_.append(buf, sizeof(U));
  }

  std::string& out_;
};

class ByteReader {
 public:
  explicit ByteReader(Bytes data) : data_(data) {}
  explicit ByteReader(std::string_view data) : data_(as_bytes(data)) {}

  bool ok() const { return !failed_; }
  bool at_end() const { return pos_ == data_.size(); }
  std::size_t remaining() const { return data_.size() - pos_; }
  std::size_t position() const { return pos_; }
  // Marks the reader failed, for decoders that find a semantic error (a negative count, say).
  void fail() { failed_ = true; }

  std::uint8_t u8() { return get_be<std::uint8_t>(); }
  std::uint16_t u16() { return get_be<std::uint16_t>(); }
  std::uint32_t u32() { return get_be<std::uint32_t>(); }
  std::uint64_t u64() { return get_be<std::uint64_t>(); }
  std::int16_t i16() { return static_cast<std::int16_t>(get_be<std::uint16_t>()); }
  std::int32_t i32() { return static_cast<std::int32_t>(get_be<std::uint32_t>()); }
  std::int64_t i64() { return static_cast<std::int64_t>(get_be<std::uint64_t>()); }

  // The next n bytes, or an empty span (and failed) if fewer remain.
  Bytes take(std::size_t n) {
    if (failed_ || n > remaining()) {
      failed_ = true;
      return {};
    }
    Bytes out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  Bytes rest() { return take(remaining()); }

 private:
  template <class U>
  U get_be() {
    if (failed_ || remaining() < sizeof(U)) {
      failed_ = true;
      return 0;
    }
    U v = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) {
      v = static_cast<U>((v << 8U) | data_[pos_ + i]);
    }
    pos_ += sizeof(U);
    return v;
  }

  Bytes data_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace sluice

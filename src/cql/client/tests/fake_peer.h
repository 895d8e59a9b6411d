// A fake CQL server for client tests: listens on 127.0.0.1 (ephemeral port) and runs a script in
// its own thread with plain blocking POSIX sockets, so a test can play any server behaviour,
// hostile ones included, byte by byte.
//
//   FakePeer peer([](FakePeer& p) {
//     auto c = p.accept();
//     if (!c || !serve_handshake(*c, ProtocolVersion::v5)) return;
//     auto q = c->read_frame();                 // the client's QUERY (from v5 segments)
//     c->send_frame(q->stream, Opcode::result, peer_body::result_void());
//   });
//   settings.port = peer.port();
//
// Every read has a timeout, so a script never hangs a test; failures inside the script are
// reported with ADD_FAILURE (thread-safe in GoogleTest). The destructor joins the script thread.
// Response bodies are built by the peer_body helpers: the protocol library only encodes requests.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "cql/protocol/compression.h"
#include "cql/protocol/frame.h"
#include "cql/protocol/segment.h"

namespace sluice::cql::testing {

using namespace std::chrono_literals;

// One request as the peer read it (or any frame).
struct PeerFrame {
  std::uint8_t version = 0;
  std::uint8_t flags = 0;
  std::int16_t stream = 0;
  std::uint8_t opcode = 0;
  std::string body;

  Opcode op() const { return static_cast<Opcode>(opcode); }
};

// ---- response bodies ----
namespace peer_body {

inline void string(std::string& out, std::string_view s) {
  ByteWriter w(out);
  w.u16(static_cast<std::uint16_t>(s.size()));
  w.raw(s);
}

inline std::string supported(const std::map<std::string, std::vector<std::string>>& options = {
                                 {"CQL_VERSION", {"3.4.7"}}, {"COMPRESSION", {"lz4"}}}) {
  std::string out;
  ByteWriter(out).u16(static_cast<std::uint16_t>(options.size()));
  for (const auto& [key, values] : options) {
    string(out, key);
    ByteWriter(out).u16(static_cast<std::uint16_t>(values.size()));
    for (const auto& v : values) string(out, v);
  }
  return out;
}

inline std::string result_void() {
  std::string out;
  ByteWriter(out).i32(1);
  return out;
}

// RESULT Set_keyspace: a result that carries a tag, to tell answers apart.
inline std::string result_set_keyspace(std::string_view keyspace) {
  std::string out;
  ByteWriter(out).i32(3);
  string(out, keyspace);
  return out;
}

inline std::string error(std::int32_t code, std::string_view message) {
  std::string out;
  ByteWriter(out).i32(code);
  string(out, message);
  return out;
}

inline std::string authenticate(std::string_view authenticator = "org.apache.cassandra.auth.PasswordAuthenticator") {
  std::string out;
  string(out, authenticator);
  return out;
}

// AUTH_SUCCESS with a null token.
inline std::string auth_success() {
  std::string out;
  ByteWriter(out).i32(-1);
  return out;
}

// EVENT STATUS_CHANGE <change> 127.0.0.<last>:9042.
inline std::string status_event(std::string_view change, std::uint8_t last = 1) {
  std::string out;
  string(out, "STATUS_CHANGE");
  string(out, change);
  ByteWriter w(out);
  w.u8(4);
  w.u8(127);
  w.u8(0);
  w.u8(0);
  w.u8(last);
  w.i32(9042);
  return out;
}

}  // namespace peer_body

// The [long string] a QUERY body starts with (its CQL text); empty if malformed.
inline std::string query_text(std::string_view body) {
  ByteReader in(body);
  auto n = in.i32();
  if (n < 0) return {};
  auto text = in.take(static_cast<std::size_t>(n));
  return in.ok() ? std::string(as_chars(text)) : std::string();
}

// One accepted client connection.
class PeerConnection {
 public:
  explicit PeerConnection(int fd) : fd_(fd) {}
  ~PeerConnection() { close(); }
  PeerConnection(const PeerConnection&) = delete;
  PeerConnection& operator=(const PeerConnection&) = delete;

  // The version byte of responses (0x85 or 0x84); serve_handshake sets it from the OPTIONS.
  void set_response_version(std::uint8_t v) { response_version_ = v; }
  std::uint8_t response_version() const { return response_version_; }

  // From now on, both directions travel in v5 segments of `format`.
  void use_segments(SegmentFormat format = SegmentFormat::uncompressed) {
    format_ = format;
    decoder_.emplace(format);
  }
  bool segments() const { return decoder_.has_value(); }
  // v4 + lz4: decompress requests with the compressed flag.
  void set_v4_lz4(bool on) { v4_lz4_ = on; }

  // The next frame from the client: raw, or out of segments once use_segments() was called.
  // nullopt on a timeout, EOF or malformed input (why: last_error()).
  std::optional<PeerFrame> read_frame(std::chrono::milliseconds timeout = 2000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (decoder_) {
        if (!envelopes_.empty()) {
          Envelope e = std::move(envelopes_.front());
          envelopes_.erase(envelopes_.begin());
          return PeerFrame{e.header.version, e.header.flags, e.header.stream, e.header.opcode, std::move(e.body)};
        }
        if (!buffer_.empty()) {
          std::string chunk = std::move(buffer_);
          buffer_.clear();
          if (auto st = decoder_->feed(as_bytes(chunk), envelopes_); !st.ok()) {
            last_error_ = st.error().to_string();
            return std::nullopt;
          }
          continue;
        }
      } else if (buffer_.size() >= kEnvelopeHeaderSize) {
        auto h = parse_envelope_header(as_bytes(buffer_));
        if (!h.ok()) {
          last_error_ = h.error().to_string();
          return std::nullopt;
        }
        if (buffer_.size() >= kEnvelopeHeaderSize + h->length) {
          PeerFrame f{h->version, h->flags, h->stream, h->opcode, buffer_.substr(kEnvelopeHeaderSize, h->length)};
          buffer_.erase(0, kEnvelopeHeaderSize + h->length);
          if ((f.flags & kEnvelopeCompressedFlag) != 0 && v4_lz4_) {
            auto plain = decompress_v4_body(as_bytes(f.body));
            if (!plain.ok()) {
              last_error_ = plain.error().to_string();
              return std::nullopt;
            }
            f.body = std::move(*plain);
            f.flags = static_cast<std::uint8_t>(f.flags & ~kEnvelopeCompressedFlag);
          }
          return f;
        }
      }
      if (!fill(deadline)) return std::nullopt;
    }
  }

  // Reads frames until one with opcode `op` (skipping heartbeats and others); nullopt as read_frame.
  std::optional<PeerFrame> read_until(Opcode op, std::chrono::milliseconds timeout = 2000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto f = read_frame(left);
      if (!f || f->op() == op) return f;
    }
  }

  // The envelope of one response (header + body), with the response version byte.
  std::string envelope(std::int16_t stream, Opcode op, std::string_view body, std::uint8_t flags = 0) const {
    std::string out;
    write_envelope_header({.version = response_version_,
                           .flags = flags,
                           .stream = stream,
                           .opcode = static_cast<std::uint8_t>(op),
                           .length = static_cast<std::uint32_t>(body.size())},
                          out);
    out.append(body);
    return out;
  }

  // Wraps whole envelopes as this connection's framing wants (segments or raw) and sends them.
  bool send_envelopes(std::string_view envelopes) {
    if (!decoder_) return send_raw(envelopes);
    std::string out;
    if (auto st = encode_segments(format_, as_bytes(envelopes), out); !st.ok()) {
      ADD_FAILURE() << "fake peer: " << st.error().to_string();
      return false;
    }
    return send_raw(out);
  }

  bool send_frame(std::int16_t stream, Opcode op, std::string_view body, std::uint8_t flags = 0) {
    return send_envelopes(envelope(stream, op, body, flags));
  }

  // v4 + lz4: sends a frame with its body compressed (the flag set).
  bool send_compressed_frame(std::int16_t stream, Opcode op, std::string_view body) {
    std::string compressed;
    if (auto st = compress_v4_body(as_bytes(body), compressed); !st.ok()) return false;
    return send_raw(envelope(stream, op, compressed, kEnvelopeCompressedFlag));
  }

  bool send_raw(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // True once the client closed the connection (EOF or reset) within `timeout`; bytes arriving
  // meanwhile are dropped.
  bool wait_closed(std::chrono::milliseconds timeout = 2000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (fill(deadline)) buffer_.clear();
    return eof_;
  }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  const std::string& last_error() const { return last_error_; }
  bool eof() const { return eof_; }

 private:
  // Appends what one recv brings; false on EOF, error or deadline.
  bool fill(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      last_error_ = "timeout";
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) return fill(deadline);
    if (r == 0) {
      last_error_ = "timeout";
      return false;
    }
    char buf[65536];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      last_error_ = "connection closed by the client";
      return false;
    }
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_;
  std::uint8_t response_version_ = kEnvelopeV5 | kEnvelopeResponseBit;
  SegmentFormat format_ = SegmentFormat::uncompressed;
  std::optional<SegmentDecoder> decoder_;
  std::vector<Envelope> envelopes_;
  std::string buffer_;
  bool v4_lz4_ = false;
  bool eof_ = false;
  std::string last_error_;
};

// The listening socket and the script thread.
class FakePeer {
 public:
  using Script = std::function<void(FakePeer&)>;

  explicit FakePeer(Script script) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||  // NOLINT
        ::listen(listen_fd_, 8) != 0) {
      ADD_FAILURE() << "fake peer: cannot listen on 127.0.0.1";
      return;
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);  // NOLINT
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, s = std::move(script)] { s(*this); });
  }

  ~FakePeer() {
    join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }
  FakePeer(const FakePeer&) = delete;
  FakePeer& operator=(const FakePeer&) = delete;

  std::uint16_t port() const { return port_; }

  // The next client connection, or null after `timeout`.
  std::unique_ptr<PeerConnection> accept(std::chrono::milliseconds timeout = 2000ms) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
      ADD_FAILURE() << "fake peer: no client connected";
      return nullptr;
    }
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return nullptr;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++accepted_;
    return std::make_unique<PeerConnection>(fd);
  }

  int accepted() const { return accepted_; }

  // Waits for the script to end (the destructor does it too).
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  int accepted_ = 0;
  std::thread thread_;
};

// What serve_handshake saw.
struct HandshakeSeen {
  PeerFrame options;
  PeerFrame startup;
  std::map<std::string, std::string> startup_options;
};

inline std::map<std::string, std::string> startup_options(std::string_view body) {
  std::map<std::string, std::string> out;
  ByteReader in(body);
  auto n = in.u16();
  for (std::uint16_t i = 0; i < n && in.ok(); ++i) {
    auto k = in.take(in.u16());
    auto v = in.take(in.u16());
    out.emplace(std::string(as_chars(k)), std::string(as_chars(v)));
  }
  return out;
}

struct HandshakeOptions {
  ProtocolVersion version = ProtocolVersion::v5;  // what the peer speaks (it must match the client's)
  SegmentFormat format = SegmentFormat::uncompressed;  // v5: the segments after STARTUP
  bool authenticate = false;  // answer STARTUP with AUTHENTICATE (the caller then serves the login)
};

// OPTIONS -> SUPPORTED, STARTUP -> READY (or AUTHENTICATE), then segments for v5 (with lz4 when
// the client asked for it). Reports failures and returns nullopt when the client did not follow.
inline std::optional<HandshakeSeen> serve_handshake(PeerConnection& c, HandshakeOptions o = {}) {
  HandshakeSeen seen;
  auto v = static_cast<std::uint8_t>(o.version);
  c.set_response_version(static_cast<std::uint8_t>(v | kEnvelopeResponseBit));
  auto options = c.read_frame();
  if (!options || options->op() != Opcode::options || options->version != v) {
    ADD_FAILURE() << "fake peer: expected OPTIONS v" << int{v} << ": " << c.last_error();
    return std::nullopt;
  }
  seen.options = *options;
  c.send_frame(options->stream, Opcode::supported, peer_body::supported());
  auto startup = c.read_frame();
  if (!startup || startup->op() != Opcode::startup || startup->version != v) {
    ADD_FAILURE() << "fake peer: expected STARTUP: " << c.last_error();
    return std::nullopt;
  }
  seen.startup = *startup;
  seen.startup_options = startup_options(startup->body);
  bool lz4 = seen.startup_options.count("COMPRESSION") != 0 && seen.startup_options["COMPRESSION"] == "lz4";
  if (o.authenticate) {
    c.send_frame(startup->stream, Opcode::authenticate, peer_body::authenticate());
  } else if (lz4 && o.version == ProtocolVersion::v4) {
    c.send_compressed_frame(startup->stream, Opcode::ready, "");
  } else {
    c.send_frame(startup->stream, Opcode::ready, "");
  }
  if (o.version == ProtocolVersion::v5) {
    c.use_segments(lz4 ? SegmentFormat::lz4 : o.format);
  } else {
    c.set_v4_lz4(lz4);
  }
  return seen;
}

}  // namespace sluice::cql::testing

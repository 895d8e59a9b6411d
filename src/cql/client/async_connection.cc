#include "cql/client/async_connection.h"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "cql/protocol/compression.h"

namespace sluice::cql {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Stream ids are non-negative shorts. A few are kept back so that a connection whose requests
// all timed out (orphans hold their ids until answered) still has ids for heartbeats.
constexpr std::size_t kMaxStreamIds = 32768;
constexpr std::size_t kMaxOrphans = 16384;
constexpr std::size_t kInitialReadBuffer = 64 * 1024;
constexpr auto kTickPeriod = std::chrono::milliseconds(50);
// Error::detail() of a connection refused because the server does not speak our version.
constexpr int kVersionRefused = 1;

constexpr std::uint8_t kFlagCompressed = 0x01;
constexpr std::uint8_t kFlagTracing = 0x02;
constexpr std::uint8_t kFlagCustomPayload = 0x04;
constexpr std::uint8_t kFlagWarning = 0x08;

// The opcodes a server may answer a request with (EVENT comes only on stream -1).
bool is_answer_opcode(std::uint8_t opcode) {
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::error:
    case Opcode::ready:
    case Opcode::authenticate:
    case Opcode::supported:
    case Opcode::result:
    case Opcode::auth_challenge:
    case Opcode::auth_success:
      return true;
    default:
      return false;
  }
}

// The Error a server ERROR body stands for.
Error server_error(ProtocolVersion version, const std::string& body, std::string_view context) {
  auto decoded = decode_error(version, as_bytes(body));
  if (!decoded.ok()) return decoded.error();
  return Error(Errc::server, fmt::format("{}: {}", context, decoded->to_string()),
               static_cast<int>(decoded->code));
}

// Strips the tracing id, warnings and custom payload a response body may start with (spec
// section 4), keeping the warnings.
Status strip_prefixes(Response& response) {
  if ((response.flags & (kFlagTracing | kFlagWarning | kFlagCustomPayload)) == 0) return ok_status();
  ByteReader in(as_bytes(response.body));
  if ((response.flags & kFlagTracing) != 0) in.take(16);
  if ((response.flags & kFlagWarning) != 0) {
    auto n = in.u16();
    for (std::uint16_t i = 0; i < n && in.ok(); ++i) {
      auto len = in.u16();
      response.warnings.emplace_back(as_chars(in.take(len)));
    }
  }
  if ((response.flags & kFlagCustomPayload) != 0) {
    auto n = in.u16();
    for (std::uint16_t i = 0; i < n && in.ok(); ++i) {
      in.take(in.u16());
      auto len = in.i32();
      if (len > 0) in.take(static_cast<std::size_t>(len));
    }
  }
  if (!in.ok()) return Error(Errc::protocol, "truncated response prefix (tracing, warnings or payload)");
  response.body.erase(0, in.position());
  return ok_status();
}

}  // namespace

// The steps from a TCP connection to a ready one; each step sends one request and continues in
// its answer's callback.
class AsyncConnection::Handshake {
 public:
  Handshake(AsyncConnection& conn, ConnectHandler done) : conn_(conn), done_(std::move(done)) {}

  void start() { options(); }

  // Called once, with the ready connection or the reason it is not.
  void finish(Result<std::shared_ptr<AsyncConnection>> result) {
    if (!done_) return;
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(result));
  }
  ConnectHandler take_done() { return std::exchange(done_, nullptr); }

 private:
  using Next = std::function<void(const Response&)>;

  // Sends `frame` and continues with `next` on success; any error (transport, ERROR answer, or
  // an opcode not in `expected`) fails the connection with `what` as context.
  void step(std::string frame, std::string what, std::vector<Opcode> expected, Next next) {
    auto self = conn_.shared_from_this();
    auto handler = std::make_shared<CallbackHandler>(
        [self, what = std::move(what), expected = std::move(expected), next = std::move(next)](
            Result<Response> r) {
          if (!r.ok()) return self->fail(r.error());
          if (r->opcode == Opcode::error) return self->fail(server_error(self->version_, r->body, what));
          if (std::find(expected.begin(), expected.end(), r->opcode) == expected.end()) {
            return self->fail(Error(Errc::protocol, fmt::format("{}: unexpected answer opcode 0x{:02x}", what,
                                                                static_cast<int>(r->opcode))));
          }
          next(*r);
        });
    auto deadline = Clock::now() + conn_.settings_.connect_timeout;
    if (!conn_.send(std::move(frame), deadline, std::move(handler))) {
      conn_.fail(Error(Errc::unavailable, fmt::format("{}: connection closed", what)));
    }
  }

  void options() {
    std::string frame;
    encode_options(conn_.version_, 0, frame);
    step(std::move(frame), "OPTIONS", {Opcode::supported}, [this](const Response& r) {
      auto supported = decode_supported(as_bytes(r.body));
      if (!supported.ok()) return conn_.fail(supported.error());
      bool lz4 = false;
      if (auto it = supported->find("COMPRESSION"); it != supported->end()) {
        lz4 = std::find(it->second.begin(), it->second.end(), "lz4") != it->second.end();
      }
      if (conn_.settings_.compression == Compression::lz4 && !lz4) {
        return conn_.fail(Error(Errc::unavailable, fmt::format("{} does not offer lz4 compression",
                                                               conn_.endpoint())));
      }
      startup();
    });
  }

  void startup() {
    std::vector<std::pair<std::string, std::string>> extra{{"DRIVER_NAME", "sluice"},
                                                           {"DRIVER_VERSION", "0.1"}};
    if (conn_.settings_.compression == Compression::lz4) {
      extra.emplace_back("COMPRESSION", "lz4");
      // v4: Cassandra already compresses its answer to this STARTUP.
      conn_.accept_compressed_ = conn_.version_ == ProtocolVersion::v4;
    }
    std::string frame;
    encode_startup(conn_.version_, 0, extra, frame);
    step(std::move(frame), "STARTUP", {Opcode::ready, Opcode::authenticate}, [this](const Response& r) {
      conn_.after_startup_answer();
      if (r.opcode == Opcode::ready) return after_auth();
      auto authenticator = decode_authenticate(as_bytes(r.body));
      if (!authenticator.ok()) return conn_.fail(authenticator.error());
      if (!conn_.settings_.credentials) {
        return conn_.fail(Error(Errc::invalid_argument,
                                fmt::format("{} requires authentication ({}); set a username and password",
                                            conn_.endpoint(), *authenticator)));
      }
      authenticate();
    });
  }

  void authenticate() {
    const auto& creds = *conn_.settings_.credentials;
    std::string frame;
    encode_auth_response(conn_.version_, 0, password_auth_token(creds.username, creds.password), frame);
    step(std::move(frame), fmt::format("login as '{}'", creds.username),
         {Opcode::auth_success, Opcode::auth_challenge}, [this](const Response& r) {
           // PasswordAuthenticator is one round: a challenge means another mechanism.
           if (r.opcode == Opcode::auth_challenge) {
             return conn_.fail(Error(Errc::protocol, "unexpected AUTH_CHALLENGE from a password authenticator"));
           }
           after_auth();
         });
  }

  void after_auth() {
    if (!conn_.settings_.keyspace.empty()) {
      std::string frame;
      QueryParams params;
      params.page_size = 0;
      encode_query(conn_.version_, 0, fmt::format("USE \"{}\"", conn_.settings_.keyspace), params, frame);
      step(std::move(frame), "USE keyspace", {Opcode::result}, [this](const Response&) { register_events(); });
    } else {
      register_events();
    }
  }

  void register_events() {
    if (conn_.settings_.register_events.empty()) return ready();
    std::string frame;
    encode_register(conn_.version_, 0, conn_.settings_.register_events, frame);
    step(std::move(frame), "REGISTER", {Opcode::ready}, [this](const Response&) { ready(); });
  }

  void ready() {
    conn_.handshake_done_ = true;
    conn_.last_activity_ = Clock::now();
    finish(conn_.shared_from_this());
  }

  AsyncConnection& conn_;
  ConnectHandler done_;
};

AsyncConnection::AsyncConnection(asio::io_context& io, ConnectionSettings settings, ProtocolVersion version)
    : io_(io), settings_(std::move(settings)), version_(version), socket_(io), tick_(io),
      in_(kInitialReadBuffer) {
  settings_.max_in_flight = std::clamp<std::size_t>(settings_.max_in_flight, 1, kMaxStreamIds - kMaxOrphans - 64);
}

AsyncConnection::~AsyncConnection() = default;

std::string AsyncConnection::endpoint() const { return fmt::format("{}:{}", settings_.host, settings_.port); }

template <class F>
void AsyncConnection::with_stream(F&& f) {
  if (tls_) {
    f(*tls_);
  } else {
    f(socket_);
  }
}

void AsyncConnection::connect(asio::io_context& io, ConnectionSettings settings, ConnectHandler done) {
  auto version = settings.version;
  std::shared_ptr<AsyncConnection> conn(new AsyncConnection(io, std::move(settings), version));
  conn->handshake_ = std::make_unique<Handshake>(*conn, std::move(done));
  asio::post(io, [conn] {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(conn->settings_.host, ec);
    if (ec) {
      // A name: resolve it on the loop (blocking, but only at connect time, and rare).
      tcp::resolver resolver(conn->io_);
      auto found = resolver.resolve(conn->settings_.host, std::to_string(conn->settings_.port), ec);
      if (ec || found.empty()) {
        return conn->fail(Error(Errc::unavailable, fmt::format("cannot resolve {}: {}", conn->settings_.host,
                                                               ec ? ec.message() : "no address")));
      }
      address = found.begin()->endpoint().address();
    }
    conn->connect_deadline_ = Clock::now() + conn->settings_.connect_timeout;
    conn->on_tick();
    conn->socket_.async_connect(tcp::endpoint(address, conn->settings_.port), [conn](boost::system::error_code cec) {
      if (cec) {
        return conn->fail(Error(Errc::unavailable, fmt::format("cannot connect to {}: {}", conn->endpoint(),
                                                               cec.message())));
      }
      conn->socket_.set_option(tcp::no_delay(true));
      if (!conn->settings_.tls) {
        conn->start_reading();
        conn->handshake_->start();
        return;
      }
      conn->tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(conn->socket_, *conn->settings_.tls);
      const std::string& name =
          conn->settings_.tls_server_name.empty() ? conn->settings_.host : conn->settings_.tls_server_name;
      // The name is checked by OpenSSL's own chain verification (whenever the context verifies
      // peers), so a mismatch is reported as one: SSL_get_verify_result says "hostname mismatch".
      SSL* ssl = conn->tls_->native_handle();
      boost::system::error_code not_address;
      asio::ip::make_address(name, not_address);
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      bool name_set = !not_address ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1
                                   : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size()) == 1;
      // SNI (SSL_set_tlsext_host_name is a macro with a C cast).
      if (not_address) {  // SNI carries host names only (RFC 6066), never an address
        SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(name.c_str()));
      }
      if (!name_set) {
        return conn->fail(Error(Errc::invalid_argument, fmt::format("TLS: cannot verify against the name '{}'", name)));
      }
      conn->tls_->async_handshake(asio::ssl::stream_base::client, [conn](boost::system::error_code hec) {
        if (hec) {
          // "certificate verify failed" alone does not say why; OpenSSL's verify result does.
          std::string why = hec.message();
          long verify = SSL_get_verify_result(conn->tls_->native_handle());
          if (verify != X509_V_OK) why += fmt::format(" ({})", X509_verify_cert_error_string(verify));
          return conn->fail(Error(Errc::unavailable, fmt::format("TLS handshake with {} failed: {}",
                                                                 conn->endpoint(), why)));
        }
        conn->start_reading();
        conn->handshake_->start();
      });
    });
  });
}

bool AsyncConnection::send(std::string frame, Clock::time_point deadline, std::shared_ptr<ResponseHandler> handler) {
  if (closed_.load(std::memory_order_acquire)) return false;
  if (in_flight_.fetch_add(1, std::memory_order_relaxed) >= settings_.max_in_flight) {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  bool post = false;
  {
    std::lock_guard lock(queue_mu_);
    queue_.push_back({std::move(frame), deadline, std::move(handler)});
    post = !drain_posted_;
    drain_posted_ = true;
  }
  if (post) asio::post(io_, [self = shared_from_this()] { self->drain_queue(); });
  return true;
}

void AsyncConnection::close() {
  asio::post(io_, [self = shared_from_this()] { self->fail(Error(Errc::closed, "connection closed by the client")); });
}

void AsyncConnection::drain_queue() {
  std::vector<Pending> batch;
  {
    std::lock_guard lock(queue_mu_);
    batch.swap(queue_);
    drain_posted_ = false;
  }
  for (auto& p : batch) {
    if (closed_.load(std::memory_order_relaxed)) {
      in_flight_.fetch_sub(1, std::memory_order_relaxed);
      p.handler->on_response(Error(Errc::unavailable, fmt::format("connection to {} closed before sending", endpoint())));
      continue;
    }
    if (auto st = enqueue_frame(std::move(p)); !st.ok()) return fail(st.error());
  }
  flush();
}

Status AsyncConnection::enqueue_frame(Pending p) {
  std::int16_t id = 0;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
  } else if (slots_.size() < kMaxStreamIds) {
    id = static_cast<std::int16_t>(slots_.size());
    slots_.emplace_back();
  } else {
    return Error(Errc::unavailable, fmt::format("{}: no free stream id", endpoint()));
  }
  SLUICE_CHECK(p.frame.size() >= kEnvelopeHeaderSize, "a request frame shorter than its header");
  p.frame[2] = static_cast<char>(static_cast<std::uint16_t>(id) >> 8U);
  p.frame[3] = static_cast<char>(static_cast<std::uint16_t>(id) & 0xFFU);
  Slot& slot = slots_[static_cast<std::size_t>(id)];
  slot.handler = std::move(p.handler);
  slot.deadline = p.deadline;
  slot.busy = true;
  if (segment_format_) {
    envelopes_.append(p.frame);
  } else if (compress_v4_ && static_cast<Opcode>(p.frame[4]) != Opcode::options) {
    auto done = compress_v4_envelope(as_bytes(p.frame), out_);
    if (!done.ok()) return done.error();
  } else {
    out_.append(p.frame);
  }
  return ok_status();
}

void AsyncConnection::flush() {
  if (write_in_flight_ || closed_.load(std::memory_order_relaxed)) return;
  if (!envelopes_.empty()) {
    auto st = encode_segments(*segment_format_, as_bytes(envelopes_), out_);
    if (!st.ok()) return fail(st.error());
    envelopes_.clear();
  }
  if (out_.empty()) return;
  writing_.swap(out_);
  out_.clear();
  write_in_flight_ = true;
  last_activity_ = Clock::now();
  with_stream([this](auto& stream) {
    asio::async_write(stream, asio::buffer(writing_),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->write_in_flight_ = false;
                        self->writing_.clear();
                        if (ec) {
                          return self->fail(Error(Errc::io, fmt::format("write to {} failed: {}",
                                                                        self->endpoint(), ec.message())));
                        }
                        self->flush();
                      });
  });
}

void AsyncConnection::start_reading() {
  if (closed_.load(std::memory_order_relaxed)) return;
  if (in_end_ == in_.size()) {
    // Full: make room by dropping what is parsed, else grow (parse_frames bounds the growth).
    if (in_begin_ > 0) {
      std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
      in_end_ -= in_begin_;
      in_begin_ = 0;
    } else {
      in_.resize(in_.size() * 2);
    }
  }
  with_stream([this](auto& stream) {
    stream.async_read_some(asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
                           [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                             if (ec) {
                               if (ec == asio::error::operation_aborted) return;
                               return self->fail(Error(Errc::io, fmt::format("read from {} failed: {}",
                                                                             self->endpoint(), ec.message())));
                             }
                             self->on_read(n);
                           });
  });
}

void AsyncConnection::on_read(std::size_t n) {
  in_end_ += n;
  last_activity_ = Clock::now();
  if (auto st = parse_frames(); !st.ok()) return fail(st.error());
  if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
  start_reading();
}

Status AsyncConnection::parse_frames() {
  if (segments_) {
    std::vector<Envelope> envelopes;
    Bytes chunk(reinterpret_cast<const std::uint8_t*>(in_.data() + in_begin_), in_end_ - in_begin_);  // NOLINT
    in_begin_ = in_end_;
    auto st = segments_->feed(chunk, envelopes);
    // Envelopes decoded before an error are whole and verified: answer them first.
    for (auto& e : envelopes) {
      if (e.header.version != (static_cast<std::uint8_t>(version_) | kEnvelopeResponseBit)) {
        return Error(Errc::protocol, fmt::format("{}: envelope of version 0x{:02x} on a v5 connection",
                                                 endpoint(), e.header.version));
      }
      SLUICE_TRY(dispatch(e.header.flags, e.header.stream, e.header.opcode, std::move(e.body)));
    }
    return st;
  }
  while (in_end_ - in_begin_ >= kEnvelopeHeaderSize) {
    Bytes rest(reinterpret_cast<const std::uint8_t*>(in_.data() + in_begin_), in_end_ - in_begin_);  // NOLINT
    auto header = parse_envelope_header(rest);
    if (!header.ok()) return header.error();
    std::uint8_t expected = static_cast<std::uint8_t>(version_) | kEnvelopeResponseBit;
    if (header->version != expected) {
      if (!handshake_done_ && (header->version & kEnvelopeResponseBit) != 0 &&
          (header->version & 0x7FU) < static_cast<std::uint8_t>(version_)) {
        return Error(Errc::unavailable,
                     fmt::format("{} does not speak protocol v{} (it answered in v{})", endpoint(),
                                 static_cast<int>(version_), header->version & 0x7FU),
                     kVersionRefused);
      }
      return Error(Errc::protocol, fmt::format("{}: frame of version 0x{:02x}, expected 0x{:02x}", endpoint(),
                                               header->version, expected));
    }
    std::size_t total = kEnvelopeHeaderSize + header->length;
    if (rest.size() < total) {
      // Make sure the whole frame fits once it arrives (the length is bounded by the header check).
      if (in_.size() - in_begin_ < total) {
        std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
        in_end_ -= in_begin_;
        in_begin_ = 0;
        if (in_.size() < total) in_.resize(total);
      }
      break;
    }
    std::string body(as_chars(rest.subspan(kEnvelopeHeaderSize, header->length)));
    in_begin_ += total;
    if ((header->flags & kFlagCompressed) != 0) {
      if (!accept_compressed_) return Error(Errc::protocol, fmt::format("{}: compressed frame without lz4 negotiated", endpoint()));
      auto plain = decompress_v4_body(as_bytes(body));
      if (!plain.ok()) return plain.error();
      body = std::move(*plain);
    }
    SLUICE_TRY(dispatch(header->flags, header->stream, header->opcode, std::move(body)));
    if (closed_.load(std::memory_order_relaxed)) return ok_status();
    // The STARTUP answer switched v5 to segments: whatever follows it is segment bytes.
    if (segments_) return parse_frames();
  }
  return ok_status();
}

Status AsyncConnection::dispatch(std::uint8_t flags, std::int16_t stream, std::uint8_t opcode, std::string body) {
  if (stream < 0) {
    if (static_cast<Opcode>(opcode) != Opcode::event) {
      return Error(Errc::protocol, fmt::format("{}: server stream {} with opcode 0x{:02x}", endpoint(), stream, opcode));
    }
    auto event = decode_event(as_bytes(body));
    if (!event.ok()) return event.error();
    if (on_event_) on_event_(*event);
    return ok_status();
  }
  if (!is_answer_opcode(opcode)) {
    return Error(Errc::protocol, fmt::format("{}: answer on stream {} with opcode 0x{:02x}", endpoint(), stream, opcode));
  }
  auto index = static_cast<std::size_t>(stream);
  if (index >= slots_.size() || !slots_[index].busy) {
    return Error(Errc::protocol, fmt::format("{}: answer on stream {}, which has no request", endpoint(), stream));
  }
  Slot& slot = slots_[index];
  auto handler = std::move(slot.handler);
  slot.handler = nullptr;
  slot.busy = false;
  free_ids_.push_back(stream);
  if (!handler) {  // timed out earlier: the late answer frees the id
    --orphans_;
    return ok_status();
  }
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  Response response{.opcode = static_cast<Opcode>(opcode), .flags = flags, .body = std::move(body), .warnings = {}};
  if (auto st = strip_prefixes(response); !st.ok()) {
    handler->on_response(st.error());
    return st;
  }
  handler->on_response(std::move(response));
  return ok_status();
}

void AsyncConnection::after_startup_answer() {
  if (version_ == ProtocolVersion::v5) {
    segment_format_ = settings_.compression == Compression::lz4 ? SegmentFormat::lz4 : SegmentFormat::uncompressed;
    segments_.emplace(*segment_format_);
  } else {
    compress_v4_ = settings_.compression == Compression::lz4;
  }
}

void AsyncConnection::on_tick() {
  if (closed_.load(std::memory_order_relaxed)) return;
  auto now = Clock::now();
  if (!handshake_done_) {
    if (now >= connect_deadline_) {
      return fail(Error(Errc::timeout, fmt::format("no connection to {} within {} ms", endpoint(),
                                                   settings_.connect_timeout.count())));
    }
  } else {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      Slot& slot = slots_[i];
      if (!slot.handler || slot.deadline > now) continue;
      auto handler = std::move(slot.handler);
      slot.handler = nullptr;
      ++orphans_;
      in_flight_.fetch_sub(1, std::memory_order_relaxed);
      handler->on_response(Error(Errc::timeout, fmt::format("no answer from {} in time", endpoint())));
      if (closed_.load(std::memory_order_relaxed)) return;
    }
    if (orphans_ > kMaxOrphans) {
      return fail(Error(Errc::timeout, fmt::format("{}: {} requests unanswered; closing", endpoint(), orphans_)));
    }
    if (settings_.heartbeat_interval.count() > 0 && now - last_activity_ >= settings_.heartbeat_interval) {
      if (heartbeat_outstanding_) {
        return fail(Error(Errc::timeout, fmt::format("{} did not answer a heartbeat", endpoint())));
      }
      heartbeat_outstanding_ = true;
      last_activity_ = now;
      std::string frame;
      encode_options(version_, 0, frame);
      auto handler = std::make_shared<CallbackHandler>([self = shared_from_this()](const Result<Response>& r) {
        if (r.ok()) self->heartbeat_outstanding_ = false;
      });
      // A connection too full to take the heartbeat is not idle: try again at the next beat.
      if (!send(std::move(frame), now + settings_.heartbeat_interval * 2, std::move(handler))) {
        heartbeat_outstanding_ = false;
      }
    }
  }
  tick_.expires_after(kTickPeriod);
  tick_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->on_tick();
  });
}

void AsyncConnection::fail(const Error& why) {
  if (closed_.exchange(true, std::memory_order_acq_rel)) return;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  tick_.cancel();
  std::vector<Pending> queued;
  {
    std::lock_guard lock(queue_mu_);
    queued.swap(queue_);
  }
  for (auto& p : queued) {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    p.handler->on_response(Error(Errc::unavailable, fmt::format("not sent: {}", why.message()), why.detail()));
  }
  for (auto& slot : slots_) {
    if (!slot.handler) continue;
    auto handler = std::move(slot.handler);
    slot.handler = nullptr;
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    handler->on_response(Error(handshake_done_ ? Errc::io : Errc::unavailable,
                               fmt::format("connection lost: {}", why.message()), why.detail()));
  }
  if (handshake_) {
    if (auto done = handshake_->take_done()) {
      if (why.detail() == kVersionRefused && version_ == ProtocolVersion::v5) {
        auto settings = settings_;
        settings.version = ProtocolVersion::v4;
        return connect(io_, std::move(settings), std::move(done));
      }
      return done(why);
    }
  }
  // Drop the handlers: they may hold what holds this connection (a host's pool).
  auto on_close = std::move(on_close_);
  on_close_ = nullptr;
  on_event_ = nullptr;
  if (on_close) on_close(why);
}

}  // namespace sluice::cql

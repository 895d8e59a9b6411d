// Why: AsyncConnection is the only code between the driver and a server it must not trust. These
// tests play the server (fake_peer.h) and check, on a real socket and a real event loop, that
// the handshake, v5 segments, the v5->v4 fallback, stream ids, deadlines, heartbeats and
// authentication behave, and that every hostile input ends in a clean error, a closed
// connection, and no allocation beyond the frame limit.
#include "cql/client/async_connection.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <set>
#include <new>
#include <thread>

#include "cql/client/tests/fake_peer.h"
#include "cql/protocol/messages.h"

// ---- the largest single allocation while a test watches (all of operator new's plain forms) ----
namespace {
std::atomic<bool> g_watch_allocs{false};
std::atomic<std::size_t> g_largest_alloc{0};

void* counted_alloc(std::size_t n) {
  if (g_watch_allocs.load(std::memory_order_relaxed)) {
    auto seen = g_largest_alloc.load(std::memory_order_relaxed);
    while (n > seen && !g_largest_alloc.compare_exchange_weak(seen, n, std::memory_order_relaxed)) {
    }
  }
  return std::malloc(n == 0 ? 1 : n);
}
}  // namespace

void* operator new(std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
// With optimisation gcc inlines these and then sees free() on memory from "operator new"; the
// pairing is right (both sides are ours, over malloc), so that warning is off for this file.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace sluice::cql {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::FakePeer;
using testing::PeerConnection;
using testing::PeerFrame;
using testing::serve_handshake;
namespace peer_body = testing::peer_body;

// Bounds for "never allocate beyond the frame limit".
constexpr std::size_t kFrameLimitBound = 17U * 1024U * 1024U;
constexpr std::size_t kSmallBound = 1024U * 1024U;

class AllocWatch {
 public:
  AllocWatch() {
    g_largest_alloc.store(0);
    g_watch_allocs.store(true);
  }
  ~AllocWatch() { g_watch_allocs.store(false); }
  std::size_t largest() const { return g_largest_alloc.load(); }
};

// The harness itself: the bounds below are only meaningful if the counter sees allocations.
std::string g_alloc_sink;
TEST(AllocWatchTest, SeesLargeAllocations) {
  AllocWatch watch;
  g_alloc_sink.assign(3U * 1024U * 1024U, 'x');
  EXPECT_GE(watch.largest(), 3U * 1024U * 1024U);
  g_alloc_sink = std::string();
}

// An io_context run by one thread, as an IoLoop does. Declare it before any connection.
class IoThread {
 public:
  IoThread() : guard_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~IoThread() {
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  asio::io_context& io() { return io_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

// One request's answer.
class Catcher : public ResponseHandler {
 public:
  void on_response(Result<Response> r) override {
    if (calls_.fetch_add(1) == 0) {
      at_ = Clock::now();
      promise_.set_value(std::move(r));
    }
  }
  // The answer, or an Errc::closed error "no answer" after `timeout`.
  Result<Response> wait(std::chrono::milliseconds timeout = 3000ms) {
    if (future_.wait_for(timeout) != std::future_status::ready) return Error(Errc::closed, "test: no answer");
    return future_.get();
  }
  int calls() const { return calls_.load(); }
  Clock::time_point answered_at() const { return at_; }

 private:
  std::promise<Result<Response>> promise_;
  std::future<Result<Response>> future_ = promise_.get_future();
  std::atomic<int> calls_{0};
  Clock::time_point at_;
};

// What the close handler heard.
struct CloseWatch {
  std::promise<Error> promise;
  std::future<Error> future = promise.get_future();
  std::atomic<int> calls{0};

  std::optional<Error> wait(std::chrono::milliseconds timeout = 3000ms) {
    if (future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
    return future.get();
  }
};

ConnectionSettings settings_for(const FakePeer& peer, ProtocolVersion v = ProtocolVersion::v5) {
  ConnectionSettings s;
  s.host = "127.0.0.1";
  s.port = peer.port();
  s.version = v;
  s.connect_timeout = 2000ms;
  s.heartbeat_interval = 0ms;
  return s;
}

// Connects and waits; the close handler (when given) is installed on the loop thread in
// connect's callback, before anything can close the connection.
Result<std::shared_ptr<AsyncConnection>> connect_sync(asio::io_context& io, ConnectionSettings s,
                                                      const std::shared_ptr<CloseWatch>& close = nullptr,
                                                      const AsyncConnection::EventHandler& on_event = nullptr) {
  auto promise = std::make_shared<std::promise<Result<std::shared_ptr<AsyncConnection>>>>();
  auto future = promise->get_future();
  AsyncConnection::connect(io, std::move(s), [promise, close, on_event](Result<std::shared_ptr<AsyncConnection>> r) {
    if (r.ok()) {
      if (close) {
        (*r)->set_close_handler([close](const Error& e) {
          if (close->calls.fetch_add(1) == 0) close->promise.set_value(e);
        });
      }
      if (on_event) (*r)->set_event_handler(on_event);
    }
    promise->set_value(std::move(r));
  });
  if (future.wait_for(5s) != std::future_status::ready) return Error(Errc::timeout, "test: connect never finished");
  return future.get();
}

std::string query_frame(ProtocolVersion v, std::string_view cql) {
  std::string frame;
  QueryParams params;
  encode_query(v, 0, cql, params, frame);
  return frame;
}

std::shared_ptr<Catcher> send_query(AsyncConnection& conn, std::string_view cql,
                                    std::chrono::milliseconds timeout = 2000ms) {
  auto catcher = std::make_shared<Catcher>();
  EXPECT_TRUE(conn.send(query_frame(conn.version(), cql), Clock::now() + timeout, catcher));
  return catcher;
}

// Closes the connection and waits until the loop has done it, so that teardown is quiet.
void close_and_wait(const std::shared_ptr<AsyncConnection>& conn) {
  conn->close();
  std::promise<void> done;
  asio::post(conn->io(), [&] { done.set_value(); });
  done.get_future().wait_for(2s);
}

// ---------------------------------------------------------------------------------------------
// 1. Happy path v5

TEST(AsyncConnectionTest, V5HandshakeThenQueryInSegments) {
  IoThread loop;
  std::optional<testing::HandshakeSeen> seen;
  PeerFrame query;
  FakePeer peer([&](FakePeer& p) {
    auto c = p.accept();
    if (!c) return;
    seen = serve_handshake(*c);
    if (!seen) return;
    auto q = c->read_frame();
    if (!q) return ADD_FAILURE() << "no query: " << c->last_error();
    query = *q;
    c->send_frame(q->stream, Opcode::result, peer_body::result_void());
    c->wait_closed();
  });
  auto conn = connect_sync(loop.io(), settings_for(peer));
  ASSERT_TRUE(conn.ok()) << conn.error().to_string();
  EXPECT_EQ((*conn)->version(), ProtocolVersion::v5);
  EXPECT_TRUE((*conn)->is_open());

  auto answer = send_query(**conn, "SELECT now() FROM system.local")->wait();
  ASSERT_TRUE(answer.ok()) << answer.error().to_string();
  EXPECT_EQ(answer->opcode, Opcode::result);
  auto result = decode_result(ProtocolVersion::v5, as_bytes(answer->body));
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(std::holds_alternative<VoidResult>(*result));
  EXPECT_EQ((*conn)->in_flight(), 0U);
  close_and_wait(*conn);
  peer.join();

  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->options.version, kEnvelopeV5);  // requests carry 0x05, unframed before STARTUP's answer
  EXPECT_EQ(seen->startup.version, kEnvelopeV5);
  EXPECT_EQ(seen->startup_options["CQL_VERSION"], "3.0.0");
  EXPECT_EQ(seen->startup_options.count("COMPRESSION"), 0U);
  EXPECT_EQ(query.version, kEnvelopeV5);
  EXPECT_EQ(query.op(), Opcode::query);
  EXPECT_EQ(testing::query_text(query.body), "SELECT now() FROM system.local");
}

// Many requests in flight, answered in reverse order: each gets its own answer (by stream id).
TEST(AsyncConnectionTest, ManyInFlightAnsweredOutOfOrder) {
  constexpr int kRequests = 200;
  IoThread loop;
  std::set<std::int16_t> streams;
  FakePeer peer([&](FakePeer& p) {
    auto c = p.accept();
    if (!c || !serve_handshake(*c)) return;
    std::vector<PeerFrame> queries;
    while (queries.size() < kRequests) {
      auto q = c->read_frame();
      if (!q) return ADD_FAILURE() << "got " << queries.size() << " queries: " << c->last_error();
      streams.insert(q->stream);
      queries.push_back(std::move(*q));
    }
    // Reverse order, several answers per segment.
    std::string batch;
    for (auto it = queries.rbegin(); it != queries.rend(); ++it) {
      batch += c->envelope(it->stream, Opcode::result, peer_body::result_set_keyspace(testing::query_text(it->body)));
      if (batch.size() > 1000) {
        c->send_envelopes(batch);
        batch.clear();
      }
    }
    if (!batch.empty()) c->send_envelopes(batch);
    c->wait_closed();
  });
  auto conn = connect_sync(loop.io(), settings_for(peer));
  ASSERT_TRUE(conn.ok()) << conn.error().to_string();
  std::vector<std::shared_ptr<Catcher>> catchers;
  for (int i = 0; i < kRequests; ++i) catchers.push_back(send_query(**conn, "q" + std::to_string(i)));
  for (int i = 0; i < kRequests; ++i) {
    auto answer = catchers[static_cast<std::size_t>(i)]->wait();
    ASSERT_TRUE(answer.ok()) << i << ": " << answer.error().to_string();
    auto result = decode_result(ProtocolVersion::v5, as_bytes(answer->body));
    ASSERT_TRUE(result.ok());
    ASSERT_TRUE(std::holds_alternative<SetKeyspace>(*result));
    EXPECT_EQ(std::get<SetKeyspace>(*result).keyspace, "q" + std::to_string(i));
    EXPECT_EQ(catchers[static_cast<std::size_t>(i)]->calls(), 1);
  }
  EXPECT_EQ((*conn)->in_flight(), 0U);
  close_and_wait(*conn);
  peer.join();
  EXPECT_EQ(streams.size(), static_cast<std::size_t>(kRequests));  // distinct ids while in flight
}

// v5 with lz4 segments, and v4 with lz4 frames: requests and answers are compressed both ways.
TEST(AsyncConnectionTest, Lz4OnV5AndV4) {
  for (auto version : {ProtocolVersion::v5, ProtocolVersion::v4}) {
    SCOPED_TRACE(static_cast<int>(version));
    IoThread loop;
    std::string text(2000, 'x');  // compressible: v4 sends it compressed
    PeerFrame query;
    std::optional<testing::HandshakeSeen> seen;
    FakePeer peer([&](FakePeer& p) {
      auto c = p.accept();
      if (!c) return;
      seen = serve_handshake(*c, {.version = version});
      if (!seen) return;
      auto q = c->read_frame();
      if (!q) return ADD_FAILURE() << "no query: " << c->last_error();
      query = *q;
      if (version == ProtocolVersion::v4) {
        c->send_compressed_frame(q->stream, Opcode::result, peer_body::result_set_keyspace(std::string(500, 'k')));
      } else {
        c->send_frame(q->stream, Opcode::result, peer_body::result_set_keyspace(std::string(500, 'k')));
      }
      c->wait_closed();
    });
    auto s = settings_for(peer, version);
    s.compression = Compression::lz4;
    auto conn = connect_sync(loop.io(), s);
    ASSERT_TRUE(conn.ok()) << conn.error().to_string();
    auto answer = send_query(**conn, text)->wait();
    ASSERT_TRUE(answer.ok()) << answer.error().to_string();
    auto result = decode_result(version, as_bytes(answer->body));
    ASSERT_TRUE(result.ok());
    ASSERT_TRUE(std::holds_alternative<SetKeyspace>(*result));
    EXPECT_EQ(std::get<SetKeyspace>(*result).keyspace, std::string(500, 'k'));
    close_and_wait(*conn);
    peer.join();
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->startup_options["COMPRESSION"], "lz4");
    EXPECT_EQ(testing::query_text(query.body), text);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. v5 -> v4 fallback

TEST(AsyncConnectionTest, FallsBackToV4WhenServerAnswersOptionsInV4) {
  IoThread loop;
  std::uint8_t second_options_version = 0;
  FakePeer peer([&](FakePeer& p) {
    {
      auto c = p.accept();
      if (!c) return;
      auto options = c->read_frame();
      if (!options) return ADD_FAILURE() << c->last_error();
      EXPECT_EQ(options->version, kEnvelopeV5);
      c->set_response_version(kEnvelopeV4 | kEnvelopeResponseBit);
      c->send_frame(options->stream, Opcode::error,
                    peer_body::error(0x000A, "Invalid or unsupported protocol version (5); the lowest supported "
                                             "version is 3 and the greatest is 4"));
      c->close();
    }
    auto c = p.accept();
    if (!c) return;
    auto seen = serve_handshake(*c, {.version = ProtocolVersion::v4});
    if (!seen) return;
    second_options_version = seen->options.version;
    auto q = c->read_frame();
    if (!q) return ADD_FAILURE() << c->last_error();
    EXPECT_EQ(q->version, kEnvelopeV4);
    c->send_frame(q->stream, Opcode::result, peer_body::result_void());
    c->wait_closed();
  });
  auto conn = connect_sync(loop.io(), settings_for(peer));
  ASSERT_TRUE(conn.ok()) << conn.error().to_string();
  EXPECT_EQ((*conn)->version(), ProtocolVersion::v4);
  auto answer = send_query(**conn, "SELECT 1")->wait();
  ASSERT_TRUE(answer.ok()) << answer.error().to_string();
  EXPECT_EQ(answer->opcode, Opcode::result);
  close_and_wait(*conn);
  peer.join();
  EXPECT_EQ(peer.accepted(), 2);
  EXPECT_EQ(second_options_version, kEnvelopeV4);
}

// A v4-only client refused the same way does not loop: it fails.
TEST(AsyncConnectionTest, V4ClientAnsweredWithV3FailsCleanly) {
  IoThread loop;
  FakePeer peer([&](FakePeer& p) {
    auto c = p.accept();
    if (!c) return;
    auto options = c->read_frame();
    if (!options) return;
    c->set_response_version(0x83);
    c->send_frame(options->stream, Opcode::error, peer_body::error(0x000A, "Invalid or unsupported protocol version (4)"));
    c->close();
  });
  auto conn = connect_sync(loop.io(), settings_for(peer, ProtocolVersion::v4));
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.error().code(), Errc::unavailable);
  EXPECT_NE(conn.error().message().find("does not speak protocol v4"), std::string::npos) << conn.error().message();
  peer.join();
  EXPECT_EQ(peer.accepted(), 1);
}

// ---------------------------------------------------------------------------------------------
// 3. Hostile peers. Each: a request is outstanding, the peer misbehaves; the request fails
// cleanly, the connection closes (close handler called once), and allocations stay bounded.

struct HostileOutcome {
  Result<Response> answer = Error(Errc::closed, "unset");
  std::optional<Error> closed_with;
  bool open_after = true;
  int close_calls = 0;
  std::size_t largest_alloc = 0;
};

// Connects (v4 or v5), sends one query, lets `misbehave` answer it, and collects the outcome.
HostileOutcome run_hostile(ProtocolVersion version, const std::function<void(PeerConnection&, const PeerFrame&)>& misbehave) {
  HostileOutcome out;
  IoThread loop;
  FakePeer peer([&](FakePeer& p) {
    auto c = p.accept();
    if (!c || !serve_handshake(*c, {.version = version})) return;
    auto q = c->read_frame();
    if (!q) return ADD_FAILURE() << "no query: " << c->last_error();
    misbehave(*c, *q);
    c->wait_closed();
  });
  auto close = std::make_shared<CloseWatch>();
  auto conn = connect_sync(loop.io(), settings_for(peer, version), close);
  if (!conn.ok()) {
    ADD_FAILURE() << conn.error().to_string();
    return out;
  }
  {
    AllocWatch watch;
    auto catcher = send_query(**conn, "SELECT * FROM t");
    out.answer = catcher->wait();
    out.closed_with = close->wait();
    out.largest_alloc = watch.largest();
    EXPECT_EQ(catcher->calls(), 1);
  }
  out.open_after = (*conn)->is_open();
  out.close_calls = close->calls.load();
  // The connection refuses new requests once closed.
  EXPECT_FALSE((*conn)->send(query_frame(version, "SELECT 1"), Clock::now() + 1s, std::make_shared<Catcher>()));
  peer.join();
  return out;
}

void expect_clean_failure(const HostileOutcome& o, Errc close_code, std::size_t alloc_bound = kSmallBound) {
  ASSERT_FALSE(o.answer.ok()) << "the request got an answer";
  EXPECT_TRUE(o.answer.error().code() == Errc::io || o.answer.error().code() == Errc::protocol)
      << o.answer.error().to_string();
  ASSERT_TRUE(o.closed_with.has_value()) << "close handler not called";
  EXPECT_EQ(o.closed_with->code(), close_code) << o.closed_with->to_string();
  EXPECT_FALSE(o.open_after);
  EXPECT_EQ(o.close_calls, 1);
  EXPECT_LT(o.largest_alloc, alloc_bound);
}

std::string v4_header(std::int16_t stream, Opcode op, std::uint32_t length, std::uint8_t version = 0x84) {
  std::string out;
  ByteWriter w(out);
  w.u8(version);
  w.u8(0);
  w.i16(stream);
  w.u8(static_cast<std::uint8_t>(op));
  w.u32(length);
  return out;
}

TEST(AsyncConnectionHostileTest, V4FrameLengthOfTwoGiB) {
  auto o = run_hostile(ProtocolVersion::v4, [](PeerConnection& c, const PeerFrame& q) {
    c.send_raw(v4_header(q.stream, Opcode::result, 0x80000000U) + std::string(64, 'x'));
  });
  expect_clean_failure(o, Errc::protocol);
}

TEST(AsyncConnectionHostileTest, V4FrameLengthOf17MiB) {
  auto o = run_hostile(ProtocolVersion::v4, [](PeerConnection& c, const PeerFrame& q) {
    c.send_raw(v4_header(q.stream, Opcode::result, 17U * 1024U * 1024U) + std::string(64, 'x'));
  });
  expect_clean_failure(o, Errc::protocol);
}

// v5: an envelope inside a segment claiming 2 GiB is refused before its body is buffered.
TEST(AsyncConnectionHostileTest, V5EnvelopeLengthOfTwoGiB) {
  auto o = run_hostile(ProtocolVersion::v5, [](PeerConnection& c, const PeerFrame& q) {
    std::string header = v4_header(q.stream, Opcode::result, 0x80000000U, 0x85);
    std::string seg;
    ASSERT_TRUE(encode_segment(SegmentFormat::uncompressed, as_bytes(header + "abc"), false, seg).ok());
    c.send_raw(seg);
  });
  expect_clean_failure(o, Errc::protocol);
}

// The limit itself is accepted (16 MiB), the buffer grows to it at most; then the peer closes
// mid-frame.
TEST(AsyncConnectionHostileTest, V4FrameAtTheLimitThenPeerClosesMidFrame) {
  auto o = run_hostile(ProtocolVersion::v4, [](PeerConnection& c, const PeerFrame& q) {
    c.send_raw(v4_header(q.stream, Opcode::result, kMaxEnvelopeBody) + std::string(1000, 'x'));
    std::this_thread::sleep_for(20ms);
    c.close();
  });
  expect_clean_failure(o, Errc::io, kFrameLimitBound);
  EXPECT_LE(o.largest_alloc, kMaxEnvelopeBody + kEnvelopeHeaderSize + 64U * 1024U);
}

TEST(AsyncConnectionHostileTest, UnknownOpcode) {
  for (auto version : {ProtocolVersion::v4, ProtocolVersion::v5}) {
    SCOPED_TRACE(static_cast<int>(version));
    auto o = run_hostile(version, [](PeerConnection& c, const PeerFrame& q) {
      c.send_frame(q.stream, static_cast<Opcode>(0x42), peer_body::result_void());
    });
    expect_clean_failure(o, Errc::protocol);
  }
}

// A request opcode is not an answer either.
TEST(AsyncConnectionHostileTest, RequestOpcodeAsAnswer) {
  auto o = run_hostile(ProtocolVersion::v5, [](PeerConnection& c, const PeerFrame& q) {
    c.send_frame(q.stream, Opcode::query, testing::peer_body::result_void());
  });
  expect_clean_failure(o, Errc::protocol);
}

TEST(AsyncConnectionHostileTest, AnswerOnStreamWithoutRequest) {
  for (auto version : {ProtocolVersion::v4, ProtocolVersion::v5}) {
    SCOPED_TRACE(static_cast<int>(version));
    auto o = run_hostile(version, [](PeerConnection& c, const PeerFrame& q) {
      c.send_frame(static_cast<std::int16_t>(q.stream + 77), Opcode::result, peer_body::result_void());
    });
    expect_clean_failure(o, Errc::protocol);
  }
}

// A negative stream is only for events.
TEST(AsyncConnectionHostileTest, ResultOnNegativeStream) {
  auto o = run_hostile(ProtocolVersion::v5, [](PeerConnection& c, const PeerFrame&) {
    c.send_frame(-1, Opcode::result, peer_body::result_void());
  });
  expect_clean_failure(o, Errc::protocol);
}

TEST(AsyncConnectionHostileTest, V5SegmentWithBadHeaderCrc) {
  auto o = run_hostile(ProtocolVersion::v5, [](PeerConnection& c, const PeerFrame& q) {
    std::string seg;
    ASSERT_TRUE(encode_segment(SegmentFormat::uncompressed,
                               as_bytes(c.envelope(q.stream, Opcode::result, peer_body::result_void())), true, seg)
                    .ok());
    seg[3] = static_cast<char>(seg[3] ^ 0x01);  // a CRC24 byte
    c.send_raw(seg);
  });
  expect_clean_failure(o, Errc::protocol);
  if (o.closed_with) {
    EXPECT_NE(o.closed_with->message().find("CRC24 mismatch"), std::string::npos) << o.closed_with->message();
  }
}

TEST(AsyncConnectionHostileTest, V5SegmentWithBadPayloadCrc) {
  auto o = run_hostile(ProtocolVersion::v5, [](PeerConnection& c, const PeerFrame& q) {
    std::string seg;
    ASSERT_TRUE(encode_segment(SegmentFormat::uncompressed,
                               as_bytes(c.envelope(q.stream, Opcode::result, peer_body::result_void())), true, seg)
                    .ok());
    seg[kSegmentHeaderSize + 10] = static_cast<char>(seg[kSegmentHeaderSize + 10] ^ 0x40);  // payload byte
    c.send_raw(seg);
  });
  expect_clean_failure(o, Errc::protocol);
  if (o.closed_with) {
    EXPECT_NE(o.closed_with->message().find("CRC32 mismatch"), std::string::npos) << o.closed_with->message();
  }
}

// A v5 connection must not accept a raw (unsegmented) frame after STARTUP's answer.
TEST(AsyncConnectionHostileTest, V5RawFrameAfterStartup) {
  auto o = run_hostile(ProtocolVersion::v5, [](PeerConnection& c, const PeerFrame& q) {
    c.send_raw(c.envelope(q.stream, Opcode::result, peer_body::result_void()));
  });
  expect_clean_failure(o, Errc::protocol);
}

TEST(AsyncConnectionHostileTest, PeerClosesMidFrame) {
  for (auto version : {ProtocolVersion::v4, ProtocolVersion::v5}) {
    SCOPED_TRACE(static_cast<int>(version));
    auto o = run_hostile(version, [version](PeerConnection& c, const PeerFrame& q) {
      std::string bytes;
      std::string env = c.envelope(q.stream, Opcode::result, peer_body::result_set_keyspace(std::string(100, 'k')));
      if (version == ProtocolVersion::v5) {
        ASSERT_TRUE(encode_segments(SegmentFormat::uncompressed, as_bytes(env), bytes).ok());
      } else {
        bytes = env;
      }
      c.send_raw(bytes.substr(0, bytes.size() / 2));
      std::this_thread::sleep_for(10ms);
      c.close();
    });
    expect_clean_failure(o, Errc::io);
  }
}

// Huge counts in a RESULT Rows: the connection hands the body over; decoding it fails with
// Errc::protocol without allocating for the counts.
TEST(AsyncConnectionHostileTest, RowsWithHugeCountsFailToDecodeCleanly) {
  struct Case {
    const char* name;
    std::string body;
  };
  std::vector<Case> cases;
  {  // no metadata, 1 column, 2^31-1 rows, 8 bytes of cells
    std::string b;
    ByteWriter w(b);
    w.i32(2);           // Rows
    w.i32(0x0004);      // no_metadata
    w.i32(1);           // columns
    w.i32(0x7FFFFFFF);  // rows
    w.i32(4);
    w.i32(7);
    cases.push_back({"row count", b});
  }
  {  // no metadata, 65535 columns x 2^31-1 rows
    std::string b;
    ByteWriter w(b);
    w.i32(2);
    w.i32(0x0004);
    w.i32(65535);
    w.i32(0x7FFFFFFF);
    cases.push_back({"cells overflow", b});
  }
  {  // metadata claiming 65535 column specs in a few bytes
    std::string b;
    ByteWriter w(b);
    w.i32(2);
    w.i32(0x0001);  // global tables spec
    w.i32(65535);
    peer_body::string(b, "ks");
    peer_body::string(b, "t");
    peer_body::string(b, "c");
    w.u16(0x0009);  // int
    w.i32(0);
    cases.push_back({"column specs", b});
  }
  {  // 2^31 columns
    std::string b;
    ByteWriter w(b);
    w.i32(2);
    w.i32(0x0004);
    w.i32(0x7FFFFFFF);
    w.i32(1);
    cases.push_back({"column count", b});
  }
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    IoThread loop;
    FakePeer peer([&](FakePeer& p) {
      auto c = p.accept();
      if (!c || !serve_handshake(*c)) return;
      auto q = c->read_frame();
      if (!q) return;
      c->send_frame(q->stream, Opcode::result, test_case.body);
      c->wait_closed();
    });
    auto conn = connect_sync(loop.io(), settings_for(peer));
    ASSERT_TRUE(conn.ok()) << conn.error().to_string();
    AllocWatch watch;
    auto answer = send_query(**conn, "SELECT * FROM t")->wait();
    ASSERT_TRUE(answer.ok()) << answer.error().to_string();
    EXPECT_EQ(answer->opcode, Opcode::result);
    auto decoded = decode_result(ProtocolVersion::v5, as_bytes(answer->body));
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code(), Errc::protocol) << decoded.error().to_string();
    EXPECT_LT(watch.largest(), kSmallBound);
    EXPECT_TRUE((*conn)->is_open());  // a body the connection does not decode is not its concern
    close_and_wait(*conn);
    peer.join();
  }
}

// A list<int> cell claiming 2^31-1 elements: the Rows decode, the cell does not.
TEST(AsyncConnectionHostileTest, CollectionCellWithHugeCountFailsCleanly) {
  std::string body;
  {
    ByteWriter w(body);
    w.i32(2);
    w.i32(0x0001);
    w.i32(1);
    peer_body::string(body, "ks");
    peer_body::string(body, "t");
    peer_body::string(body, "l");
    w.u16(0x0020);  // list
    w.u16(0x0009);  // of int
    w.i32(1);       // one row
    w.i32(8);       // cell of 8 bytes
    w.i32(0x7FFFFFFF);
    w.i32(4);
  }
  IoThread loop;
  FakePeer peer([&](FakePeer& p) {
    auto c = p.accept();
    if (!c || !serve_handshake(*c)) return;
    auto q = c->read_frame();
    if (!q) return;
    c->send_frame(q->stream, Opcode::result, body);
    c->wait_closed();
  });
  auto conn = connect_sync(loop.io(), settings_for(peer));
  ASSERT_TRUE(conn.ok()) << conn.error().to_string();
  AllocWatch watch;
  auto answer = send_query(**conn, "SELECT l FROM t")->wait();
  ASSERT_TRUE(answer.ok()) << answer.error().to_string();
  auto decoded = decode_result(ProtocolVersion::v5, as_bytes(answer->body));
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  auto& rows = std::get<Rows>(*decoded);
  ASSERT_EQ(rows.row_count, 1U);
  auto cell = rows.cell(0, 0);
  ASSERT_FALSE(cell.ok());
  EXPECT_EQ(cell.error().code(), Errc::protocol) << cell.error().to_string();
  EXPECT_LT(watch.largest(), kSmallBound);
  close_and_wait(*conn);
  peer.join();
}

// ---------------------------------------------------------------------------------------------
// 4. Per-request deadlines

TEST(AsyncConnectionTest, TimeoutThenLateAnswerFreesTheStreamId) {
  IoThread loop;
  std::int16_t first_stream = -1, second_stream = -1;
  std::promise<void> timed_out;
  auto timed_out_future = timed_out.get_future();
  FakePeer peer([&](FakePeer& p) {
    auto c = p.accept();
    if (!c || !serve_handshake(*c)) return;
    auto q = c->read_frame();
    if (!q) return ADD_FAILURE() << c->last_error();
    first_stream = q->stream;
    // Hold the answer until the client gave up, then answer late, followed by an event that
    // tells the test the late answer went through the connection.
    if (timed_out_future.wait_for(3s) != std::future_status::ready) return ADD_FAILURE() << "no timeout";
    c->send_envelopes(c->envelope(q->stream, Opcode::result, peer_body::result_set_keyspace("late")) +
                      c->envelope(-1, Opcode::event, peer_body::status_event("UP")));
    auto q2 = c->read_frame();
    if (!q2) return ADD_FAILURE() << c->last_error();
    second_stream = q2->stream;
    c->send_frame(q2->stream, Opcode::result, peer_body::result_set_keyspace("second"));
    c->wait_closed();
  });
  std::promise<void> event_seen;
  auto conn = connect_sync(loop.io(), settings_for(peer), nullptr,
                           [&event_seen](const Event&) { event_seen.set_value(); });
  ASSERT_TRUE(conn.ok()) << conn.error().to_string();

  constexpr auto kDeadline = 300ms;
  auto sent_at = Clock::now();
  auto first = send_query(**conn, "SELECT slow", kDeadline);
  auto answer = first->wait();
  timed_out.set_value();
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code(), Errc::timeout) << answer.error().to_string();
  auto waited = first->answered_at() - sent_at;
  EXPECT_GE(waited, kDeadline);
  EXPECT_LT(waited, kDeadline + 200ms);
  EXPECT_EQ((*conn)->in_flight(), 0U);

  ASSERT_EQ(event_seen.get_future().wait_for(3s), std::future_status::ready);
  EXPECT_EQ(first->calls(), 1);  // the late answer is dropped
  EXPECT_TRUE((*conn)->is_open());

  auto second = send_query(**conn, "SELECT fast")->wait();
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  auto result = decode_result(ProtocolVersion::v5, as_bytes(second->body));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(std::get<SetKeyspace>(*result).keyspace, "second");
  close_and_wait(*conn);
  peer.join();
  // Ids are reused most recent first: the late answer put the first id back.
  EXPECT_EQ(second_stream, first_stream);
}

// An orphaned id (timed out, not answered yet) is not reused.
TEST(AsyncConnectionTest, OrphanedStreamIdIsNotReused) {
  IoThread loop;
  std::int16_t first_stream = -1, second_stream = -1;
  std::promise<void> timed_out;
  auto timed_out_future = timed_out.get_future();
  FakePeer peer([&](FakePeer& p) {
    auto c = p.accept();
    if (!c || !serve_handshake(*c)) return;
    auto q = c->read_frame();
    if (!q) return;
    first_stream = q->stream;
    auto q2 = c->read_frame(3000ms);
    if (!q2) return ADD_FAILURE() << c->last_error();
    second_stream = q2->stream;
    c->send_frame(q2->stream, Opcode::result, peer_body::result_void());
    c->wait_closed();
  });
  auto conn = connect_sync(loop.io(), settings_for(peer));
  ASSERT_TRUE(conn.ok()) << conn.error().to_string();
  auto first = send_query(**conn, "SELECT slow", 100ms)->wait();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code(), Errc::timeout);
  auto second = send_query(**conn, "SELECT fast")->wait();
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  close_and_wait(*conn);
  peer.join();
  EXPECT_NE(second_stream, first_stream);
}

// ---------------------------------------------------------------------------------------------
// 5. Heartbeats

TEST(AsyncConnectionTest, HeartbeatOnIdleConnectionThenDefunctWhenUnanswered) {
  IoThread loop;
  std::atomic<int> heartbeats{0};
  Clock::time_point first_beat;
  FakePeer peer([&](FakePeer& p) {
    auto c = p.accept();
    if (!c || !serve_handshake(*c)) return;
    auto beat = c->read_frame(2000ms);
    if (!beat) return ADD_FAILURE() << "no heartbeat: " << c->last_error();
    first_beat = Clock::now();
    EXPECT_EQ(beat->op(), Opcode::options);
    EXPECT_EQ(beat->version, kEnvelopeV5);
    ++heartbeats;
    c->send_frame(beat->stream, Opcode::supported, peer_body::supported());
    auto beat2 = c->read_frame(2000ms);  // this one is ignored
    if (!beat2) return ADD_FAILURE() << "no second heartbeat: " << c->last_error();
    EXPECT_EQ(beat2->op(), Opcode::options);
    ++heartbeats;
    EXPECT_TRUE(c->wait_closed(2000ms));
  });
  auto s = settings_for(peer);
  s.heartbeat_interval = 200ms;
  auto close = std::make_shared<CloseWatch>();
  auto ready_at = Clock::now();
  auto conn = connect_sync(loop.io(), s, close);
  ASSERT_TRUE(conn.ok()) << conn.error().to_string();
  auto why = close->wait(3000ms);
  auto closed_at = Clock::now();
  ASSERT_TRUE(why.has_value()) << "not closed as defunct";
  EXPECT_EQ(why->code(), Errc::timeout) << why->to_string();
  EXPECT_FALSE((*conn)->is_open());
  peer.join();
  EXPECT_EQ(heartbeats.load(), 2);
  // Beat at ~200 ms, answered; beat at ~400 ms, ignored; defunct at ~600 ms.
  EXPECT_GE(first_beat - ready_at, 150ms);
  EXPECT_LT(closed_at - ready_at, 1500ms);
}

// A connection with traffic sends no heartbeat.
TEST(AsyncConnectionTest, NoHeartbeatWhileBusy) {
  IoThread loop;
  std::atomic<int> options_seen{0};
  std::atomic<bool> stop{false};
  FakePeer peer([&](FakePeer& p) {
    auto c = p.accept();
    if (!c || !serve_handshake(*c)) return;
    while (!stop) {
      auto f = c->read_frame(500ms);
      if (!f) break;
      if (f->op() == Opcode::options) ++options_seen;
      c->send_frame(f->stream, f->op() == Opcode::options ? Opcode::supported : Opcode::result,
                    f->op() == Opcode::options ? peer_body::supported() : peer_body::result_void());
    }
  });
  auto s = settings_for(peer);
  s.heartbeat_interval = 200ms;
  auto conn = connect_sync(loop.io(), s);
  ASSERT_TRUE(conn.ok()) << conn.error().to_string();
  auto until = Clock::now() + 500ms;
  while (Clock::now() < until) {
    ASSERT_TRUE(send_query(**conn, "SELECT 1")->wait().ok());
    std::this_thread::sleep_for(50ms);
  }
  stop = true;
  EXPECT_TRUE((*conn)->is_open());
  close_and_wait(*conn);
  peer.join();
  EXPECT_EQ(options_seen.load(), 0);
}

// ---------------------------------------------------------------------------------------------
// 6. Authentication

TEST(AsyncConnectionTest, PasswordAuthentication) {
  IoThread loop;
  PeerFrame auth_response;
  FakePeer peer([&](FakePeer& p) {
    auto c = p.accept();
    if (!c || !serve_handshake(*c, {.authenticate = true})) return;
    auto f = c->read_frame();  // in a segment: v5 framing starts after STARTUP's answer
    if (!f) return ADD_FAILURE() << c->last_error();
    auth_response = *f;
    c->send_frame(f->stream, Opcode::auth_success, peer_body::auth_success());
    auto q = c->read_frame();
    if (!q) return ADD_FAILURE() << c->last_error();
    c->send_frame(q->stream, Opcode::result, peer_body::result_void());
    c->wait_closed();
  });
  auto s = settings_for(peer);
  s.credentials = Credentials{"user", "pass"};
  auto conn = connect_sync(loop.io(), s);
  ASSERT_TRUE(conn.ok()) << conn.error().to_string();
  EXPECT_TRUE(send_query(**conn, "SELECT 1")->wait().ok());
  close_and_wait(*conn);
  peer.join();
  EXPECT_EQ(auth_response.op(), Opcode::auth_response);
  EXPECT_EQ(auth_response.version, kEnvelopeV5);
  EXPECT_EQ(auth_response.body, std::string("\x00\x00\x00\x0a\x00user\x00pass", 14));
}

TEST(AsyncConnectionTest, AuthenticationRequiredWithoutCredentials) {
  IoThread loop;
  FakePeer peer([&](FakePeer& p) {
    auto c = p.accept();
    if (!c || !serve_handshake(*c, {.authenticate = true})) return;
    EXPECT_TRUE(c->wait_closed());
  });
  auto conn = connect_sync(loop.io(), settings_for(peer));
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.error().code(), Errc::invalid_argument);
  EXPECT_NE(conn.error().message().find("requires authentication"), std::string::npos) << conn.error().message();
  EXPECT_NE(conn.error().message().find("PasswordAuthenticator"), std::string::npos) << conn.error().message();
  peer.join();
}

TEST(AsyncConnectionTest, BadCredentialsErrorDoesNotShowThePassword) {
  IoThread loop;
  FakePeer peer([&](FakePeer& p) {
    auto c = p.accept();
    if (!c || !serve_handshake(*c, {.authenticate = true})) return;
    auto f = c->read_frame();
    if (!f) return;
    c->send_frame(f->stream, Opcode::error,
                  peer_body::error(0x0100, "Provided username user and/or password are incorrect"));
    EXPECT_TRUE(c->wait_closed());
  });
  auto s = settings_for(peer);
  s.credentials = Credentials{"user", "Sup3r-S3cret!"};
  auto conn = connect_sync(loop.io(), s);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.error().code(), Errc::server);
  EXPECT_EQ(conn.error().detail(), 0x0100);
  EXPECT_NE(conn.error().message().find("incorrect"), std::string::npos) << conn.error().message();
  EXPECT_EQ(conn.error().to_string().find("Sup3r-S3cret!"), std::string::npos) << conn.error().to_string();
  peer.join();
}

// ---------------------------------------------------------------------------------------------
// Connect failures

TEST(AsyncConnectionTest, ConnectTimesOutWhenPeerIsSilent) {
  IoThread loop;
  FakePeer peer([&](FakePeer& p) {
    auto c = p.accept();
    if (!c) return;
    c->wait_closed(2000ms);  // reads OPTIONS, never answers
  });
  auto s = settings_for(peer);
  s.connect_timeout = 300ms;
  auto start = Clock::now();
  auto conn = connect_sync(loop.io(), s);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.error().code(), Errc::timeout) << conn.error().to_string();
  auto waited = Clock::now() - start;
  EXPECT_GE(waited, 300ms);  // not before its deadline
  EXPECT_LT(waited, 300ms + 500ms);
  peer.join();
}

// A handshake slower than the loop's tick (50 ms per step here) is fine within connect_timeout.
TEST(AsyncConnectionTest, SlowHandshakeWithinConnectTimeout) {
  IoThread loop;
  FakePeer peer([&](FakePeer& p) {
    auto c = p.accept();
    if (!c) return;
    auto options = c->read_frame();
    if (!options) return ADD_FAILURE() << c->last_error();
    std::this_thread::sleep_for(120ms);
    c->send_frame(options->stream, Opcode::supported, peer_body::supported());
    auto startup = c->read_frame();
    if (!startup) return ADD_FAILURE() << c->last_error();
    std::this_thread::sleep_for(120ms);
    c->send_frame(startup->stream, Opcode::ready, "");
    c->wait_closed();
  });
  auto s = settings_for(peer);
  s.connect_timeout = 1500ms;
  auto conn = connect_sync(loop.io(), s);
  ASSERT_TRUE(conn.ok()) << conn.error().to_string();
  close_and_wait(*conn);
  peer.join();
}

TEST(AsyncConnectionTest, CloseFailsOutstandingRequestsWithIo) {
  IoThread loop;
  FakePeer peer([&](FakePeer& p) {
    auto c = p.accept();
    if (!c || !serve_handshake(*c)) return;
    c->read_frame();
    EXPECT_TRUE(c->wait_closed());
  });
  auto close = std::make_shared<CloseWatch>();
  auto conn = connect_sync(loop.io(), settings_for(peer), close);
  ASSERT_TRUE(conn.ok()) << conn.error().to_string();
  auto catcher = send_query(**conn, "SELECT 1");
  std::this_thread::sleep_for(20ms);
  (*conn)->close();
  auto answer = catcher->wait();
  ASSERT_FALSE(answer.ok());
  EXPECT_TRUE(answer.error().code() == Errc::io || answer.error().code() == Errc::unavailable)
      << answer.error().to_string();
  auto why = close->wait();
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->code(), Errc::closed);
  EXPECT_FALSE((*conn)->is_open());
  peer.join();
}

}  // namespace
}  // namespace sluice::cql

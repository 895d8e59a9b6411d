// AsyncConnection: one connection to one Cassandra node, driven by one event loop.
//
// The connection lives on one asio::io_context, run by one thread (an IoLoop); every handler runs
// there, so the connection's state needs no locks. send() and close() may be called from any
// thread: send() appends to a small locked queue and wakes the loop once per batch, and the loop
// writes everything queued in one send (write coalescing) and parses every whole frame a read
// brings (many frames per read).
//
// Life of a connection: TCP connect (with a deadline), TLS handshake if configured (with hostname
// verification), OPTIONS (also how the protocol version is negotiated: a server that does not
// speak v5 answers with a v4 error and the connection is retried at v4), STARTUP (with
// COMPRESSION=lz4 when asked for and supported), authentication (PasswordAuthenticator: SASL
// PLAIN), then optionally USE <keyspace> and REGISTER for events. With v5 every byte after the
// STARTUP answer travels in CRC-checked segments (protocol/segment.h); with v4 and lz4 each frame
// body is compressed.
//
// Requests carry a deadline. A request that passes it is answered with Errc::timeout at once, but
// its stream id is not reused until the late answer arrives (it would be taken for the answer to
// the next request on that id). Idle connections send OPTIONS as a heartbeat; one unanswered by
// the next beat marks the connection defunct and closes it. Closing fails every outstanding
// request with Errc::unavailable (not sent) or Errc::io (sent, outcome unknown).
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cql/protocol/messages.h"
#include "cql/protocol/segment.h"

namespace sluice::cql {

using Clock = std::chrono::steady_clock;

struct Credentials {
  std::string username;
  std::string password;  // never logged, never in an error message
};

enum class Compression { none, lz4 };

struct ConnectionSettings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9042;
  ProtocolVersion version = ProtocolVersion::v5;  // the highest to try; v5 falls back to v4
  Compression compression = Compression::none;
  std::optional<Credentials> credentials;
  // TLS when set. Hostname verification against tls_server_name (default: host) is on whenever
  // the context verifies peers (ssl::verify_peer).
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::string tls_server_name;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds heartbeat_interval{30000};  // zero: no heartbeats
  std::size_t max_in_flight = 2048;                      // 1..32000 requests outstanding
  std::string keyspace;                                  // USE it once connected, when not empty
  std::vector<std::string> register_events;              // REGISTER for these, when not empty
};

// An answer to a request: its opcode and body (decompressed, tracing/warnings left in place as
// the flags say).
struct Response {
  Opcode opcode = Opcode::error;
  std::uint8_t flags = 0;
  std::string body;
  std::vector<std::string> warnings;  // what the server warned about (batch too large, ...)
};

// What a request's owner implements to hear its answer. Called exactly once, on the loop thread,
// unless send() returned false.
class ResponseHandler {
 public:
  virtual ~ResponseHandler() = default;
  virtual void on_response(Result<Response> response) = 0;
};

// A ResponseHandler around a function: for one-off requests (handshake steps, heartbeats, the
// control thread's queries).
class CallbackHandler : public ResponseHandler {
 public:
  explicit CallbackHandler(std::function<void(Result<Response>)> fn) : fn_(std::move(fn)) {}
  void on_response(Result<Response> response) override { fn_(std::move(response)); }

 private:
  std::function<void(Result<Response>)> fn_;
};

class AsyncConnection : public std::enable_shared_from_this<AsyncConnection> {
 public:
  using ConnectHandler = std::function<void(Result<std::shared_ptr<AsyncConnection>>)>;
  using EventHandler = std::function<void(const Event&)>;
  using CloseHandler = std::function<void(const Error&)>;

  // Starts connecting; `done` runs on the loop thread with a ready connection or why not.
  static void connect(boost::asio::io_context& io, ConnectionSettings settings, ConnectHandler done);

  ~AsyncConnection();
  AsyncConnection(const AsyncConnection&) = delete;
  AsyncConnection& operator=(const AsyncConnection&) = delete;

  // Queues one request: `frame` is a whole envelope encoded for version() (any stream id: it is
  // overwritten). False, with no callback, when max_in_flight requests are outstanding or the
  // connection is closed. Thread-safe.
  bool send(std::string frame, Clock::time_point deadline, std::shared_ptr<ResponseHandler> handler);

  // Closes the connection (idempotent, thread-safe); outstanding requests fail.
  void close();

  // Set before the connection is used (right after connect's handler gets it).
  void set_event_handler(EventHandler handler) { on_event_ = std::move(handler); }
  void set_close_handler(CloseHandler handler) { on_close_ = std::move(handler); }

  ProtocolVersion version() const { return version_; }
  const ConnectionSettings& settings() const { return settings_; }
  std::string endpoint() const;  // "127.0.0.1:9042"
  bool is_open() const { return !closed_.load(std::memory_order_acquire); }
  // Requests queued or awaiting their answer.
  std::size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  boost::asio::io_context& io() { return io_; }

 private:
  struct Pending {
    std::string frame;
    Clock::time_point deadline;
    std::shared_ptr<ResponseHandler> handler;
  };
  struct Slot {
    std::shared_ptr<ResponseHandler> handler;  // null: free, or orphaned (timed out)
    Clock::time_point deadline;
    bool busy = false;
  };
  class Handshake;
  friend class Handshake;

  AsyncConnection(boost::asio::io_context& io, ConnectionSettings settings, ProtocolVersion version);

  // ---- loop thread ----
  void start_reading();
  void on_read(std::size_t n);
  Status parse_frames();
  Status dispatch(std::uint8_t flags, std::int16_t stream, std::uint8_t opcode, std::string body);
  void drain_queue();
  Status enqueue_frame(Pending pending);
  void flush();
  void on_tick();
  void fail(const Error& why);
  void after_startup_answer();  // v5: segments from here on; v4: compression

  template <class F>
  void with_stream(F&& f);

  boost::asio::io_context& io_;
  ConnectionSettings settings_;
  ProtocolVersion version_;
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  boost::asio::steady_timer tick_;

  // Requests handed over by other threads.
  std::mutex queue_mu_;
  std::vector<Pending> queue_;
  bool drain_posted_ = false;
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<bool> closed_{false};

  // Loop-thread state.
  std::vector<Slot> slots_;            // by stream id
  std::vector<std::int16_t> free_ids_;
  std::size_t orphans_ = 0;
  std::string envelopes_;  // v5: envelopes waiting to be cut into segments
  std::string out_;        // bytes waiting to be written
  std::string writing_;    // bytes being written
  bool write_in_flight_ = false;
  std::vector<char> in_;
  std::size_t in_begin_ = 0, in_end_ = 0;
  std::optional<SegmentDecoder> segments_;      // v5 after STARTUP
  std::optional<SegmentFormat> segment_format_;  // v5: how to cut segments
  bool compress_v4_ = false;       // v4 + lz4: compress what we send (after STARTUP)
  bool accept_compressed_ = false;  // v4 + lz4: what we receive may be compressed
  Clock::time_point last_activity_;
  Clock::time_point connect_deadline_;  // until ready: on_tick fails the connection past it
  bool heartbeat_outstanding_ = false;
  bool handshake_done_ = false;
  EventHandler on_event_;
  CloseHandler on_close_;
  std::unique_ptr<Handshake> handshake_;
};

}  // namespace sluice::cql

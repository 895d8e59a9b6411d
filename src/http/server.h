// A small HTTP/1.1 server (Boost.Beast underneath, not visible here): the admin endpoints now,
// the ingest gateway and the query API later.
//
//   http::Router router;
//   router.get("/metrics", ...);
//   auto server = http::Server::start({.address = "127.0.0.1", .port = 9100}, std::move(router));
//   if (!server.ok()) return server.error();
//   ... (*server)->port() ...
//   (*server)->stop();  // or let the destructor do it
//
// Threads: `threads` event-loop threads share one io_context; each connection is served on a
// strand, one request at a time (pipelined requests are answered in order). Handlers run on these
// threads, so they must be quick (render, enqueue, look up): a slow handler holds up every
// connection of its thread. With threads > 1, handlers of different connections run concurrently.
//
// Limits: a request whose header exceeds max_header_bytes answers 431, whose body exceeds
// max_body_bytes (by Content-Length, before the body is read, or while reading a chunked body)
// answers 413, and one that is not HTTP/1.0 or 1.1 answers 400; each then closes the connection. A
// request must arrive within read_timeout of the previous answer (or of the connect), else the
// connection is closed; so is one whose answer is not taken within write_timeout.
// Keep-alive follows the request (HTTP/1.1 default, `Connection: close`, HTTP/1.0 rules).
// `Expect: 100-continue` is answered before the body is read.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/result.h"
#include "http/router.h"

namespace sluice::http {

struct Limits {
  std::size_t max_header_bytes = 16 * 1024;  // request line and fields
  std::size_t max_body_bytes = 1024 * 1024;  // after chunked decoding
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port, see Server::port()
  int threads = 1;
  Limits limits;
  // stop() waits this long for answers in flight, then abandons them.
  std::chrono::milliseconds stop_timeout{5'000};
};

class Server {
 public:
  // Binds and listens (errors: invalid_argument for a bad address or option, io when the port
  // cannot be bound), then starts the threads.
  static Result<std::unique_ptr<Server>> start(ServerOptions options, Router router);

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();  // stop()

  // The bound port (the ephemeral one when options.port was 0) and address.
  std::uint16_t port() const;
  const std::string& address() const;

  // Graceful and idempotent: stops accepting, closes idle connections and those still reading a
  // request, lets handlers that are running finish and their answers be written (with
  // `Connection: close`), and joins the threads. After stop_timeout what is still in flight is
  // abandoned. Must not be called from a handler.
  void stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::http

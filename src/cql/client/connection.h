// Connection: one blocking TCP connection to one Cassandra node, protocol v4.
//
// Owned and used by one thread at a time (not thread-safe). Every call has a deadline; when it
// passes the connection is closed, since an answer may still be on its way and would be read
// as the answer to the next request. Server errors come back as Errc::server with the CQL error
// code as Error::detail() and the decoded fields in the message. A protocol or I/O error closes
// the connection: make a new one.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "cql/protocol/messages.h"

namespace sluice::cql {

struct ConnectOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9042;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{12000};
  // Credentials for PasswordAuthenticator (or any authenticator taking a SASL PLAIN token); empty
  // username: none. Never logged or put in an error message.
  std::string username, password;
};

class Connection {
 public:
  // Opens the socket and performs STARTUP, then, if the server demands it, authentication with
  // options.username/password. A server demanding credentials when none are configured is
  // Errc::unavailable; rejected credentials are Errc::server (BadCredentials).
  static Result<std::unique_ptr<Connection>> open(const ConnectOptions& options);
  // Opens the socket and asks OPTIONS only: the cheapest "is this a CQL server that answers".
  static Result<std::map<std::string, std::vector<std::string>>> probe(const ConnectOptions& options);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Result<ResultMessage> query(std::string_view cql, const QueryParams& params = {});
  Result<Prepared> prepare(std::string_view cql);
  Result<ResultMessage> execute(const Prepared& prepared, const QueryParams& params);

  // Executes `prepared` once per element of `params`, keeping up to `max_in_flight` (1..32768)
  // requests outstanding. Results come back in the order of `params`. A server error fails that
  // element only; an I/O or protocol error fails it and every element not yet answered.
  std::vector<Result<ResultMessage>> execute_pipelined(const Prepared& prepared,
                                                       const std::vector<QueryParams>& params,
                                                       std::size_t max_in_flight = 256);

  const ConnectOptions& options() const { return options_; }
  bool is_open() const { return fd_ >= 0; }

 private:
  struct Response {
    FrameHeader header;
    std::string body;
  };
  using Deadline = std::chrono::steady_clock::time_point;

  Connection(int fd, ConnectOptions options) : fd_(fd), options_(std::move(options)) {}
  static Result<int> connect_socket(const ConnectOptions& options);

  Deadline deadline() const { return std::chrono::steady_clock::now() + options_.request_timeout; }
  Status send_all(std::string_view bytes, Deadline deadline);
  // Reads at least one more whole frame into ready_ (more if the socket has them).
  Status read_frames(Deadline deadline);
  Result<Response> round_trip(std::string& request, Deadline deadline);
  Error fail(Error error);  // closes the connection, returns the error
  // Answers an AUTHENTICATE (its body given) with the configured credentials until AUTH_SUCCESS.
  Status authenticate(std::string_view authenticate_body);

  int fd_ = -1;
  ConnectOptions options_;
  std::string inbuf_;
  std::size_t inbuf_pos_ = 0;
  std::vector<Response> ready_;
};

// Turns an ERROR or unexpected response into an Error; RESULT bodies into a ResultMessage.
Result<ResultMessage> interpret_response(const FrameHeader& header, std::string_view body);

}  // namespace sluice::cql

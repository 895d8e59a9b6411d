// Result<T> and Error: how expected failures travel through sluice.
//
// A function that can fail for reasons outside the program (I/O, the network, a server's answer,
// user input) returns Result<T>. Exceptions are kept for start-up problems that end the process.
// Error carries a broad code, for callers that decide what to do (retry, give up, report), and a
// message written for a person. Modules that need more (the CQL server's error fields, say) carry
// their own typed detail next to it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "base/check.h"

namespace sluice {

enum class Errc {
  invalid_argument,  // the caller's input is wrong; retrying will not help
  io,                // a system call failed (socket, file); may help to retry
  timeout,           // no answer in time; the outcome may be unknown
  protocol,          // the peer sent bytes that break the protocol; drop the connection
  server,            // the server answered with an error (see the module's detail)
  unavailable,       // nothing to talk to right now (no connection, not started)
  not_found,         // a thing that was asked for does not exist
  closed,            // the object was stopped or closed
};

std::string_view errc_name(Errc code);

// Typed detail a module attaches to an Error (cql: the server error with its fields). Modules
// derive from it and read it back with Error::payload_as<T>().
struct ErrorPayload {
  virtual ~ErrorPayload() = default;
};

class Error {
 public:
  Error(Errc code, std::string message, int detail = 0, std::shared_ptr<const ErrorPayload> payload = nullptr)
      : code_(code), message_(std::move(message)), detail_(detail), payload_(std::move(payload)) {}

  Errc code() const { return code_; }
  const std::string& message() const { return message_; }
  // A module-specific code refining `code` (for Errc::server from cql: the CQL error code).
  int detail() const { return detail_; }
  // "timeout: no answer from 127.0.0.1:9042 within 5000 ms"
  std::string to_string() const;
  const std::shared_ptr<const ErrorPayload>& payload() const { return payload_; }
  // The module's typed detail, or null when there is none or it is of another type.
  template <class T>
  const T* payload_as() const {
    return dynamic_cast<const T*>(payload_.get());
  }

 private:
  Errc code_;
  std::string message_;
  int detail_ = 0;
  std::shared_ptr<const ErrorPayload> payload_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    SLUICE_CHECK(ok(), "value() on an error Result");
    return std::get<0>(v_);
  }
  const T& value() const& {
    SLUICE_CHECK(ok(), "value() on an error Result");
    return std::get<0>(v_);
  }
  T&& value() && {
    SLUICE_CHECK(ok(), "value() on an error Result");
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    SLUICE_CHECK(!ok(), "error() on a value Result");
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    SLUICE_CHECK(!ok_, "error() on a value Result");
    return error_;
  }

 private:
  Error error_{Errc::invalid_argument, {}};
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace sluice

// Propagates an error Result from the enclosing function.
#define SLUICE_TRY(expr)                        \
  do {                                          \
    auto&& sluice_try_result_ = (expr);         \
    if (!sluice_try_result_.ok()) {             \
      return sluice_try_result_.error();        \
    }                                           \
  } while (false)

// The session's decisions, as pure functions: which hosts a request tries, in which order
// (load balancing), and what to do after a failed attempt (retries). Kept apart from the I/O so
// that each rule has a unit test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cql/protocol/messages.h"

namespace sluice::cql {

// A server ERROR carried inside an Error (Errc::server, detail = the CQL error code).
struct ServerErrorPayload : ErrorPayload {
  explicit ServerErrorPayload(ServerError e) : error(std::move(e)) {}
  ServerError error;
};

// Error(Errc::server, "<context>: <error with its fields>", code, payload).
Error make_server_error(ServerError error, std::string_view context);
// The server error an Error carries, or null.
const ServerError* server_error_of(const Error& error);

// ---- load balancing ----

struct PlanHost {
  std::string_view datacenter;
  bool up = true;
};

// The hosts to try for one request, best first: the partition's replicas in the local datacenter
// (token-aware), rotated by `rotation` so that load spreads over them, then every other up host
// of the local datacenter, round-robin from `rotation`; then, if `use_remote_dcs`, the up hosts
// of other datacenters. Hosts that are down are left out. `replicas` index into `hosts`; an empty
// `local_dc` makes every datacenter local.
std::vector<std::uint32_t> make_query_plan(std::span<const PlanHost> hosts, std::span<const std::uint32_t> replicas,
                                           std::string_view local_dc, std::size_t rotation, bool use_remote_dcs);

// ---- retries ----

enum class RetryAction {
  rethrow,     // give the error to the caller
  retry_same,  // try the same host again
  retry_next,  // try the next host of the plan
};

struct RetryContext {
  bool idempotent = false;  // the statement may be applied twice without harm
  bool conditional = false;  // a lightweight transaction (IF ..., serial consistency)
  bool counter = false;      // a counter update or counter batch
  int retries = 0;           // retries already made for this request
};

// As the reference drivers decide, and stricter where the effect could double:
//  - not sent (Errc::unavailable from the client: no connection, connection full, closed before
//    writing): next host, always;
//  - client-side timeout, lost connection after sending, protocol error: next host only if
//    idempotent (the first attempt may have been applied);
//  - Unavailable: next host, once (nothing was applied);
//  - ReadTimeout: same host, once, if idempotent, enough replicas answered and only the data was
//    missing;
//  - WriteTimeout: same host, once, only for the BATCH_LOG write type and an idempotent batch;
//  - Overloaded, ServerError, Truncate: next host if idempotent; IsBootstrapping: next host;
//  - conditional (LWT) and counter statements are never retried after they may have been
//    applied, whatever their idempotent flag says;
//  - everything else (syntax, invalid, unauthorized, failures, ...) goes to the caller.
// Unprepared is not a retry decision: the session re-prepares and resends.
RetryAction decide_retry(const Error& error, const RetryContext& context);

}  // namespace sluice::cql

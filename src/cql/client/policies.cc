#include "cql/client/policies.h"

#include <algorithm>
#include <fmt/format.h>

namespace sluice::cql {

Error make_server_error(ServerError error, std::string_view context) {
  auto code = static_cast<int>(error.code);
  std::string message = context.empty() ? error.to_string() : fmt::format("{}: {}", context, error.to_string());
  return Error(Errc::server, std::move(message), code, std::make_shared<ServerErrorPayload>(std::move(error)));
}

const ServerError* server_error_of(const Error& error) {
  const auto* payload = error.payload_as<ServerErrorPayload>();
  return payload == nullptr ? nullptr : &payload->error;
}

std::vector<std::uint32_t> make_query_plan(std::span<const PlanHost> hosts, std::span<const std::uint32_t> replicas,
                                           std::string_view local_dc, std::size_t rotation, bool use_remote_dcs) {
  std::vector<std::uint32_t> plan;
  plan.reserve(hosts.size());
  auto is_local = [&](std::uint32_t i) { return local_dc.empty() || hosts[i].datacenter == local_dc; };
  auto in_plan = [&](std::uint32_t i) { return std::find(plan.begin(), plan.end(), i) != plan.end(); };

  for (std::size_t k = 0; k < replicas.size(); ++k) {
    std::uint32_t i = replicas[(k + rotation) % replicas.size()];
    if (i < hosts.size() && hosts[i].up && is_local(i) && !in_plan(i)) plan.push_back(i);
  }
  std::size_t n = hosts.size();
  for (std::size_t k = 0; k < n; ++k) {
    auto i = static_cast<std::uint32_t>((k + rotation) % n);
    if (hosts[i].up && is_local(i) && !in_plan(i)) plan.push_back(i);
  }
  if (use_remote_dcs && !local_dc.empty()) {
    for (std::size_t k = 0; k < n; ++k) {
      auto i = static_cast<std::uint32_t>((k + rotation) % n);
      if (hosts[i].up && !is_local(i)) plan.push_back(i);
    }
  }
  return plan;
}

RetryAction decide_retry(const Error& error, const RetryContext& c) {
  // Whether applying the statement twice is harmless: never for LWT or counters.
  bool may_repeat = c.idempotent && !c.conditional && !c.counter;
  switch (error.code()) {
    case Errc::timeout:
    case Errc::io:
    case Errc::protocol:
      return may_repeat ? RetryAction::retry_next : RetryAction::rethrow;
    case Errc::unavailable:
      // The connection could not take it (closed, full): it was not sent.
      return RetryAction::retry_next;
    case Errc::server:
      break;
    default:
      return RetryAction::rethrow;
  }
  const ServerError* server = server_error_of(error);
  if (server == nullptr) return RetryAction::rethrow;
  switch (server->code) {
    case ServerErrorCode::unavailable:
      return c.retries == 0 ? RetryAction::retry_next : RetryAction::rethrow;
    case ServerErrorCode::read_timeout:
      return may_repeat && c.retries == 0 && server->alive_or_received >= server->required && !server->data_present
                 ? RetryAction::retry_same
                 : RetryAction::rethrow;
    case ServerErrorCode::write_timeout:
      return may_repeat && c.retries == 0 && server->write_type == "BATCH_LOG" ? RetryAction::retry_same
                                                                                : RetryAction::rethrow;
    case ServerErrorCode::is_bootstrapping:
      return RetryAction::retry_next;
    case ServerErrorCode::overloaded:
    case ServerErrorCode::server_error:
    case ServerErrorCode::truncate_error:
      return may_repeat ? RetryAction::retry_next : RetryAction::rethrow;
    default:
      return RetryAction::rethrow;
  }
}

}  // namespace sluice::cql

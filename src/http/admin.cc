#include "http/admin.h"

#include <utility>

namespace sluice::http {
namespace {

Response probe_response(const ProbeFn& probe) {
  Probe result = probe ? probe() : Probe{};
  std::string body = result.ok ? "ok\n" : "";
  body += result.detail;
  if (!result.detail.empty() && !result.detail.ends_with('\n')) body += '\n';
  Response response = Response::text(result.ok ? 200 : 503, std::move(body));
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

}  // namespace

void AdminEndpoints::add_to(Router& router) const {
  const metrics::Registry* registry_ptr = &registry;
  router.get("/metrics", [registry_ptr](const Request&) {
    Response response;
    response.content_type = kMetricsContentType;
    response.body = registry_ptr->render();
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
  });
  router.get("/health", [probe = health](const Request&) { return probe_response(probe); });
  router.get("/ready", [probe = ready](const Request&) { return probe_response(probe); });
}

}  // namespace sluice::http

// The admin endpoints every sluice process serves: GET /metrics (Prometheus text 0.0.4),
// GET /health (the process works) and GET /ready (it can take traffic: connected, assigned).
//
//   http::Router router;
//   http::AdminEndpoints{registry, [] { return http::Probe{true, ""}; }, [&] { return pipeline.readiness(); }}
//       .add_to(router);
//
// /health and /ready answer 200 "ok\n" followed by the detail, or 503 with the detail. The
// callbacks and the registry's render run on a server thread: keep them quick. The registry must
// outlive the server.
#pragma once

#include <functional>
#include <string>

#include "http/router.h"
#include "metrics/registry.h"

namespace sluice::http {

struct Probe {
  bool ok = true;
  std::string detail;  // for a person: what is wrong, or what is fine
};

using ProbeFn = std::function<Probe()>;

struct AdminEndpoints {
  const metrics::Registry& registry;
  ProbeFn health;  // empty: always ok
  ProbeFn ready;   // empty: always ok

  // Routes GET (and HEAD) /metrics, /health and /ready on `router`.
  void add_to(Router& router) const;
};

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace sluice::http

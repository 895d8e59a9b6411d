#include "sink/connections.h"

#include <boost/asio/ssl/context.hpp>
#include <fmt/format.h>

namespace sluice::sink {

Result<kafka::ClientSettings> kafka_settings(const config::Pipeline& pipeline) {
  const auto& k = pipeline.kafka;
  kafka::ClientSettings s;
  s.bootstrap_servers = k.bootstrap_servers;
  if (k.tls || k.sasl) {
    s.properties["security.protocol"] = k.sasl ? (k.tls ? "SASL_SSL" : "SASL_PLAINTEXT") : "SSL";
  }
  if (k.tls) {
    if (!k.tls->ca_file.empty()) s.properties["ssl.ca.location"] = k.tls->ca_file;
    if (!k.tls->cert_file.empty()) s.properties["ssl.certificate.location"] = k.tls->cert_file;
    if (!k.tls->key_file.empty()) s.properties["ssl.key.location"] = k.tls->key_file;
  }
  if (k.sasl) {
    auto password = k.sasl->password.resolve();
    if (!password.ok()) return Error(Errc::invalid_argument, fmt::format("kafka.sasl: {}", password.error().message()));
    s.properties["sasl.mechanisms"] = k.sasl->mechanism;
    s.properties["sasl.username"] = k.sasl->username;
    s.properties["sasl.password"] = *password;
  }
  for (const auto& [key, value] : k.properties) s.properties[key] = value;
  return s;
}

Result<cql::SessionOptions> session_options(const config::Pipeline& pipeline) {
  const auto& c = pipeline.cassandra;
  cql::SessionOptions o;
  o.contact_points = c.contact_points;
  o.port = c.port;
  o.local_datacenter = c.local_datacenter;
  o.compression = c.lz4 ? cql::Compression::lz4 : cql::Compression::none;
  o.io_threads = c.io_threads;
  o.connections_per_host = c.connections_per_host;
  o.request_timeout = std::chrono::milliseconds(pipeline.write.request_timeout_ms);
  if (!c.username.empty()) {
    auto password = c.password.resolve();
    if (!password.ok()) return Error(Errc::invalid_argument, fmt::format("cassandra: {}", password.error().message()));
    o.credentials = cql::Credentials{c.username, *password};
  }
  if (c.tls) {
    namespace ssl = boost::asio::ssl;
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    boost::system::error_code ec;
    ctx->set_verify_mode(ssl::verify_peer);
    ctx->load_verify_file(c.tls->ca_file, ec);
    if (ec) return Error(Errc::invalid_argument, fmt::format("cassandra.tls.ca_file {}: {}", c.tls->ca_file, ec.message()));
    if (!c.tls->cert_file.empty()) {
      ctx->use_certificate_chain_file(c.tls->cert_file, ec);
      if (ec) return Error(Errc::invalid_argument, fmt::format("cassandra.tls.cert_file {}: {}", c.tls->cert_file, ec.message()));
      ctx->use_private_key_file(c.tls->key_file, ssl::context::pem, ec);
      if (ec) return Error(Errc::invalid_argument, fmt::format("cassandra.tls.key_file {}: {}", c.tls->key_file, ec.message()));
    }
    o.tls = std::move(ctx);
  }
  return o;
}

}  // namespace sluice::sink

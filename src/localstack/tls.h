// TLS material of a local stack (`sluice local up --tls`), made with OpenSSL's C API.
//
// Under <home>/tls/: a CA of the stack's own (ca.pem, which clients trust, and ca.key), and for
// each Cassandra node a server certificate signed by it, subjectAltName IP:<node address> and
// DNS:localhost, in a PKCS12 keystore for Cassandra (<node>.p12; <node>.pem holds the same
// certificate, for people and `openssl x509`). Made once: what is there and still fits (opens,
// signed by this CA, names the address, not expired) is reused, so clients keep trusting the same
// ca.pem across restarts; what does not fit is made again.
//
// DEV ONLY. The keystore password is fixed (kDevKeystorePassword), written into each node's
// cassandra.yaml and protects nothing; ca.key is unencrypted (mode 0600). For local test stacks,
// never for anything else. The password is never put into a message or a log line.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace sluice::localstack {

inline constexpr std::string_view kDevKeystorePassword = "sluice-local-dev-only";

std::string tls_dir(const std::string& home);                                  // <home>/tls
std::string ca_cert_file(const std::string& home);                             // <home>/tls/ca.pem
std::string keystore_file(const std::string& home, const std::string& node);  // <home>/tls/<node>.p12

struct TlsMade {
  bool new_ca = false;        // the CA was made now (clients must trust the new ca.pem)
  bool new_keystore = false;  // the node's keystore was made now
};

// Makes the CA unless a usable one is there, then the node's keystore unless a usable one is
// there. `address` is the node's (an IP address, or else a DNS name).
Result<TlsMade> ensure_node_tls(const std::string& home, const std::string& node, const std::string& address);

// A new self-signed CA certificate (PEM), with the same subject as the stacks' CAs, that signed
// nothing: what a client that must refuse the stack's servers can trust instead.
Result<std::string> unrelated_ca_pem();

}  // namespace sluice::localstack

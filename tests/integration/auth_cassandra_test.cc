// Why: production clusters ask for a login, and many for TLS. Against a real Cassandra with
// PasswordAuthenticator (the auth_cassandra fixture): the right password gets an answer, a wrong
// one is refused with a message that does not repeat the password, and none at all says that a
// login is required. The same node speaks TLS (optional) with a certificate from the stack's own
// CA: a client that trusts that CA gets a session over TLS (the server says so), with or without
// lz4; a name the certificate does not carry, or a CA that did not sign it, is refused.
#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <fmt/format.h>
#include <future>
#include <thread>

#include "cql/client/async_connection.h"
#include "cql/client/connection.h"
#include "cql/client/session.h"
#include "support/stack.h"

namespace sluice {
namespace {

TEST(AuthCassandra, RightPasswordLogsInAndQueries) {
  SLUICE_REQUIRE_AUTH_CASSANDRA();
  auto conn = cql::Connection::open(testing::auth_cassandra_options());
  ASSERT_TRUE(conn.ok()) << conn.error().to_string();
  auto r = (*conn)->query("SELECT release_version FROM system.local");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  auto& rows = std::get<cql::Rows>(*r);
  ASSERT_EQ(rows.row_count, 1U);
  EXPECT_EQ(std::get<std::string>(*rows.cell(0, 0)).substr(0, 2), "5.");
}

TEST(AuthCassandra, WrongPasswordIsRefusedWithoutEchoingIt) {
  SLUICE_REQUIRE_AUTH_CASSANDRA();
  auto options = testing::auth_cassandra_options();
  options.password = "not-the-Pa55word-xyzzy";
  auto conn = cql::Connection::open(options);
  ASSERT_FALSE(conn.ok());
  const std::string text = conn.error().to_string();
  EXPECT_EQ(conn.error().code(), Errc::server) << text;
  EXPECT_NE(text.find("cassandra"), std::string::npos) << "should name the user: " << text;
  EXPECT_EQ(text.find(options.password), std::string::npos) << text;
  EXPECT_EQ(text.find("xyzzy"), std::string::npos) << text;
}

TEST(AuthCassandra, NoCredentialsSaysALoginIsRequired) {
  SLUICE_REQUIRE_AUTH_CASSANDRA();
  auto options = testing::auth_cassandra_options();
  options.username.clear();
  options.password.clear();
  auto conn = cql::Connection::open(options);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.error().code(), Errc::unavailable) << conn.error().to_string();
  EXPECT_NE(conn.error().message().find("requires authentication"), std::string::npos) << conn.error().to_string();
}

// The Session logs every connection in (control and pool), on v5 with segments after the login.
TEST(AuthCassandra, SessionLogsInEveryConnection) {
  SLUICE_REQUIRE_AUTH_CASSANDRA();
  auto options = testing::auth_cassandra_options();
  cql::SessionOptions so;
  so.contact_points = {options.host};
  so.port = options.port;
  so.credentials = cql::Credentials{options.username, options.password};
  so.connections_per_host = 2;
  auto session = cql::Session::connect(so);
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  EXPECT_EQ((*session)->protocol_version(), cql::ProtocolVersion::v5);
  auto r = (*session)->execute(cql::Statement("SELECT role FROM system_auth.roles WHERE role = ?", {std::string("cassandra")}));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->size(), 1U);
  // connect() returns with the first ready connection; the pool fills up behind it.
  for (int i = 0; i < 100 && (*session)->hosts().at(0).open_connections < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ((*session)->hosts().at(0).open_connections, 2U);

  so.credentials->password = "wrong-Pa55-xyzzy";
  auto refused = cql::Session::connect(so);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().to_string().find("xyzzy"), std::string::npos) << refused.error().to_string();
  so.credentials.reset();
  auto anonymous = cql::Session::connect(so);
  ASSERT_FALSE(anonymous.ok());
  EXPECT_NE(anonymous.error().message().find("requires authentication"), std::string::npos) << anonymous.error().message();
}


// ---- TLS ----

namespace ssl = boost::asio::ssl;
using namespace std::chrono_literals;

// A client context as an application would make it: verify the peer against `ca_file`.
std::shared_ptr<ssl::context> trusting_file(const std::string& ca_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_verify_mode(ssl::verify_peer);
  ctx->load_verify_file(ca_file);
  return ctx;
}

#define SLUICE_REQUIRE_AUTH_CASSANDRA_TLS()                                                             \
  SLUICE_REQUIRE_AUTH_CASSANDRA();                                                                      \
  ASSERT_TRUE(std::filesystem::exists(testing::auth_cassandra_ca_file()))                               \
      << "the auth_cassandra stack has no CA file at " << testing::auth_cassandra_ca_file()             \
      << " (started without --tls? tests/support/CMakeLists.txt passes it)"

cql::SessionOptions session_options(const std::string& user, const std::string& password,
                                    std::shared_ptr<ssl::context> tls) {
  auto options = testing::auth_cassandra_options();
  cql::SessionOptions so;
  so.contact_points = {options.host};
  so.port = options.port;
  so.credentials = cql::Credentials{user, password};
  so.tls = std::move(tls);
  so.request_timeout = 30s;  // DDL on a busy 2-core machine
  so.connect_timeout = 10s;
  return so;
}

// A login role of its own (no grants beyond `grants`), so that its connections can be picked out
// of system_views.clients. Made and dropped over a plaintext superuser connection.
class TestRole {
 public:
  explicit TestRole(std::vector<std::string> grants = {})
      : name_(testing::unique_name("tls_role")), password_("Tls-" + testing::unique_name("pw")) {
    auto conn = cql::Connection::open(testing::auth_cassandra_options());
    if (!conn.ok()) throw std::runtime_error("TestRole: " + conn.error().to_string());
    conn_ = std::move(conn).value();
    run(fmt::format("CREATE ROLE {} WITH PASSWORD = '{}' AND LOGIN = true", name_, password_));
    for (const auto& g : grants) run(fmt::format("GRANT {} TO {}", g, name_));
  }
  ~TestRole() {
    if (conn_ && conn_->is_open()) (void)conn_->query("DROP ROLE IF EXISTS " + name_);
  }
  TestRole(const TestRole&) = delete;
  TestRole& operator=(const TestRole&) = delete;
  const std::string& name() const { return name_; }
  const std::string& password() const { return password_; }
  void run(const std::string& cql) {
    auto r = conn_->query(cql);
    if (!r.ok()) throw std::runtime_error("TestRole: " + cql + ": " + r.error().to_string());
  }

 private:
  std::string name_, password_;
  std::unique_ptr<cql::Connection> conn_;
};

// One client connection as the server sees it (system_views.clients, Cassandra 5.0).
struct ServerSideClient {
  int port = 0;
  bool ssl_enabled = false;
  std::string ssl_protocol;  // "TLSv1.3"; empty without TLS
  std::string ssl_cipher_suite;
  std::string compression;  // the STARTUP option COMPRESSION; empty: none
  int protocol_version = 0;
};

// The server's view of every connection logged in as `user`, read by a plaintext superuser
// session (the virtual table is the node's own).
std::vector<ServerSideClient> clients_of(const std::string& user) {
  auto options = testing::auth_cassandra_options();
  auto observer = cql::Session::connect(session_options(options.username, options.password, nullptr));
  if (!observer.ok()) throw std::runtime_error("observer: " + observer.error().to_string());
  auto rows = (*observer)->execute(
      cql::Statement("SELECT * FROM system_views.clients").set_consistency(cql::Consistency::one));
  if (!rows.ok()) throw std::runtime_error("system_views.clients: " + rows.error().to_string());
  std::vector<ServerSideClient> out;
  for (auto row : *rows) {
    auto name = row.get<std::string>("username");
    if (!name.ok() || *name != user) continue;
    ServerSideClient c;
    c.port = row.get<std::int32_t>("port").value();
    c.ssl_enabled = row.get<bool>("ssl_enabled").value();
    if (auto p = row.get<std::string>("ssl_protocol"); p.ok()) c.ssl_protocol = *p;
    if (auto p = row.get<std::string>("ssl_cipher_suite"); p.ok()) c.ssl_cipher_suite = *p;
    if (auto v = row.get<std::int32_t>("protocol_version"); v.ok()) c.protocol_version = *v;
    if (auto m = row.get<cql::Map>("client_options"); m.ok()) {
      for (const auto& [k, v] : m->entries) {
        if (std::get<std::string>(k) == "COMPRESSION") c.compression = std::get<std::string>(v);
      }
    }
    out.push_back(c);
  }
  return out;
}

// With the stack's CA the session connects over TLS on v5, logs in and answers, and the server
// lists every connection of it as TLS. The same role over plaintext shows up as not TLS: the
// check tells the two apart.
TEST(AuthCassandraTls, SessionOverTlsWithTheStacksCaIsTlsOnTheServer) {
  SLUICE_REQUIRE_AUTH_CASSANDRA_TLS();
  TestRole role;
  auto so = session_options(role.name(), role.password(), trusting_file(testing::auth_cassandra_ca_file()));
  so.connections_per_host = 2;
  auto session = cql::Session::connect(so);
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  EXPECT_EQ((*session)->protocol_version(), cql::ProtocolVersion::v5);
  auto r = (*session)->execute(cql::Statement("SELECT release_version FROM system.local"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ(r->row(0).get<std::string>(0).value().substr(0, 2), "5.");
  for (int i = 0; i < 100 && (*session)->hosts().at(0).open_connections < 2; ++i) std::this_thread::sleep_for(50ms);

  auto tls_clients = clients_of(role.name());
  // The control connection and the pool's two.
  ASSERT_EQ(tls_clients.size(), 3U);
  for (const auto& c : tls_clients) {
    EXPECT_TRUE(c.ssl_enabled) << "port " << c.port;
    EXPECT_EQ(c.ssl_protocol.substr(0, 5), "TLSv1") << "port " << c.port;
    EXPECT_FALSE(c.ssl_cipher_suite.empty()) << "port " << c.port;
    EXPECT_EQ(c.protocol_version, 5) << "port " << c.port;
  }

  auto options = testing::auth_cassandra_options();
  options.username = role.name();
  options.password = role.password();
  auto plain = cql::Connection::open(options);
  ASSERT_TRUE(plain.ok()) << plain.error().to_string();
  int tls = 0, plaintext = 0;
  for (const auto& c : clients_of(role.name())) {
    (c.ssl_enabled ? tls : plaintext) += 1;
    if (!c.ssl_enabled) {
      EXPECT_TRUE(c.ssl_protocol.empty()) << c.ssl_protocol;
    }
  }
  EXPECT_EQ(tls, 3);
  EXPECT_EQ(plaintext, 1);
}

// An event loop for AsyncConnection, run by its own thread.
struct Loop {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work = boost::asio::make_work_guard(io);
  std::thread thread{[this] { io.run(); }};
  ~Loop() {
    work.reset();
    io.stop();
    thread.join();
  }
};

Result<std::shared_ptr<cql::AsyncConnection>> connect_tls(Loop& loop, std::shared_ptr<ssl::context> tls,
                                                          const std::string& server_name) {
  auto options = testing::auth_cassandra_options();
  cql::ConnectionSettings s;
  s.host = options.host;
  s.port = options.port;
  s.credentials = cql::Credentials{options.username, options.password};
  s.tls = std::move(tls);
  s.tls_server_name = server_name;
  s.connect_timeout = 10s;
  auto done = std::make_shared<std::promise<Result<std::shared_ptr<cql::AsyncConnection>>>>();
  auto answer = done->get_future();
  cql::AsyncConnection::connect(loop.io, std::move(s), [done](Result<std::shared_ptr<cql::AsyncConnection>> r) {
    done->set_value(std::move(r));
  });
  if (answer.wait_for(30s) != std::future_status::ready) return Error(Errc::timeout, "no answer to connect in 30 s");
  return answer.get();
}

// The certificate names IP:<node address> and DNS:localhost. Verification is against the
// address by default, or against tls_server_name when set: "localhost" passes, a name the
// certificate does not carry fails the handshake, saying so.
TEST(AuthCassandraTls, HostnameVerificationChecksTheNameInTheCertificate) {
  SLUICE_REQUIRE_AUTH_CASSANDRA_TLS();
  auto tls = trusting_file(testing::auth_cassandra_ca_file());
  Loop loop;
  for (const std::string name : {"", "localhost"}) {
    auto conn = connect_tls(loop, tls, name);
    ASSERT_TRUE(conn.ok()) << "tls_server_name '" << name << "': " << conn.error().to_string();
    EXPECT_EQ((*conn)->version(), cql::ProtocolVersion::v5);
    (*conn)->close();
  }
  auto wrong = connect_tls(loop, tls, "wrong.example");
  ASSERT_FALSE(wrong.ok());
  const std::string text = wrong.error().to_string();
  EXPECT_EQ(wrong.error().code(), Errc::unavailable) << text;
  EXPECT_NE(text.find("TLS handshake with"), std::string::npos) << text;
  EXPECT_NE(text.find("certificate verify failed"), std::string::npos) << text;
  EXPECT_NE(text.find("hostname mismatch"), std::string::npos) << text;
  // An address is checked as an address (IP subjectAltName), not waved through.
  auto other_address = connect_tls(loop, tls, "127.0.3.2");
  ASSERT_FALSE(other_address.ok());
  EXPECT_NE(other_address.error().message().find("IP address mismatch"), std::string::npos)
      << other_address.error().to_string();
}

// A client that trusts another CA (even one with the same name) or only the system's CAs refuses
// the node; the same client without verification connects, so the refusal is the verification's.
TEST(AuthCassandraTls, UntrustedCaIsRefused) {
  SLUICE_REQUIRE_AUTH_CASSANDRA_TLS();
  auto options = testing::auth_cassandra_options();
  auto other_pem = testing::unrelated_ca_pem();
  ASSERT_TRUE(other_pem.ok()) << other_pem.error().to_string();
  auto other = std::make_shared<ssl::context>(ssl::context::tls_client);
  other->set_verify_mode(ssl::verify_peer);
  other->add_certificate_authority(boost::asio::buffer(*other_pem));
  auto system = std::make_shared<ssl::context>(ssl::context::tls_client);
  system->set_verify_mode(ssl::verify_peer);
  system->set_default_verify_paths();
  for (const auto& [what, ctx] : {std::pair{"another CA", other}, std::pair{"the system CAs", system}}) {
    auto session = cql::Session::connect(session_options(options.username, options.password, ctx));
    ASSERT_FALSE(session.ok()) << what;
    const std::string text = session.error().to_string();
    EXPECT_NE(text.find("TLS handshake with"), std::string::npos) << what << ": " << text;
    EXPECT_NE(text.find("certificate verify failed (unable to get local issuer certificate)"), std::string::npos)
        << what << ": " << text;
  }
  auto unverified = std::make_shared<ssl::context>(ssl::context::tls_client);
  unverified->set_verify_mode(ssl::verify_none);
  auto session = cql::Session::connect(session_options(options.username, options.password, unverified));
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  EXPECT_TRUE((*session)->execute(cql::Statement("SELECT release_version FROM system.local")).ok());
}

// lz4 inside TLS, on v5 (compressed segments) and v4 (compressed frames): a large, compressible
// value written and read back intact, and the server agreed to lz4 on TLS connections.
TEST(AuthCassandraTls, Lz4OverTls) {
  SLUICE_REQUIRE_AUTH_CASSANDRA_TLS();
  const std::string ks = testing::unique_name("tls_lz4");
  TestRole role;
  role.run(fmt::format(
      "CREATE KEYSPACE {} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}", ks));
  role.run(fmt::format("CREATE TABLE {}.t (id int PRIMARY KEY, v text)", ks));
  role.run(fmt::format("GRANT SELECT ON KEYSPACE {} TO {}", ks, role.name()));
  role.run(fmt::format("GRANT MODIFY ON KEYSPACE {} TO {}", ks, role.name()));
  // ~300 KB: several v5 segments (128 KiB payload each), and compressible.
  std::string big;
  for (int i = 0; big.size() < 300000; ++i) big += fmt::format("row {} of a long and repetitive text; ", i % 1000);
  for (auto version : {cql::ProtocolVersion::v5, cql::ProtocolVersion::v4}) {
    const int id = version == cql::ProtocolVersion::v5 ? 5 : 4;
    auto so = session_options(role.name(), role.password(), trusting_file(testing::auth_cassandra_ca_file()));
    so.compression = cql::Compression::lz4;
    so.max_protocol_version = version;
    auto session = cql::Session::connect(so);
    ASSERT_TRUE(session.ok()) << session.error().to_string();
    ASSERT_EQ((*session)->protocol_version(), version);
    auto w = (*session)->execute(cql::Statement(fmt::format("INSERT INTO {}.t (id, v) VALUES (?, ?)", ks),
                                                {std::int32_t{id}, big + std::to_string(id)}));
    ASSERT_TRUE(w.ok()) << "v" << id << ": " << w.error().to_string();
    auto r =
        (*session)->execute(cql::Statement(fmt::format("SELECT v FROM {}.t WHERE id = ?", ks), {std::int32_t{id}}));
    ASSERT_TRUE(r.ok()) << "v" << id << ": " << r.error().to_string();
    ASSERT_EQ(r->size(), 1U);
    EXPECT_TRUE(r->row(0).get<std::string>("v").value() == big + std::to_string(id)) << "v" << id;
    auto clients = clients_of(role.name());
    ASSERT_FALSE(clients.empty());
    for (const auto& c : clients) {
      EXPECT_TRUE(c.ssl_enabled) << "v" << id;
      EXPECT_EQ(c.compression, "lz4") << "v" << id;
      EXPECT_EQ(c.protocol_version, id);
    }
    (*session)->close();
    // Closed connections leave the server's list a moment later.
    for (int i = 0; i < 100 && !clients_of(role.name()).empty(); ++i) std::this_thread::sleep_for(50ms);
  }
  role.run("DROP KEYSPACE " + ks);
}

}  // namespace
}  // namespace sluice

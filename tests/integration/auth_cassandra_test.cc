// Why: production clusters ask for a login. Against a real Cassandra with PasswordAuthenticator
// (the auth_cassandra fixture): the right password gets an answer, a wrong one is refused with a
// message that does not repeat the password, and none at all says that a login is required.
#include <gtest/gtest.h>

#include <thread>

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

}  // namespace
}  // namespace sluice

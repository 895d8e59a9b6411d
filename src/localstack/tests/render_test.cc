// Why: the embedded templates must render completely for one node and for three, with the
// addresses, ports and heaps the settings ask for.
#include <gtest/gtest.h>

#include "localstack/resources.h"
#include "localstack/stack.h"

namespace sluice::localstack {
namespace {

StackSettings three_by_three() {
  StackSettings s;
  s.home = "/tmp/sluice-render-test";
  s.cache = "/tmp/sluice-cache";
  s.cassandra_nodes = 3;
  s.kafka_brokers = 3;
  return s;
}

TEST(LocalStackPlan, VersionsArePinnedFromThePoms) {
  EXPECT_EQ(cassandra_version().substr(0, 2), "5.");
  EXPECT_FALSE(kafka_version().empty());
}

TEST(LocalStackPlan, SingleNodeDefaults) {
  StackSettings s;
  s.home = "/tmp/h";
  s.cache = "/tmp/c";
  auto plans = plan_stack(s);
  ASSERT_TRUE(plans.ok()) << plans.error().to_string();
  ASSERT_EQ(plans->size(), 2U);
  const auto& c = (*plans)[0];
  EXPECT_EQ(c.name, "cassandra-1");
  EXPECT_EQ(c.port, 9042);
  const std::string& yaml = c.files.at("conf/cassandra.yaml");
  EXPECT_EQ(yaml.find('@' + std::string("DATA_DIR@")), std::string::npos);
  EXPECT_NE(yaml.find("native_transport_port: 9042"), std::string::npos);
  EXPECT_NE(std::find(c.argv.begin(), c.argv.end(), "-Xmx1G"), c.argv.end());
  const auto& k = (*plans)[1];
  EXPECT_EQ(k.name, "kafka-1");
  const std::string& props = k.files.at("server.properties");
  EXPECT_NE(props.find("auto.create.topics.enable=false"), std::string::npos);
  EXPECT_NE(props.find("controller.quorum.voters=1@127.0.0.1:9093"), std::string::npos);
  EXPECT_NE(std::find(k.argv.begin(), k.argv.end(), "-Xmx512M"), k.argv.end());
}

TEST(LocalStackPlan, ThreeNodesGetTheirOwnAddressesAndTokens) {
  auto plans = plan_stack(three_by_three());
  ASSERT_TRUE(plans.ok());
  ASSERT_EQ(plans->size(), 6U);
  EXPECT_EQ((*plans)[2].address, "127.0.0.3");
  EXPECT_NE((*plans)[0].files.at("conf/cassandra.yaml").find("initial_token: -9223372036854775808"), std::string::npos);
  EXPECT_NE((*plans)[1].files.at("conf/cassandra.yaml").find("initial_token: -3074457345618258603"), std::string::npos);
  EXPECT_NE((*plans)[2].files.at("conf/cassandra.yaml").find("listen_address: 127.0.0.3"), std::string::npos);
  const std::string& props = (*plans)[5].files.at("server.properties");
  EXPECT_NE(props.find("controller.quorum.voters=1@127.0.0.1:9093,2@127.0.0.2:9093,3@127.0.0.3:9093"),
            std::string::npos);
  EXPECT_NE(props.find("offsets.topic.replication.factor=3"), std::string::npos);
}

TEST(LocalStackPlan, OpenByDefault) {
  StackSettings s;
  s.home = "/tmp/h";
  auto plans = plan_stack(s);
  ASSERT_TRUE(plans.ok());
  const auto& c = (*plans)[0];
  EXPECT_FALSE(c.auth);
  EXPECT_NE(c.files.at("conf/cassandra.yaml").find("authenticator: AllowAllAuthenticator"), std::string::npos);
  EXPECT_NE(c.files.at("conf/cassandra.yaml").find("authorizer: AllowAllAuthorizer"), std::string::npos);
}

// The superuser must exist as soon as the node listens, or every login fails for 10 s.
TEST(LocalStackPlan, AuthUsesPasswordsPermissionsAndNoSuperuserDelay) {
  StackSettings s;
  s.home = "/tmp/h";
  s.cassandra_auth = true;
  auto plans = plan_stack(s);
  ASSERT_TRUE(plans.ok());
  const auto& c = (*plans)[0];
  EXPECT_TRUE(c.auth);
  const std::string& yaml = c.files.at("conf/cassandra.yaml");
  EXPECT_NE(yaml.find("authenticator: PasswordAuthenticator"), std::string::npos);
  EXPECT_NE(yaml.find("authorizer: CassandraAuthorizer"), std::string::npos);
  EXPECT_NE(yaml.find("role_manager: CassandraRoleManager"), std::string::npos);
  EXPECT_NE(std::find(c.argv.begin(), c.argv.end(), "-Dcassandra.superuser_setup_delay_ms=0"), c.argv.end());
}

TEST(LocalStackPlan, NoClientTlsByDefault) {
  StackSettings s;
  s.home = "/tmp/h";
  auto plans = plan_stack(s);
  ASSERT_TRUE(plans.ok());
  EXPECT_FALSE((*plans)[0].tls);
  EXPECT_EQ((*plans)[0].files.at("conf/cassandra.yaml").find("\nclient_encryption_options:"), std::string::npos);
}

// TLS and plaintext on one port, each node with its own keystore under <home>/tls.
TEST(LocalStackPlan, TlsEnablesOptionalClientEncryptionWithThePkcs12Keystore) {
  StackSettings s = three_by_three();
  s.cassandra_tls = true;
  auto plans = plan_stack(s);
  ASSERT_TRUE(plans.ok()) << plans.error().to_string();
  const auto& c = (*plans)[1];
  EXPECT_TRUE(c.tls);
  const std::string& yaml = c.files.at("conf/cassandra.yaml");
  EXPECT_NE(yaml.find("\nclient_encryption_options:\n"
                      "  enabled: true\n"
                      "  optional: true\n"
                      "  keystore: '/tmp/sluice-render-test/tls/cassandra-2.p12'\n"),
            std::string::npos)
      << yaml;
  EXPECT_NE(yaml.find("  store_type: PKCS12\n"), std::string::npos);
  EXPECT_EQ(yaml.find("require_client_auth"), std::string::npos);  // default: no client certificates
  EXPECT_FALSE((*plans)[3].tls);  // Kafka stays plaintext
}

TEST(LocalStackPlan, CassandraOnlyWithZeroBrokers) {
  StackSettings s = three_by_three();
  s.kafka_brokers = 0;
  s.address_prefix = "127.0.4.";
  s.cassandra_jmx_port = 7499;
  auto plans = plan_stack(s);
  ASSERT_TRUE(plans.ok()) << plans.error().to_string();
  ASSERT_EQ(plans->size(), 3U);
  for (const auto& p : *plans) EXPECT_EQ(p.kind, ServerKind::cassandra);
  EXPECT_EQ((*plans)[2].address, "127.0.4.3");
  EXPECT_NE((*plans)[2].files.at("conf/cassandra.yaml").find("seeds: \"127.0.4.1:7000\""), std::string::npos);
  EXPECT_NE(std::find((*plans)[2].argv.begin(), (*plans)[2].argv.end(), "-Dcassandra.jmx.local.port=7501"),
            (*plans)[2].argv.end());
}

TEST(LocalStackPlan, RefusesSillyNodeCounts) {
  StackSettings s;
  s.home = "/tmp/h";
  s.cassandra_nodes = 0;
  EXPECT_FALSE(plan_stack(s).ok());
  s.cassandra_nodes = 1;
  s.kafka_brokers = -1;
  EXPECT_FALSE(plan_stack(s).ok());
  s.kafka_brokers = 10;
  EXPECT_FALSE(plan_stack(s).ok());
}

}  // namespace
}  // namespace sluice::localstack

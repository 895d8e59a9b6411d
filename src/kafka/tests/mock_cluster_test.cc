// Why: the kafka wrappers own librdkafka handles and turn its callbacks into Results. librdkafka's
// mock cluster (in-process, loopback only) checks produce, consume and commit without a broker.
#include <gtest/gtest.h>
#include <set>

#include "kafka/client.h"

namespace sluice::kafka {
namespace {

TEST(KafkaMockCluster, ProducesConsumesAndCommitsThroughWrappers) {
  // test.mock.num.brokers makes librdkafka start an in-process mock cluster for this client.
  ClientSettings producer_settings{.bootstrap_servers = "", .properties = {{"test.mock.num.brokers", "1"}}};
  auto producer = Producer::create(producer_settings);
  ASSERT_TRUE(producer.ok()) << producer.error().to_string();
  // Auto-created on the mock cluster (the real local broker refuses auto-creation).
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE((*producer)->produce("mock-topic", "k" + std::to_string(i % 7), "v" + std::to_string(i)).ok());
  }
  ASSERT_TRUE((*producer)->flush(std::chrono::seconds(10)).ok());
  EXPECT_EQ((*producer)->delivered(), 100U);
  EXPECT_EQ((*producer)->failed(), 0U);
}

TEST(KafkaSettings, BadPropertyIsAnErrorWithoutItsValue) {
  ClientSettings s{.bootstrap_servers = "127.0.0.1:1", .properties = {{"sasl.password.nonsense", "s3cret"}}};
  auto p = Producer::create(s);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code(), Errc::invalid_argument);
  EXPECT_EQ(p.error().message().find("s3cret"), std::string::npos);
}

TEST(KafkaAdmin, MetadataFromUnreachableClusterIsUnavailable) {
  auto admin = Admin::create({.bootstrap_servers = "127.0.0.1:1", .properties = {{"log_level", "0"}}});
  ASSERT_TRUE(admin.ok());
  auto md = (*admin)->metadata(std::chrono::milliseconds(300));
  ASSERT_FALSE(md.ok());
  EXPECT_EQ(md.error().code(), Errc::unavailable);
}

}  // namespace
}  // namespace sluice::kafka

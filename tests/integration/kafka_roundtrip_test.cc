// Why: the foundation's proof that a real broker is there and that sluice's Kafka wrappers carry
// every record: 10,000 produced through a real topic and consumed back by a consumer group, each
// one accounted for (none missing, none twice), and committed offsets that a new member resumes from.
#include <gtest/gtest.h>
#include <set>

#include "kafka/client.h"
#include "support/stack.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;

TEST(KafkaRoundTrip, TenThousandRecordsEveryOneAccountedFor) {
  SLUICE_REQUIRE_KAFKA();
  testing::TestTopic topic("roundtrip", 3);
  kafka::ClientSettings settings{.bootstrap_servers = testing::kafka_bootstrap(), .properties = {}};
  auto producer = kafka::Producer::create(settings);
  ASSERT_TRUE(producer.ok()) << producer.error().to_string();
  constexpr int kRecords = 10000;
  for (int i = 0; i < kRecords; ++i) {
    ASSERT_TRUE((*producer)->produce(topic.name(), "key-" + std::to_string(i % 97), "record-" + std::to_string(i)).ok());
  }
  ASSERT_TRUE((*producer)->flush(60s).ok());
  ASSERT_EQ((*producer)->delivered(), static_cast<std::uint64_t>(kRecords));

  std::string group = testing::unique_name("g");
  auto consumer = kafka::Consumer::create(settings, group);
  ASSERT_TRUE(consumer.ok()) << consumer.error().to_string();
  ASSERT_TRUE((*consumer)->subscribe({topic.name()}).ok());
  std::set<int> seen;
  int duplicates = 0;
  std::set<int> partitions;
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> last;
  auto deadline = std::chrono::steady_clock::now() + 90s;
  while (static_cast<int>(seen.size()) < kRecords && std::chrono::steady_clock::now() < deadline) {
    auto m = (*consumer)->poll(500ms);
    if (!m) continue;
    ASSERT_FALSE(m->error()) << m->error()->to_string();
    std::string value(m->value().value_or(""));
    ASSERT_EQ(value.rfind("record-", 0), 0U) << value;
    int id = std::stoi(value.substr(7));
    if (!seen.insert(id).second) ++duplicates;
    partitions.insert(m->partition());
    last[{std::string(m->topic()), m->partition()}] = m->offset();
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kRecords));
  EXPECT_EQ(*seen.begin(), 0);
  EXPECT_EQ(*seen.rbegin(), kRecords - 1);
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(partitions.size(), 3U);
  ASSERT_TRUE((*consumer)->commit(last).ok());

  // The group's committed position is the end of every partition: all 10,000 are accounted for.
  auto committed = (*consumer)->committed(topic.name(), 3, 10s);
  ASSERT_TRUE(committed.ok()) << committed.error().to_string();
  std::int64_t total = 0;
  for (std::int32_t p = 0; p < 3; ++p) {
    auto high = (*consumer)->high_watermark(topic.name(), p, 10s);
    ASSERT_TRUE(high.ok()) << high.error().to_string();
    EXPECT_EQ((*committed)[static_cast<std::size_t>(p)], *high) << "partition " << p;
    total += *high;
  }
  EXPECT_EQ(total, kRecords);
  (*consumer)->close();
}

TEST(KafkaRoundTrip, TopicAutoCreationIsOff) {
  SLUICE_REQUIRE_KAFKA();
  auto admin = kafka::Admin::create({.bootstrap_servers = testing::kafka_bootstrap(), .properties = {}});
  ASSERT_TRUE(admin.ok());
  std::string name = testing::unique_name("never_created");
  auto producer = kafka::Producer::create(
      {.bootstrap_servers = testing::kafka_bootstrap(), .properties = {{"message.timeout.ms", "3000"}}});
  ASSERT_TRUE(producer.ok());
  ASSERT_TRUE((*producer)->produce(name, std::nullopt, "x").ok());
  auto st = (*producer)->flush(20s);
  EXPECT_FALSE(st.ok()) << "producing to an unknown topic must not create it";
  auto md = (*admin)->metadata(10s);
  ASSERT_TRUE(md.ok());
  for (const auto& t : md->topics) EXPECT_NE(t.name, name);
}

}  // namespace
}  // namespace sluice

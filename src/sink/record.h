// What the sink reads of one Kafka record, independent of librdkafka's message type, so the
// mapping can be tested without a broker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/client.h"

namespace sluice::sink {

struct RecordView {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = -1;  // -1: the record has none
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;  // nullopt: a tombstone
  std::vector<kafka::Header> headers;

  static RecordView of(const kafka::Message& m) {
    return RecordView{m.topic(), m.partition(), m.offset(), m.timestamp_ms(), m.key(), m.value(), m.headers()};
  }
};

// Why a record failed; the dead letters carry it.
enum class FailureClass { decode, convert, mapping, write };
std::string_view failure_class_name(FailureClass c);

struct Failure {
  FailureClass kind = FailureClass::decode;
  std::string message;
  std::string statement;  // the CQL that failed (write and mapping failures)
};

}  // namespace sluice::sink

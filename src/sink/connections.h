// The clients a pipeline file describes: librdkafka settings and CQL session options, with
// secrets resolved from the environment or 0600 files (never logged).
#pragma once

#include "config/pipeline.h"
#include "cql/client/session.h"
#include "kafka/client.h"

namespace sluice::sink {

Result<kafka::ClientSettings> kafka_settings(const config::Pipeline& pipeline);
Result<cql::SessionOptions> session_options(const config::Pipeline& pipeline);

}  // namespace sluice::sink
